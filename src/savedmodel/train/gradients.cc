#include "savedmodel/train/gradients.h"

#include <map>
#include <mutex>
#include <set>

#include "savedmodel/train/ops.h"

namespace savedmodel::train {
namespace {

struct Registry {
  std::map<std::string, GradFn> fns;
  std::set<std::string> none;
};
Registry& Reg() {
  static Registry* r = new Registry();
  return *r;
}

// Output `index` of node `name`, with its dtype resolved from the OpDef; an
// invalid Output (and the builder's status set) when it cannot be resolved.
Output OutputOf(GraphBuilder& b, const std::string& input) {
  auto out = b.FindOutput(input);
  if (!out.ok()) {
    b.UpdateStatus(out.status().WithContext("gradients"));
    return {};
  }
  return *out;
}

Output SumGrads(GraphBuilder& b, const std::vector<Output>& grads) {
  if (grads.empty()) return {};
  if (grads.size() == 1) return grads[0];
  return b.Op("AddN", {grads}, {}, "AddN");
}

}  // namespace

void RegisterGradient(const std::string& op, GradFn fn) { Reg().fns[op] = std::move(fn); }
void RegisterNoGradient(const std::string& op) { Reg().none.insert(op); }
bool HasGradientEntry(const std::string& op) { return Reg().fns.count(op) || Reg().none.count(op); }
bool HasGradientFunction(const std::string& op) { return Reg().fns.count(op) > 0; }
std::vector<std::string> GradientOps() {
  std::vector<std::string> ops;
  for (const auto& [op, _] : Reg().fns) ops.push_back(op);
  for (const auto& op : Reg().none) ops.push_back(op);
  return ops;
}

std::vector<Output> AddGradients(GraphBuilder& b, const Output& y, const std::vector<Output>& xs) {
  if (!b.status().ok()) return {};
  // Snapshot the forward graph: gradient nodes are appended while we walk it.
  const tensorflow::GraphDef forward = b.graph_def();
  std::map<std::string, int> index;
  for (int i = 0; i < forward.node_size(); ++i) index[forward.node(i).name()] = i;
  auto node_of = [](const std::string& input) {
    std::string n = input[0] == '^' ? input.substr(1) : input;
    return n.substr(0, n.rfind(':') == std::string::npos ? n.size() : n.rfind(':'));
  };

  // Nodes y depends on through data edges...
  std::set<std::string> from_y;
  std::vector<std::string> stack = {y.node};
  while (!stack.empty()) {
    std::string n = stack.back();
    stack.pop_back();
    if (!from_y.insert(n).second || !index.count(n)) continue;
    for (const auto& in : forward.node(index[n]).input()) {
      if (in[0] != '^') stack.push_back(node_of(in));
    }
  }
  // ...that also depend on some x: only those carry gradients.
  std::map<std::string, std::vector<std::string>> consumers;
  for (const auto& n : forward.node()) {
    for (const auto& in : n.input()) {
      if (in[0] != '^') consumers[node_of(in)].push_back(n.name());
    }
  }
  std::set<std::string> relevant;
  for (const Output& x : xs) stack.push_back(x.node);
  while (!stack.empty()) {
    std::string n = stack.back();
    stack.pop_back();
    if (!from_y.count(n) || !relevant.insert(n).second) continue;
    for (const auto& c : consumers[n]) stack.push_back(c);
  }

  GraphBuilder::NameScope scope(&b, "gradients");
  std::map<std::string, std::vector<Output>> pending;  // "node:idx" -> grads to sum
  {
    Output shape = b.Op("Shape", {y}, {{"out_type", AttrType(DT_INT32)}}, "Shape");
    Tensor one(BaseType(y.dtype), TensorShape{});
    Status s = VisitDataType(one.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        one.scalar<T>() = T(1);
        return Status::OK();
      } else {
        return InvalidArgument("gradients of a " + DataTypeString(one.dtype()) + " tensor");
      }
    });
    b.UpdateStatus(s);
    Output ones = b.Op("Fill", {shape, Const(b, one, "grad_ys_0")}, {}, "Fill");
    pending[y.name()].push_back(ones);
  }

  // Forward node order is a topological order (inputs are added before use),
  // so walking it backwards visits consumers before producers.
  for (int i = forward.node_size() - 1; i >= 0 && b.status().ok(); --i) {
    const tensorflow::NodeDef& node = forward.node(i);
    if (!relevant.count(node.name())) continue;
    GradContext ctx{b, node, {}, {}};
    for (const auto& in : node.input()) {
      if (in[0] != '^') ctx.inputs.push_back(OutputOf(b, in));
    }
    std::vector<DataType> in_types, out_types;
    b.UpdateStatus(b.registry().ResolveTypes(node, &in_types, &out_types));
    std::vector<Output> grads(out_types.size());
    bool any = false;
    for (size_t k = 0; k < out_types.size(); ++k) {
      ctx.outputs.push_back(Output{node.name(), static_cast<int>(k), out_types[k]});
      auto it = pending.find(ctx.outputs.back().name());
      if (it != pending.end()) {
        grads[k] = SumGrads(b, it->second);
        any = true;
      }
    }
    if (!any) continue;
    bool is_x = false;
    for (const Output& x : xs) is_x |= x.node == node.name();
    if (is_x && ctx.inputs.empty()) continue;
    if (Reg().none.count(node.op())) continue;
    auto fn = Reg().fns.find(node.op());
    if (fn == Reg().fns.end()) {
      if (is_x) continue;  // gradients stop at the requested tensors
      b.UpdateStatus(Unimplemented("no gradient registered for op '" + node.op() + "' (node '" +
                                   node.name() + "')"));
      break;
    }
    std::vector<Output> in_grads;
    {
      GraphBuilder::NameScope op_scope(&b, node.name() + "_grad");
      in_grads = fn->second(ctx, grads);
    }
    for (size_t k = 0; k < in_grads.size() && k < ctx.inputs.size(); ++k) {
      if (in_grads[k].valid() && relevant.count(ctx.inputs[k].node)) {
        pending[ctx.inputs[k].name()].push_back(in_grads[k]);
      }
    }
  }
  std::vector<Output> result;
  for (const Output& x : xs) {
    auto it = pending.find(x.name());
    result.push_back(it == pending.end() ? Output{} : SumGrads(b, it->second));
  }
  if (!b.status().ok()) return {};
  return result;
}

}  // namespace savedmodel::train
