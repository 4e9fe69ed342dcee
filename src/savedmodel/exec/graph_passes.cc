#include "savedmodel/exec/graph_passes.h"

#include <algorithm>
#include <cmath>
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

// ---- batch-norm folding -------------------------------------------------------

bool BoolAttr(const Node& node, const std::string& name, bool fallback) {
  auto it = node.def.attr().find(name);
  return it == node.def.attr().end() ? fallback : it->second.b();
}

// A float vector of n values held by a plan-time constant slot, or null.
const Tensor* ConstVector(const PlanDraft& draft, int slot, int64_t n) {
  const Tensor& t = draft.constants[slot].tensor;
  if (!t.IsInitialized() || t.dtype() != DT_FLOAT || t.rank() != 1 || t.dim(0) != n) return nullptr;
  return &t;
}

// Who reads each slot among the steps that will run, and which nodes are
// waited on by a control edge; Remap and the dead-node pass count the same way.
struct Readers {
  std::vector<int> count, last, producer;
  std::vector<bool> control_consumed;
};

Readers CountReaders(const PlanDraft& draft) {
  Readers r;
  r.count.assign(draft.num_slots, 0);
  r.last.assign(draft.num_slots, -1);
  r.producer.assign(draft.num_slots, -1);
  r.control_consumed.assign(draft.pinned.size(), false);
  for (const DraftStep& step : draft.steps) {
    for (int c : step.node->control_inputs) r.control_consumed[c] = true;
    for (int c : step.extra_control) r.control_consumed[c] = true;
  }
  for (size_t i = 0; i < draft.steps.size(); ++i) {
    const DraftStep& step = draft.steps[i];
    if (step.kind == DraftStep::kFolded || step.kind == DraftStep::kFused) continue;
    // A forwarded node that something waits on stands for its inputs'
    // producers (session.cc), so those count as read.
    if (step.kind == DraftStep::kForwarded && !r.control_consumed[step.node->id]) continue;
    for (int s : step.input_slots) {
      ++r.count[s];
      r.last[s] = static_cast<int>(i);
    }
    if (step.kind == DraftStep::kRun) {
      for (int o = 0; o < step.node->num_outputs(); ++o) r.producer[step.output_base + o] = static_cast<int>(i);
    }
  }
  return r;
}

