#include "savedmodel/exec/graph_passes.h"

#include <algorithm>
#include <new>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "savedmodel/base/denormal.h"
#include "savedmodel/base/memory_budget.h"
#include "savedmodel/graph/op_registry.h"

namespace savedmodel {
namespace {

bool PlainType(DataType dt) {
  return !IsRefType(dt) && dt != DT_RESOURCE && dt != DT_VARIANT && dt != DT_INVALID;
}

// ---- identity forwarding ------------------------------------------------------

bool IsForwardOp(const std::string& op) {
  return op == "Identity" || op == "IdentityN" || op == "StopGradient" || op == "PreventGradient" ||
         op == "Snapshot";
}

// Consumers of an Identity-like node read its inputs' slots instead, and a
// NoOp drops out; neither runs. The node's control inputs carry over to
// whoever read through it (tf.control_dependencies around tf.identity is how
// TF1 graphs order a read after an update), and a control edge on it resolves
// to what it waited for (session.cc). A ref input is read when the node runs,
// so forwarding it would move the read; those stay.
void ForwardIdentities(const Graph& g, PlanDraft* draft) {
  std::vector<int> alias(draft->num_slots);
  std::iota(alias.begin(), alias.end(), 0);
  // Per forwarded output slot: the control inputs a reader inherits.
  std::vector<std::vector<int>> waits(draft->num_slots);
  for (DraftStep& step : draft->steps) {
    for (int& s : step.input_slots) {
      step.extra_control.insert(step.extra_control.end(), waits[s].begin(), waits[s].end());
      s = alias[s];
    }
    std::sort(step.extra_control.begin(), step.extra_control.end());
    step.extra_control.erase(std::unique(step.extra_control.begin(), step.extra_control.end()),
                             step.extra_control.end());
    const Node& node = *step.node;
    if (step.kind != DraftStep::kRun || draft->pinned[node.id]) continue;
    if (node.op() == "NoOp") {
      step.kind = DraftStep::kForwarded;
      continue;
    }
    if (!IsForwardOp(node.op()) || step.input_slots.size() != static_cast<size_t>(node.num_outputs())) {
      continue;
    }
    bool ok = true;
    for (const OutputRef& in : node.inputs) {
      ok = ok && !IsRefType(g.node(in.node).output_types[in.index]);
    }
    if (!ok) continue;
    std::vector<int> inherited = step.extra_control;
    inherited.insert(inherited.end(), node.control_inputs.begin(), node.control_inputs.end());
    for (int i = 0; i < node.num_outputs(); ++i) {
      alias[step.output_base + i] = step.input_slots[i];
      waits[step.output_base + i] = inherited;
    }
    step.kind = DraftStep::kForwarded;
  }
}

// ---- constant folding ---------------------------------------------------------

// Not stateful in TensorFlow's op registry, yet not to be run at load: calls
// run arbitrary functions, and Placeholder-likes must fail at Run time when
// not fed.
bool NeverFold(const std::string& op) {
  static const std::unordered_set<std::string> kOps = {
      "PartitionedCall", "If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase",
      "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "SymbolicGradient", "For"};
  return kOps.count(op) > 0;
}

bool Foldable(const PlanDraft& draft, const DraftStep& step) {
  const Node& node = *step.node;
  if (step.kind != DraftStep::kRun || draft.pinned[node.id] || !node.control_inputs.empty() ||
      !step.extra_control.empty()) {
    return false;
  }
  if (node.op() == "Const") return true;
  if (step.input_slots.empty() || NeverFold(node.op())) return false;
  const tensorflow::OpDef* op_def = OpRegistry::Global().Find(node.op());
  if (op_def == nullptr || op_def->is_stateful()) return false;
  for (DataType dt : node.input_types) {
    if (!PlainType(dt)) return false;
  }
  for (DataType dt : node.output_types) {
    if (!PlainType(dt)) return false;
  }
  for (int s : step.input_slots) {
    if (!draft.constants[s].tensor.IsInitialized()) return false;
  }
  return true;
}

void FoldConstants(const PassContext& context, PlanDraft* draft) {
  ScopedFlushDenormal flush;  // as every Run computes, so folding changes no value
  for (DraftStep& step : draft->steps) {
    if (!Foldable(*draft, step)) continue;
    size_t cap = SIZE_MAX;
    if (step.node->op() != "Const") {
      size_t in_bytes = 0;
      for (int s : step.input_slots) in_bytes += draft->constants[s].tensor.TotalBytes();
      cap = std::min(kMaxFoldedBytes, kMaxFoldGrowth * (1 + std::min(in_bytes, kMaxFoldedBytes)));
    }
    std::vector<const Value*> inputs;
    for (int s : step.input_slots) inputs.push_back(&draft->constants[s]);
    std::vector<Value> outputs(step.node->num_outputs());
    bool ok = false;
    // Under a budget of `cap`: the kernel's temporaries count too.
    {
      OpKernelContext ctx(*step.node, std::move(inputs), &outputs, context.resources, context.pool);
      auto budget = std::make_shared<MemoryBudget>(cap, "constant folding");
      ScopedAllocationScope scope({/*limit_tensor_bytes=*/true, budget});
      try {
        ok = step.kernel->Compute(&ctx).ok();
      } catch (const TensorAllocationError&) {
      } catch (const std::bad_alloc&) {
      } catch (const std::length_error&) {
      }
    }
    for (const Value& v : outputs) {
      ok = ok && !v.ref && !v.resource && v.tensor.IsInitialized() &&
           (cap == SIZE_MAX || v.tensor.TotalBytes() <= cap);
    }
    if (!ok) continue;  // it runs at Run time and reports its error there
    for (size_t i = 0; i < outputs.size(); ++i) draft->constants[step.output_base + i] = std::move(outputs[i]);
    step.kind = DraftStep::kFolded;
  }
}

// ---- remapping (fusion) -------------------------------------------------------

bool IsFusableActivation(const std::string& op) {
  return op == "Relu" || op == "Relu6" || op == "Elu" || op == "LeakyRelu" || op == "Tanh" ||
         op == "Sigmoid";
}

std::string StringAttr(const Node& node, const std::string& name) {
  auto it = node.def.attr().find(name);
  return it == node.def.attr().end() ? std::string() : it->second.s();
}

bool FloatNode(const Node& node) {
  return !node.input_types.empty() && node.input_types[0] == DT_FLOAT && node.output_types.size() == 1 &&
         node.output_types[0] == DT_FLOAT;
}

// The _FusedMatMul / _FusedConv2D node for `product` -> `bias_add` [-> `act`],
// named as the last of them so a fetch of the final output still finds it.
// Null when the registry refuses the combination.
std::unique_ptr<Node> MakeFusedNode(const Node& product, const Node& bias_add, const Node* act) {
  const bool conv = product.op() == "Conv2D";
  const Node& last = act ? *act : bias_add;
  auto fused = std::make_unique<Node>();
  fused->id = last.id;
  tensorflow::NodeDef& def = fused->def;
  def.set_name(last.name());
  def.set_op(conv ? "_FusedConv2D" : "_FusedMatMul");
  def.set_device(last.def.device());
  def.add_input(product.def.input(0));
  def.add_input(product.def.input(1));
  def.add_input(bias_add.def.input(1));
  auto& attrs = *def.mutable_attr();
  const auto& from = product.def.attr();
  const std::vector<std::string> copied =
      conv ? std::vector<std::string>{"T", "strides", "padding", "explicit_paddings", "data_format",
                                      "dilations", "use_cudnn_on_gpu"}
           : std::vector<std::string>{"T", "transpose_a", "transpose_b"};
  for (const std::string& name : copied) {
    auto it = from.find(name);
    if (it != from.end()) attrs[name] = it->second;
  }
  attrs["num_args"].set_i(1);
  if (conv) attrs["TArgs"].mutable_list()->add_type(tensorflow::DT_FLOAT);
  auto* ops = attrs["fused_ops"].mutable_list();
  ops->add_s("BiasAdd");
  if (act) {
    ops->add_s(act->op());
    if (act->op() == "LeakyRelu") {
      auto it = act->def.attr().find("alpha");
      if (it != act->def.attr().end()) attrs["leakyrelu_alpha"].set_f(it->second.f());
    }
  }
  OpRegistry::Global().AddDefaultAttrs(&def);
  if (!OpRegistry::Global().ResolveTypes(def, &fused->input_types, &fused->output_types).ok()) {
    return nullptr;
  }
  fused->inputs = {product.inputs[0], product.inputs[1], bias_add.inputs[1]};
  fused->control_inputs = last.control_inputs;
  return fused;
}

// MatMul/Conv2D -> BiasAdd [-> activation] chains whose inner outputs nothing
// else reads (no other data or control consumer, not fetched) become one
// step. Only float, NHWC, and only where the fused kernel is registered, so
// the pass does nothing until those kernels exist.
void Remap(const PassContext& context, PlanDraft* draft) {
  const bool matmul = KernelRegistry::Global().Has("_FusedMatMul");
  const bool conv = KernelRegistry::Global().Has("_FusedConv2D");
  if (!matmul && !conv) return;
  auto& steps = draft->steps;
  // Readers of each slot among the steps that run, and forwarded ones with a
  // control consumer (that edge resolves through the forwarded input).
  std::vector<int> readers(draft->num_slots, 0), reader(draft->num_slots, -1);
  std::vector<int> producer(draft->num_slots, -1);
  std::vector<bool> control_consumed(draft->pinned.size(), false);
  for (const DraftStep& step : steps) {
    for (int c : step.node->control_inputs) control_consumed[c] = true;
    for (int c : step.extra_control) control_consumed[c] = true;
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const DraftStep& step = steps[i];
    if (step.kind == DraftStep::kFolded || step.kind == DraftStep::kFused) continue;
    if (step.kind == DraftStep::kForwarded && !control_consumed[step.node->id]) continue;
    for (int s : step.input_slots) {
      ++readers[s];
      reader[s] = static_cast<int>(i);
    }
    if (step.kind == DraftStep::kRun) {
      for (int o = 0; o < step.node->num_outputs(); ++o) producer[step.output_base + o] = static_cast<int>(i);
    }
  }
  // Whether `step`'s only output can disappear into a fused node.
  auto inner = [&](const DraftStep& step) {
    const Node& node = *step.node;
    return step.kind == DraftStep::kRun && !draft->pinned[node.id] && !control_consumed[node.id] &&
           node.control_inputs.empty() && node.num_outputs() == 1 && readers[step.output_base] == 1;
  };
  for (size_t b = 0; b < steps.size(); ++b) {
    DraftStep& bias = steps[b];
    if (bias.kind != DraftStep::kRun || bias.node->op() != "BiasAdd" || !FloatNode(*bias.node) ||
        StringAttr(*bias.node, "data_format") != "NHWC" || bias.input_slots.size() != 2) {
      continue;
    }
    const int p = producer[bias.input_slots[0]];
    if (p < 0 || !inner(steps[p]) || steps[p].output_base != bias.input_slots[0]) continue;
    const Node& product = *steps[p].node;
    const bool is_conv = product.op() == "Conv2D";
    if (!(is_conv ? conv : product.op() == "MatMul" && matmul) || !FloatNode(product) ||
        (is_conv && StringAttr(product, "data_format") != "NHWC") || steps[p].input_slots.size() != 2) {
      continue;
    }
    int a = -1;
    if (inner(bias)) {
      const int r = reader[bias.output_base];
      const DraftStep& next = steps[r];
      if (next.kind == DraftStep::kRun && IsFusableActivation(next.node->op()) && FloatNode(*next.node) &&
          next.input_slots.size() == 1) {
        a = r;
      }
    }
    std::unique_ptr<Node> fused;
    StatusOr<std::unique_ptr<OpKernel>> kernel = Unimplemented("not fused");
    auto try_fuse = [&](int act_step) {
      fused = MakeFusedNode(product, *bias.node, act_step >= 0 ? steps[act_step].node : nullptr);
      if (fused != nullptr) kernel = KernelRegistry::Global().Create(*fused, context.env, context.functions);
      return fused != nullptr && kernel.ok();
    };
    // An activation the fused kernel does not take stays a step of its own.
    if (a < 0 || !try_fuse(a)) {
      a = -1;
      if (!try_fuse(-1)) continue;
    }
    DraftStep& last = a >= 0 ? steps[a] : bias;
    last.input_slots = {steps[p].input_slots[0], steps[p].input_slots[1], bias.input_slots[1]};
    for (const DraftStep* absorbed : {&steps[p], &bias}) {
      if (absorbed == &last) continue;
      last.extra_control.insert(last.extra_control.end(), absorbed->extra_control.begin(),
                                absorbed->extra_control.end());
    }
    last.node = fused.get();
    last.kernel = kernel->get();
    steps[p].kind = DraftStep::kFused;
    if (a >= 0) bias.kind = DraftStep::kFused;
    draft->owned_nodes.push_back(std::move(fused));
    draft->owned_kernels.push_back(std::move(kernel).value());
  }
}

}  // namespace

void RunGraphPasses(const RewriterConfig& config, const PassContext& context, PlanDraft* draft) {
  if (draft->graph == nullptr) return;
  if (config.identity_forwarding) ForwardIdentities(*draft->graph, draft);
  if (config.constant_folding) FoldConstants(context, draft);
  if (config.remapping) Remap(context, draft);
}

}  // namespace savedmodel
