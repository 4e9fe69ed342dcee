// Optimizers that emit TensorFlow's own training ops, so a saved training
// graph stays valid TensorFlow (like tf.compat.v1.train.*Optimizer). Slot
// variables are named as TF1 names them ("W/Momentum", "W/Adam", "W/Adam_1",
// "beta1_power", "beta2_power"), so checkpoints line up variable by variable.
//
//   GradientDescentOptimizer opt(0.5);
//   std::string train_op = opt.Minimize(b, loss);   // run it as a target
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "savedmodel/train/graph_builder.h"

namespace savedmodel::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Adds gradients of `loss` w.r.t. every trainable variable and the update
  // ops; returns the train op's node name ("" with b.status() set on error).
  std::string Minimize(GraphBuilder& b, const Output& loss, const std::string& name = "");

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}
  // Adds the update for one variable; returns the update node's name.
  virtual std::string ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) = 0;
  // Creates slot variables for `vars`, outside the optimizer's name scope
  // (TensorFlow names slots after their variable, not after the optimizer).
  virtual void CreateSlots(GraphBuilder& b, const std::vector<VariableInfo>& vars) {}
  // Called once before the per-variable updates, inside the name scope (e.g.
  // for the hyper-parameter constants).
  virtual void Prepare(GraphBuilder& b) {}
  // Called after them, still inside the name scope `scope` (its full
  // prefix), with the update node names; returns the train op, named `scope`.
  virtual std::string Finish(GraphBuilder& b, const std::vector<std::string>& updates,
                             const std::string& scope);
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

class GradientDescentOptimizer : public Optimizer {
 public:
  explicit GradientDescentOptimizer(float learning_rate)
      : Optimizer("GradientDescent"), lr_(learning_rate) {}

 private:
  std::string ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) override;
  void Prepare(GraphBuilder& b) override;
  float lr_;
  Output lr_tensor_;
};

class MomentumOptimizer : public Optimizer {
 public:
  MomentumOptimizer(float learning_rate, float momentum, bool use_nesterov = false)
      : Optimizer("Momentum"), lr_(learning_rate), momentum_(momentum), nesterov_(use_nesterov) {}

 private:
  std::string ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) override;
  void CreateSlots(GraphBuilder& b, const std::vector<VariableInfo>& vars) override;
  void Prepare(GraphBuilder& b) override;
  float lr_, momentum_;
  bool nesterov_;
  Output lr_tensor_, momentum_tensor_;
  std::map<std::string, VariableInfo> accum_;  // by variable node name
};

class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(float learning_rate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f,
                         float epsilon = 1e-8f)
      : Optimizer("Adam"), lr_(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}

 private:
  std::string ApplyDense(GraphBuilder& b, const VariableInfo& var, const Output& grad) override;
  void CreateSlots(GraphBuilder& b, const std::vector<VariableInfo>& vars) override;
  void Prepare(GraphBuilder& b) override;
  std::string Finish(GraphBuilder& b, const std::vector<std::string>& updates,
                     const std::string& scope) override;
  float lr_, beta1_, beta2_, epsilon_;
  VariableInfo beta1_power_, beta2_power_;
  std::map<std::string, std::pair<VariableInfo, VariableInfo>> mv_;  // (m, v) by variable node name
  Output lr_t_, beta1_t_, beta2_t_, epsilon_t_;
};

}  // namespace savedmodel::train