// Conv2D [-> BiasAdd] -> FusedBatchNorm{,V2,V3} (inference: is_training
// false), float and NHWC, where the filter, the bias and the four batch-norm
// vectors are plan-time constants: the batch norm is y = x * a + b per output
// channel (a = scale / sqrt(variance + epsilon), b = offset - mean * a, as the
// FusedBatchNorm kernel computes them), so the convolution with its filter's
// output channels scaled by a, plus the bias b0 * a + b, gives the same up to
// rounding. The Conv2D then reads the scaled filter, and the batch norm step
// becomes a BiasAdd of the folded bias, which the remapper fuses with the
// convolution and a following activation.
//
// Constants only, never variables: a variable's value is known only when a
// Run reads it, a plan is built once and kept for the Session's life, and
// any Run (another signature, a training step, an Assign in a TF1 graph) may
// write the variable between two Runs of this plan, which would leave folded
// weights stale. Frozen graphs (`savedmodel freeze`, TF1 exports with
// Const weights) hold constants.
//
// The two new constants need slots of their own; the batch norm's outputs 1
// and 2 (batch mean and variance, in inference copies of its inputs) are
// used when nothing reads them, so the plan's slot count stays as the
// session sized it.
void FoldBatchNorms(const PassContext& context, PlanDraft* draft) {
  auto& steps = draft->steps;
  Readers rd = CountReaders(*draft);
  auto inner = [&](const DraftStep& step) {
    const Node& node = *step.node;
    return step.kind == DraftStep::kRun && !draft->pinned[node.id] && !rd.control_consumed[node.id] &&
           node.control_inputs.empty() && step.extra_control.empty() && node.num_outputs() == 1 &&
           rd.count[step.output_base] == 1;
  };
  for (DraftStep& bn : steps) {
    const Node& bn_node = *bn.node;
    const std::string& op = bn_node.op();
    if (bn.kind != DraftStep::kRun ||
        (op != "FusedBatchNorm" && op != "FusedBatchNormV2" && op != "FusedBatchNormV3") ||
        draft->pinned[bn_node.id] || bn.input_slots.size() != 5 || bn_node.num_outputs() < 3 ||
        bn_node.input_types[0] != DT_FLOAT || bn_node.output_types[0] != DT_FLOAT ||
        BoolAttr(bn_node, "is_training", true) || StringAttr(bn_node, "data_format") != "NHWC" ||
        rd.count[bn.output_base + 1] != 0 || rd.count[bn.output_base + 2] != 0) {
      continue;
    }
    int p = rd.producer[bn.input_slots[0]];
    if (p < 0 || !inner(steps[p]) || steps[p].output_base != bn.input_slots[0]) continue;
    DraftStep* bias = nullptr;
    if (steps[p].node->op() == "BiasAdd") {
      bias = &steps[p];
      if (!FloatNode(*bias->node) || StringAttr(*bias->node, "data_format") != "NHWC" ||
          bias->input_slots.size() != 2) {
        continue;
      }
      p = rd.producer[bias->input_slots[0]];
      if (p < 0 || !inner(steps[p]) || steps[p].output_base != bias->input_slots[0]) continue;
    }
    DraftStep& conv = steps[p];
    if (conv.node->op() != "Conv2D" || !FloatNode(*conv.node) ||
        StringAttr(*conv.node, "data_format") != "NHWC" || conv.input_slots.size() != 2) {
      continue;
    }
    const Tensor& filter = draft->constants[conv.input_slots[1]].tensor;
    if (!filter.IsInitialized() || filter.dtype() != DT_FLOAT || filter.rank() != 4) continue;
    const int64_t c = filter.dim(3);
    const Tensor* b0 = bias ? ConstVector(*draft, bias->input_slots[1], c) : nullptr;
    const Tensor* scale = ConstVector(*draft, bn.input_slots[1], c);
    const Tensor* offset = ConstVector(*draft, bn.input_slots[2], c);
    const Tensor* mean = ConstVector(*draft, bn.input_slots[3], c);
    const Tensor* var = ConstVector(*draft, bn.input_slots[4], c);
    if ((bias && !b0) || !scale || !offset || !mean || !var) continue;
    float epsilon = 1e-4f;  // the op's default
    if (auto it = bn_node.def.attr().find("epsilon"); it != bn_node.def.attr().end()) epsilon = it->second.f();

    // The BiasAdd the batch norm becomes, named as it so a later pass or a
    // control edge still finds it.
    auto add = std::make_unique<Node>();
    add->id = bn_node.id;
    tensorflow::NodeDef& def = add->def;
    def.set_name(bn_node.name());
    def.set_op("BiasAdd");
    def.set_device(bn_node.def.device());
    def.add_input(conv.node->name());
    def.add_input(bn_node.def.input(2));
    (*def.mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
    (*def.mutable_attr())["data_format"].set_s("NHWC");
    OpRegistry::Global().AddDefaultAttrs(&def);
    if (!OpRegistry::Global().ResolveTypes(def, &add->input_types, &add->output_types).ok()) continue;
    add->inputs = {OutputRef{conv.node->id, 0}, bn_node.inputs[2]};
    add->control_inputs = bn_node.control_inputs;
    auto kernel = KernelRegistry::Global().Create(*add, context.env, context.functions);
    if (!kernel.ok()) continue;

    const float* f = filter.flat<float>().data();
    Tensor new_filter(DT_FLOAT, filter.shape());
    Tensor new_bias(DT_FLOAT, TensorShape{c});
    float* nf = new_filter.flat<float>().data();
    float* nb = new_bias.flat<float>().data();
    std::vector<float> a(c);
    for (int64_t k = 0; k < c; ++k) {
      a[k] = scale->flat<float>()[k] / std::sqrt(var->flat<float>()[k] + epsilon);
      const float b = offset->flat<float>()[k] - mean->flat<float>()[k] * a[k];
      nb[k] = b0 ? b0->flat<float>()[k] * a[k] + b : b;
    }
    for (int64_t i = 0; i < filter.num_elements(); ++i) nf[i] = f[i] * a[i % c];

    const int filter_slot = bn.output_base + 1, bias_slot = bn.output_base + 2;
    draft->constants[filter_slot] = Value{};
    draft->constants[filter_slot].tensor = std::move(new_filter);
    draft->constants[bias_slot] = Value{};
    draft->constants[bias_slot].tensor = std::move(new_bias);
    conv.input_slots[1] = filter_slot;
    bn.input_slots = {conv.output_base, bias_slot};
    if (bias) {
      bias->kind = DraftStep::kFused;
      bn.extra_control.insert(bn.extra_control.end(), bias->extra_control.begin(), bias->extra_control.end());
    }
    bn.node = add.get();
    bn.kernel = kernel->get();
    draft->owned_nodes.push_back(std::move(add));
    draft->owned_kernels.push_back(std::move(kernel).value());
  }
}

// ---- dead-node removal ----------------------------------------------------------

// Steps whose outputs no running step reads, that nothing waits on, that are
// not fed, fetched or targeted, and whose op has no effect beyond its outputs
// are dropped (marked kFused: they never run). Not dropped: stateful ops
// (per their OpDef), ops writing through a ref input (Assign and the Scatter
// family are not marked stateful), calls and control flow. Walked backwards,
// so a chain that only fed a dropped step goes too. What usually goes: what
// only fed folded or fused steps (shape arithmetic behind a folded Reshape,
// the reads of batch-norm parameters folded into a convolution).
void RemoveDeadNodes(PlanDraft* draft) {
  Readers rd = CountReaders(*draft);
  const Graph& g = *draft->graph;
  for (size_t i = draft->steps.size(); i-- > 0;) {
    DraftStep& step = draft->steps[i];
    const Node& node = *step.node;
    if (step.kind != DraftStep::kRun || draft->pinned[node.id] || rd.control_consumed[node.id] ||
        node.num_outputs() == 0 || NeverFold(node.op())) {
      continue;
    }
    bool read = false;
    for (int o = 0; o < node.num_outputs(); ++o) read = read || rd.count[step.output_base + o] > 0;
    if (read) continue;
    const tensorflow::OpDef* op_def = OpRegistry::Global().Find(node.op());
    if (op_def == nullptr || op_def->is_stateful()) continue;
    bool ref = false;
    for (const OutputRef& in : node.inputs) ref = ref || IsRefType(g.node(in.node).output_types[in.index]);
    for (DataType dt : node.input_types) ref = ref || IsRefType(dt);
    if (ref) continue;
    for (int s : step.input_slots) --rd.count[s];
    step.kind = DraftStep::kFused;
  }
}

}  // namespace

void RunGraphPasses(const RewriterConfig& config, const PassContext& context, PlanDraft* draft) {
  if (draft->graph == nullptr) return;
  if (config.identity_forwarding) ForwardIdentities(*draft->graph, draft);
  if (config.constant_folding) {
    FoldConstants(context, draft);
    FoldBatchNorms(context, draft);  // folds plan-time constants: part of constant folding
  }
  if (config.remapping) Remap(context, draft);
  // Only the other passes leave dead steps behind (a pruned plan has none as
  // written), so it runs with them.
  if (config.constant_folding || config.remapping) RemoveDeadNodes(draft);
}

}  // namespace savedmodel
