#include "savedmodel/train/optimizer.h"

#include "savedmodel/train/gradients.h"
#include "savedmodel/train/ops.h"

namespace savedmodel::train {
namespace {

// A slot variable ("W/Momentum", "W/Adam") of zeros shaped like `var`.
VariableInfo ZerosSlot(GraphBuilder& b, const VariableInfo& var, const std::string& slot) {
  const tensorflow::NodeDef* node = b.FindNode(var.variable.node);
  std::vector<int64_t> dims;
  for (const auto& d : node->attr().at("shape").shape().dim()) dims.push_back(d.size());
  DataType dt = BaseType(var.variable.dtype);
  Output init = Zeros(b, dt, dims, var.variable.node + "/" + slot + "/Initializer/zeros");
  return Variable(b, init, var.variable.node + "/" + slot, /*trainable=*/false);
}

}  // namespace

std::string Optimizer::Minimize(GraphBuilder& b, const Output& loss, const std::string& name) {
  std::vector<VariableInfo> vars;
  std::vector<Output> xs;
  for (const VariableInfo& v : b.variables()) {
    if (!v.trainable) continue;
    vars.push_back(v);
    xs.push_back(v.variable);
  }
  if (vars.empty()) {
    b.UpdateStatus(InvalidArgument("Minimize: no trainable variables"));
    return "";
  }
  std::vector<Output> grads = AddGradients(b, loss, xs);
  if (!b.status().ok()) return "";
  CreateSlots(b, vars);
  // As in TF1, everything else lives under one scope ("Adam/...") and the
  // train op takes the scope's own name ("Adam").
  GraphBuilder::NameScope scope(&b, name.empty() ? name_ : name);
  Prepare(b);
  std::vector<std::string> updates;
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!grads[i].valid()) continue;  // the loss does not depend on this variable
    updates.push_back(ApplyDense(b, vars[i], grads[i]));
  }
  if (updates.empty()) {
    b.UpdateStatus(InvalidArgument("Minimize: the loss depends on no trainable variable"));
    return "";
  }
  return Finish(b, updates, scope.prefix());
}

std::string Optimizer::Finish(GraphBuilder& b, const std::vector<std::string>& updates,
                              const std::string& scope) {
  return Group(b, updates, scope + "/");
}

void GradientDescentOptimizer::Prepare(GraphBuilder& b) {
  lr_tensor_ = Scalar<float>(b, lr_, "learning_rate");
}

std::string GradientDescentOptimizer::ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) {
  return b.Target("ApplyGradientDescent", {var.variable, lr_tensor_, grad},
                  {{"use_locking", AttrBool(false)}}, "update_" + var.variable.node + "/ApplyGradientDescent");
}

void MomentumOptimizer::CreateSlots(GraphBuilder& b, const std::vector<VariableInfo>& vars) {
  for (const VariableInfo& v : vars) accum_[v.variable.node] = ZerosSlot(b, v, "Momentum");
}

void MomentumOptimizer::Prepare(GraphBuilder& b) {
  lr_tensor_ = Scalar<float>(b, lr_, "learning_rate");
  momentum_tensor_ = Scalar<float>(b, momentum_, "momentum");
}

std::string MomentumOptimizer::ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) {
  const VariableInfo& accum = accum_.at(var.variable.node);
  return b.Target("ApplyMomentum", {var.variable, accum.variable, lr_tensor_, grad, momentum_tensor_},
                  {{"use_locking", AttrBool(false)}, {"use_nesterov", AttrBool(nesterov_)}},
                  "update_" + var.variable.node + "/ApplyMomentum");
}

// TF1's order: the two beta powers first, then (m, v) per variable.
void AdamOptimizer::CreateSlots(GraphBuilder& b, const std::vector<VariableInfo>& vars) {
  beta1_power_ = Variable(b, Scalar<float>(b, beta1_, "beta1_power/initial_value"), "beta1_power", false);
  beta2_power_ = Variable(b, Scalar<float>(b, beta2_, "beta2_power/initial_value"), "beta2_power", false);
  for (const VariableInfo& v : vars) {
    VariableInfo m = ZerosSlot(b, v, "Adam");
    mv_[v.variable.node] = {m, ZerosSlot(b, v, "Adam_1")};
  }
}

void AdamOptimizer::Prepare(GraphBuilder& b) {
  lr_t_ = Scalar<float>(b, lr_, "learning_rate");
  beta1_t_ = Scalar<float>(b, beta1_, "beta1");
  beta2_t_ = Scalar<float>(b, beta2_, "beta2");
  epsilon_t_ = Scalar<float>(b, epsilon_, "epsilon");
}

std::string AdamOptimizer::ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) {
  const auto& [m, v] = mv_.at(var.variable.node);
  return b.Target("ApplyAdam",
                  {var.variable, m.variable, v.variable, beta1_power_.snapshot, beta2_power_.snapshot, lr_t_,
                   beta1_t_, beta2_t_, epsilon_t_, grad},
                  {{"use_locking", AttrBool(false)}, {"use_nesterov", AttrBool(false)}},
                  "update_" + var.variable.node + "/ApplyAdam");
}

// After every variable update, advance beta1^t and beta2^t, as TF1's Adam does.
std::string AdamOptimizer::Finish(GraphBuilder& b, const std::vector<std::string>& updates,
                                  const std::string& scope) {
  std::vector<std::string> finals;
  {
    Output m1 = b.Op("Mul", {beta1_power_.snapshot, beta1_t_}, {}, "mul", updates);
    finals.push_back(b.Target("Assign", {beta1_power_.variable, m1}, {{"use_locking", AttrBool(false)}}, "Assign",
                              updates));
    Output m2 = b.Op("Mul", {beta2_power_.snapshot, beta2_t_}, {}, "mul_1", updates);
    finals.push_back(b.Target("Assign", {beta2_power_.variable, m2}, {{"use_locking", AttrBool(false)}},
                              "Assign_1", updates));
  }
  std::vector<std::string> all = updates;
  all.insert(all.end(), finals.begin(), finals.end());
  return Group(b, all, scope + "/");
}

}  // namespace savedmodel::train
