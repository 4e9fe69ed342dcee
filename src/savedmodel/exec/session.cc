#include "savedmodel/exec/session.h"

#include "savedmodel/base/denormal.h"
#include "savedmodel/core/buffer_pool.h"
#include "savedmodel/exec/frame_executor.h"
#include "savedmodel/exec/function_runtime.h"

#include <algorithm>
#include <thread>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace savedmodel {

// One planned Run signature. Immutable once built; shared by concurrent Runs.
//
// Values live in one flat vector per Run: slot_base[node] + output index.
struct Session::Plan {
  struct Step {
    const Node* node;
    const OpKernel* kernel;
    std::vector<int> input_slots;  // into the Run's value vector
    int output_base;
    // The memory plan: slots the sequential executor drops once this step ran
    // (their last reader, or outputs nobody reads), and for the parallel one,
    // the input slots it counts down and its outputs nobody reads.
    std::vector<int> release_after;
    std::vector<int> counted_inputs;
    std::vector<int> dead_outputs;
  };
  std::vector<Step> steps;          // dependency order
  std::vector<int> feed_slots;      // where each feed's tensor goes, in feed order
  std::vector<DataType> feed_types;
  std::vector<int> fetch_slots;     // where each fetch is read from
  int num_slots = 0;
  // Values every Run starts with: Consts and folded nodes the steps read.
  std::vector<std::pair<int, Value>> constants;
  // By slot, the constant a step reads there in place (null for other slots),
  // instead of a copy in the Run's values: copying a Value copies its tensor's
  // shape, a heap allocation per constant per Run. Empty for frame-executor
  // plans, whose Runs copy the constants in. Kernels get their inputs as const
  // and none forwards an input's buffer by its reference count, so a constant
  // read in place is never written.
  std::vector<const Value*> constant_at;
  // Per slot, how many step inputs read it (0 for fetched and fed slots, which
  // are never dropped): the parallel executor's countdown starts here.
  std::vector<int> slot_uses;
  // Fused nodes and their kernels (graph nodes' kernels live in the Session).
  std::vector<std::unique_ptr<Node>> owned_nodes;
  std::vector<std::unique_ptr<OpKernel>> owned_kernels;
  // For the parallel executor: which steps wait on each step, how many steps
  // each waits on, and whether independent work exists at all.
  std::vector<std::vector<int>> consumers;
  std::vector<int> num_producers;
  bool parallel = false;
  // Whether dataflow scheduling pays off depends on how costly the ops are,
  // which only running tells: the first Runs of a parallel-capable plan are
  // timed both ways and the faster mode is kept.
  mutable std::atomic<int> trial_runs{0};
  // Each mode's fastest trial Run.
  mutable std::atomic<int64_t> sequential_ns{INT64_MAX}, parallel_ns{INT64_MAX};
  mutable std::atomic<int> mode{0};  // 0 undecided, 1 sequential, 2 parallel
  // Bytes of `constants`: persistent, held for every Run.
  size_t constant_bytes = 0;
  // Where the Runs' tensor buffers go when freed and come from next time
  // (SessionOptions::max_pooled_bytes_per_plan); null when reuse is off.
  std::shared_ptr<BufferPool> pool;
  // Set when the plan holds TF1 control flow (Switch, Merge, Enter, ...):
  // such plans run on the frame executor instead.
  std::shared_ptr<const FlowPlan> flow;

  // A Run's bookkeeping vectors, kept by the plan between Runs so that a
  // steady Run allocates none: each Run takes one set under `scratch_mu` (or
  // makes its own when concurrent Runs hold them all) and gives it back
  // emptied, so no two Runs share one.
  struct Scratch {
    std::vector<Value> values;        // the Run's value slots
    std::vector<Value> step_outputs;  // what ExecuteSequential's steps fill
    std::shared_ptr<MemoryBudget> budget;  // see RunInternal
  };
  static constexpr size_t kMaxIdleScratch = 4;
  mutable std::mutex scratch_mu;
  mutable std::vector<Scratch> idle_scratch;  // capacity kMaxIdleScratch

  // The value at `slot` of a Run's `values`, or the constant read in place.
  const Value& SlotValue(const std::vector<Value>& values, int slot) const {
    if (!constant_at.empty() && constant_at[slot] != nullptr) return *constant_at[slot];
    return values[slot];
  }
};

namespace {

// Holds one of a plan's Scratch sets for the length of a Run.
template <typename PlanT>
class ScratchLease {
 public:
  explicit ScratchLease(const PlanT& plan) : plan_(plan) {
    std::lock_guard<std::mutex> l(plan_.scratch_mu);
    if (!plan_.idle_scratch.empty()) {
      scratch_ = std::move(plan_.idle_scratch.back());
      plan_.idle_scratch.pop_back();
    }
  }
  ~ScratchLease() {
    // Emptied first (outside the lock): the tensors go back to the pool now,
    // not when a later Run reuses the vectors.
    scratch_.values.clear();
    scratch_.step_outputs.clear();
    std::lock_guard<std::mutex> l(plan_.scratch_mu);
    if (plan_.idle_scratch.size() < PlanT::kMaxIdleScratch) {
      plan_.idle_scratch.push_back(std::move(scratch_));
    }
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  typename PlanT::Scratch& get() { return scratch_; }

 private:
  const PlanT& plan_;
  typename PlanT::Scratch scratch_;
};

// Below this many steps, scheduling costs more than any overlap could win.
constexpr size_t kMinStepsForParallel = 16;

}  // namespace

Session::Session(std::unique_ptr<const Graph> graph, const SessionOptions& options)
    : graph_(std::move(graph)), options_(options) {
  resources_ptr_ = options_.shared_resources ? options_.shared_resources : &resources_;
  if (graph_->library().function_size() > 0) {
    functions_ = std::make_unique<SessionFunctionRuntime>(&graph_->library(), options_.env,
                                                          resources_ptr_,
                                                          options_.function_call_depth);
  }
  if (options_.intra_op_pool != nullptr) {
    pool_ = options_.intra_op_pool;
  } else if (const int workers = IntraOpWorkers(options_.intra_op_threads); workers > 0) {
    owned_pool_ = std::make_unique<ThreadPool>(workers);
    pool_ = owned_pool_.get();
  }
  // A separate pool so kernels running on inter-op workers can still block on
  // intra-op ParallelFor without starving it.
  if (options_.inter_op_pool != nullptr) {
    inter_pool_ = options_.inter_op_pool;
  } else if (options_.inter_op_threads != 1) {
    owned_inter_pool_ = std::make_unique<ThreadPool>(options_.inter_op_threads);
    inter_pool_ = owned_inter_pool_.get();
  }
  kernels_.resize(graph_->nodes().size());
}

Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Create(std::unique_ptr<const Graph> graph,
                                                   const SessionOptions& options) {
  if (graph == nullptr) return InvalidArgument("Session::Create: null graph");
  return std::unique_ptr<Session>(new Session(std::move(graph), options));
}

StatusOr<const OpKernel*> Session::KernelFor(const Node& node) {
  // Called with mu_ held.
  auto& k = kernels_[node.id];
  if (!k) {
    // Kernels decode their constants when built; under a budget (the
    // loader's) an allocation past it throws, as in RunStep.
    StatusOr<std::unique_ptr<OpKernel>> made = [&]() -> StatusOr<std::unique_ptr<OpKernel>> {
      try {
        return KernelRegistry::Global().Create(node, options_.env, functions_.get());
      } catch (const TensorAllocationError& e) {
        return ResourceExhausted("node '" + node.name() + "' (op " + node.op() + "): " + e.message());
      } catch (const std::bad_alloc&) {
        return ResourceExhausted("node '" + node.name() + "' (op " + node.op() +
                                 "): OOM: an allocation failed while building its kernel");
      }
    }();
    ASSIGN_OR_RETURN(k, std::move(made));
  }
  return k.get();
}

// Slots were numbered over the whole graph; a Run needs only those its plan
// touches, so they are renumbered densely (each step's outputs stay
// contiguous) and a Run's value vector is as small as the pruned plan.
void Session::CompactSlots(Plan* plan) {
  std::vector<int> remap(plan->num_slots, -1);
  int next = 0;
  auto map = [&](int& slot) {
    if (remap[slot] < 0) remap[slot] = next++;
    slot = remap[slot];
  };
  for (Plan::Step& step : plan->steps) {
    const int base = step.output_base;
    // A step without outputs (a NoOp, an assignment) owns no slot; its base
    // may be one past the last slot, so it is not looked up.
    step.output_base = next;
    for (int o = 0; o < step.node->num_outputs(); ++o) remap[base + o] = next++;
  }
  for (Plan::Step& step : plan->steps) {
    for (auto* list : {&step.input_slots, &step.release_after, &step.counted_inputs, &step.dead_outputs}) {
      for (int& slot : *list) map(slot);
    }
  }
  for (int& slot : plan->feed_slots) map(slot);
  for (int& slot : plan->fetch_slots) map(slot);
  for (auto& constant : plan->constants) map(constant.first);
  std::vector<int> uses(next, 0);
  for (size_t slot = 0; slot < remap.size(); ++slot) {
    if (remap[slot] >= 0) uses[remap[slot]] = plan->slot_uses[slot];
  }
  plan->slot_uses = std::move(uses);
  plan->num_slots = next;
}

StatusOr<std::shared_ptr<const Session::Plan>> Session::BuildPlan(
    const std::vector<std::string>& feed_names, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets) {
  const Graph& g = *graph_;
  const int n = static_cast<int>(g.nodes().size());
  auto plan = std::make_shared<Plan>();

  std::vector<int> slot_base(n + 1, 0);
  for (int i = 0; i < n; ++i) slot_base[i + 1] = slot_base[i] + g.node(i).num_outputs();
  plan->num_slots = slot_base[n];

  // A fed node does not run: its fed outputs come from the caller.
  std::vector<bool> fed(n, false);
  for (const std::string& name : feed_names) {
    ASSIGN_OR_RETURN(OutputRef ref, g.ParseTensorName(name));
    fed[ref.node] = true;
    plan->feed_slots.push_back(slot_base[ref.node] + ref.index);
    plan->feed_types.push_back(BaseType(g.node(ref.node).output_types[ref.index]));
  }

  std::vector<int> roots;
  for (const std::string& name : fetches) {
    ASSIGN_OR_RETURN(OutputRef ref, g.ParseTensorName(name));
    plan->fetch_slots.push_back(slot_base[ref.node] + ref.index);
    roots.push_back(ref.node);
  }
  for (const std::string& name : targets) {
    std::string_view node_name = name;
    if (!node_name.empty() && node_name[0] == '^') node_name.remove_prefix(1);
    const Node* node = g.FindNode(node_name.substr(0, node_name.find(':')));
    if (node == nullptr) return NotFound("target '" + name + "': no such node in the graph");
    roots.push_back(node->id);
  }

  // Iterative post-order DFS gives a dependency order over the needed nodes.
  enum : uint8_t { kUnseen, kOpen, kDone };
  std::vector<uint8_t> state(n, kUnseen);
  std::vector<int> order;
  // A TF1 while loop closes its cycle from NextIteration back into Merge:
  // that edge is left out of the ordering and its NextIteration planned as
  // one more root (the frame executor, not the order, sequences loops).
  auto back_edge = [&](const Node& node, int dep) {
    return (node.op() == "Merge" || node.op() == "RefMerge") &&
           (g.node(dep).op() == "NextIteration" || g.node(dep).op() == "RefNextIteration");
  };
  for (size_t r = 0; r < roots.size(); ++r) {
    const int root = roots[r];
    if (state[root] != kUnseen) continue;
    std::vector<std::pair<int, size_t>> stack = {{root, 0}};
    state[root] = kOpen;
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const Node& node = g.node(id);
      size_t num_deps = fed[id] ? 0 : node.inputs.size() + node.control_inputs.size();
      if (next < num_deps) {
        int dep = next < node.inputs.size() ? node.inputs[next].node
                                            : node.control_inputs[next - node.inputs.size()];
        ++next;
        if (back_edge(node, dep)) {
          roots.push_back(dep);
          continue;
        }
        if (state[dep] == kOpen) {
          return InvalidArgument("graph has a cycle through node '" + g.node(dep).name() + "'");
        }
        if (state[dep] == kUnseen) {
          state[dep] = kOpen;
          stack.push_back({dep, 0});
        }
        continue;
      }
      state[id] = kDone;
      order.push_back(id);
      stack.pop_back();
    }
  }

  // Every node without a kernel is named at once (by op, with one node each),
  // so a user sees the whole gap in one error instead of one op per attempt.
  PlanDraft draft;
  draft.graph = &g;
  draft.num_slots = plan->num_slots;
  std::map<std::string, std::string> missing;  // op -> first node needing it
  bool control_flow = false;
  for (int id : order) {
    if (fed[id]) continue;
    const Node& node = g.node(id);
    DraftStep step;
    step.node = &node;
    auto kernel = KernelFor(node);
    if (!kernel.ok() && kernel.status().code() == StatusCode::kUnimplemented &&
        !KernelRegistry::Global().Has(node.op())) {
      missing.emplace(node.op(), node.name());
      continue;
    }
    ASSIGN_OR_RETURN(step.kernel, std::move(kernel));
    for (const OutputRef& in : node.inputs) step.input_slots.push_back(slot_base[in.node] + in.index);
    step.output_base = slot_base[id];
    control_flow = control_flow || IsControlFlowOp(node.op());
    draft.steps.push_back(std::move(step));
  }

  if (missing.size() == 1) {
    const auto& [op, node] = *missing.begin();
    return Unimplemented("no kernel for op '" + op + "' (node '" + node + "')");
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& [op, node] : missing) list += (list.empty() ? "" : ", ") + op + " (node '" + node + "')";
    return Unimplemented("no kernels for " + std::to_string(missing.size()) + " ops: " + list);
  }

  // Loops and conditionals keep their graph as written: the frame executor
  // sequences them by tagged values, not by this plan's edges.
  if (!control_flow) {
    draft.pinned = fed;
    for (int r : roots) draft.pinned[r] = true;  // fetched or targeted
    draft.constants.resize(plan->num_slots);
    RunGraphPasses(options_.rewriter_config,
                   {options_.env, functions_.get(), resources_ptr_, pool_}, &draft);
    plan->owned_nodes = std::move(draft.owned_nodes);
    plan->owned_kernels = std::move(draft.owned_kernels);
  }

  // Steps that still run, with what each waits on: the producers of the slots
  // it reads, and for each control input, that node's step or, for a node no
  // longer run, what that node waited on (a forwarded Identity stands for its
  // input's producer; a folded or fused-away node for nothing).
  std::vector<int> slot_producer(plan->num_slots, -1);
  std::vector<int> step_of(n, -1);
  std::vector<std::vector<int>> stand_in(n);
  std::vector<std::vector<int>> producers_of;
  auto add_deps = [&](const DraftStep& step, std::vector<int>* deps) {
    for (int slot : step.input_slots) {
      if (slot_producer[slot] >= 0) deps->push_back(slot_producer[slot]);
    }
    for (const auto* controls : {&step.node->control_inputs, &step.extra_control}) {
      for (int c : *controls) {
        if (step_of[c] >= 0) {
          deps->push_back(step_of[c]);
        } else {
          deps->insert(deps->end(), stand_in[c].begin(), stand_in[c].end());
        }
      }
    }
    std::sort(deps->begin(), deps->end());
    deps->erase(std::unique(deps->begin(), deps->end()), deps->end());
  };
  // A NoOp gathering many control edges stays a step: standing in for it
  // would copy its whole list into each of its consumers.
  constexpr size_t kMaxStandIn = 16;
  for (const DraftStep& d : draft.steps) {
    if (d.kind == DraftStep::kForwarded) {
      auto& waits = stand_in[d.node->id];
      add_deps(d, &waits);
      if (d.node->num_outputs() > 0 || waits.size() <= kMaxStandIn) continue;
      waits.clear();
    } else if (d.kind != DraftStep::kRun) {
      continue;
    }
    const int index = static_cast<int>(plan->steps.size());
    Plan::Step step;
    step.node = d.node;
    step.kernel = d.kernel;
    step.input_slots = d.input_slots;
    step.output_base = d.output_base;
    plan->steps.push_back(std::move(step));
    producers_of.emplace_back();
    add_deps(d, &producers_of.back());
    step_of[d.node->id] = index;
    for (int o = 0; o < d.node->num_outputs(); ++o) slot_producer[d.output_base + o] = index;
  }

  // Constants the remaining steps read start each Run in their slots.
  std::vector<int> reads(plan->num_slots, 0), last_reader(plan->num_slots, -1);
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    for (int slot : plan->steps[i].input_slots) {
      ++reads[slot];
      last_reader[slot] = static_cast<int>(i);
    }
  }
  if (!draft.constants.empty()) {
    for (int slot = 0; slot < plan->num_slots; ++slot) {
      if (reads[slot] > 0 && draft.constants[slot].tensor.IsInitialized()) {
        plan->constants.emplace_back(slot, std::move(draft.constants[slot]));
        plan->constant_bytes += plan->constants.back().second.tensor.byte_size();
      }
    }
  }

  // The memory plan: a value is dropped right after its last reader ran, so
  // a Run holds only live activations. Fetched values stay for the caller;
  // fed ones are the caller's anyway. Frame-executor plans keep every value.
  if (!control_flow) {
    std::vector<bool> kept(plan->num_slots, false);
    for (int slot : plan->fetch_slots) kept[slot] = true;
    for (int slot : plan->feed_slots) kept[slot] = true;
    plan->slot_uses.assign(plan->num_slots, 0);
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      Plan::Step& step = plan->steps[i];
      for (int slot : step.input_slots) {
        if (kept[slot]) continue;
        step.counted_inputs.push_back(slot);
        ++plan->slot_uses[slot];
        if (last_reader[slot] == static_cast<int>(i) &&
            std::find(step.release_after.begin(), step.release_after.end(), slot) == step.release_after.end()) {
          step.release_after.push_back(slot);
        }
      }
      for (int o = 0; o < step.node->num_outputs(); ++o) {
        const int slot = step.output_base + o;
        if (!kept[slot] && reads[slot] == 0) {
          step.dead_outputs.push_back(slot);
          step.release_after.push_back(slot);
        }
      }
    }
  }

  if (!control_flow) CompactSlots(plan.get());

  plan->consumers.assign(plan->steps.size(), {});
  plan->num_producers.assign(plan->steps.size(), 0);
  std::vector<int> depth(plan->steps.size(), 0);
  std::vector<int> width;
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    for (int p : producers_of[i]) {
      plan->consumers[p].push_back(static_cast<int>(i));
      ++plan->num_producers[i];
      depth[i] = std::max(depth[i], depth[p] + 1);
    }
    if (static_cast<size_t>(depth[i]) >= width.size()) width.resize(depth[i] + 1, 0);
    ++width[depth[i]];
  }
  if (control_flow) {
    std::vector<FlowStepSpec> specs;
    specs.reserve(plan->steps.size());
    for (const auto& step : plan->steps) specs.push_back({step.node, step.input_slots, step.output_base});
    ASSIGN_OR_RETURN(plan->flow, BuildFlowPlan(specs, plan->num_slots, step_of));
  }
  int max_width = width.empty() ? 0 : *std::max_element(width.begin(), width.end());
  plan->parallel = plan->steps.size() >= kMinStepsForParallel && max_width >= 2;
  if (options_.max_pooled_bytes_per_plan > 0) {
    plan->pool = BufferPool::Create(options_.max_pooled_bytes_per_plan);
  }
  plan->idle_scratch.reserve(Plan::kMaxIdleScratch);
  if (!plan->flow) {
    plan->constant_at.assign(plan->num_slots, nullptr);
    for (const auto& constant : plan->constants) plan->constant_at[constant.first] = &constant.second;
    for (int slot : plan->feed_slots) plan->constant_at[slot] = nullptr;
  }
  return std::shared_ptr<const Plan>(std::move(plan));
}

namespace {

// Hashes the names in place; the lists are told apart by a separator.
template <typename List>
void HashNames(const List& names, size_t* h) {
  for (size_t i = 0; i < names.size(); ++i) {
    *h = (*h ^ std::hash<std::string_view>{}(names[i])) * 0x100000001b3ull;
  }
  *h = (*h ^ 0x9e3779b97f4a7c15ull) * 0x100000001b3ull;
}

template <typename List>
bool SameNames(const std::vector<std::string>& a, const List& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

// A Run finds its plan without building a key: the cache is keyed by a hash
// of the names and the names are compared in place.
StatusOr<std::shared_ptr<const Session::Plan>> Session::GetPlan(
    const NameList& feed_names, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets) {
  size_t h = 0xcbf29ce484222325ull;
  HashNames(feed_names, &h);
  HashNames(fetches, &h);
  HashNames(targets, &h);
  std::lock_guard<std::mutex> l(mu_);
  for (auto [it, end] = plans_.equal_range(h); it != end; ++it) {
    const PlanEntry& e = it->second;
    if (SameNames(e.feeds, feed_names) && SameNames(e.fetches, fetches) &&
        SameNames(e.targets, targets)) {
      return e.plan;
    }
  }
  PlanEntry entry;
  entry.feeds.reserve(feed_names.size());
  for (size_t i = 0; i < feed_names.size(); ++i) entry.feeds.push_back(feed_names[i]);
  entry.fetches = fetches;
  entry.targets = targets;
  ASSIGN_OR_RETURN(entry.plan, BuildPlan(entry.feeds, fetches, targets));
  std::shared_ptr<const Plan> plan = entry.plan;
  plans_.emplace(h, std::move(entry));
  return plan;
}

Status Session::Prepare(const std::vector<std::string>& feed_names,
                        const std::vector<std::string>& fetches,
                        const std::vector<std::string>& targets) {
  return GetPlan(feed_names, fetches, targets).status();
}

StatusOr<std::vector<std::pair<std::string, std::string>>> Session::PlannedSteps(
    const std::vector<std::string>& feed_names, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets) {
  ASSIGN_OR_RETURN(auto plan, GetPlan(feed_names, fetches, targets));
  std::vector<std::pair<std::string, std::string>> steps;
  for (const Plan::Step& step : plan->steps) steps.emplace_back(step.node->name(), step.node->op());
  return steps;
}

namespace {

// Kernels compute blind, so a missing or uninitialized input stops here.
Status CheckInput(const Node& node, int i, const Value& v) {
  if (v.resource) return Status::OK();
  if (v.ref ? (!IsRefType(node.input_types[i]) && !v.ref->initialized()) : !v.tensor.IsInitialized()) {
    const std::string& src = node.def.input(i);
    if (v.ref) {
      return FailedPrecondition("Attempting to use uninitialized value " + src + " (read by node '" +
                                node.name() + "')");
    }
    return FailedPrecondition("input " + std::to_string(i) + " ('" + src + "') of node '" + node.name() +
                              "' has no value");
  }
  return Status::OK();
}

}  // namespace

Status Session::RunStep(const Plan& plan, int index, std::vector<Value>* values,
                        const RunContext& run, std::vector<Value>* outputs) {
  const Plan::Step& step = plan.steps[index];
  // On the stack for the usual handful of inputs (a vector here was one heap
  // allocation per step of every Run); AddN/Concat with more use the heap.
  constexpr size_t kInlineInputs = 16;
  const Value* inline_inputs[kInlineInputs];
  std::vector<const Value*> heap_inputs;
  const size_t num_inputs = step.input_slots.size();
  const Value** input_ptrs = inline_inputs;
  if (num_inputs > kInlineInputs) {
    heap_inputs.resize(num_inputs);
    input_ptrs = heap_inputs.data();
  }
  for (size_t i = 0; i < num_inputs; ++i) {
    const Value& v = plan.SlotValue(*values, step.input_slots[i]);
    RETURN_IF_ERROR(CheckInput(*step.node, static_cast<int>(i), v));
    input_ptrs[i] = &v;
  }
  const std::span<const Value* const> inputs(input_ptrs, num_inputs);
  outputs->clear();
  outputs->resize(step.node->num_outputs());
  if (run.slot_bytes == nullptr) {
    RETURN_IF_ERROR(RunKernel(plan, index, inputs, outputs, run));
  } else {
    // Counted apart, to tell whether the step allocated at all.
    AllocationCounters step_counts;
    RunContext step_run = run;
    step_run.counters = &step_counts;
    Status s = RunKernel(plan, index, inputs, outputs, step_run);
    run.counters->system_allocs.fetch_add(step_counts.system_allocs.load(), std::memory_order_relaxed);
    run.counters->pool_reuses.fetch_add(step_counts.pool_reuses.load(), std::memory_order_relaxed);
    run.counters->bytes.fetch_add(step_counts.bytes.load(), std::memory_order_relaxed);
    RETURN_IF_ERROR(s);
    // What the step allocated for its outputs: an output sharing an input's
    // bytes (Reshape, a forwarded buffer) or a variable's (ReadVariableOp: the
    // step allocated nothing) is not the step's.
    const bool allocated = step_counts.bytes.load() > 0;
    for (size_t i = 0; i < outputs->size(); ++i) {
      const Tensor& t = (*outputs)[i].tensor;
      bool aliased = !allocated || !t.IsInitialized() || t.byte_size() == 0;
      for (const Value* in : inputs) {
        if (!aliased && in->tensor.raw_data() == t.raw_data()) aliased = true;
      }
      (*run.slot_bytes)[step.output_base + i] = aliased ? 0 : t.byte_size();
    }
  }
  for (size_t i = 0; i < outputs->size(); ++i) (*values)[step.output_base + i] = std::move((*outputs)[i]);
  return Status::OK();
}

Status Session::RunKernel(const Plan& plan, int index, std::span<const Value* const> inputs,
                          std::vector<Value>* outputs, const RunContext& run) {
  const Plan::Step& step = plan.steps[index];
  OpKernelContext ctx(*step.node, inputs, outputs, resources_ptr_, pool_);
  // The one place exceptions stop: allocate_output has no status to return, so
  // a tensor over the per-tensor limit or the Run's budget (or any failed
  // allocation in a kernel, including in its ParallelFor ranges, which rethrow
  // on this thread) throws, and becomes RESOURCE_EXHAUSTED naming the node here.
  ScopedAllocationScope scope({/*limit_tensor_bytes=*/true, run.budget});
  ScopedBufferPool pool(plan.pool.get(), run.counters);
  auto where = [&] { return "node '" + step.node->name() + "' (op " + step.node->op() + "): "; };
  try {
    RETURN_IF_ERROR(step.kernel->Compute(&ctx));
  } catch (const TensorAllocationError& e) {
    return ResourceExhausted(where() + e.message());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(where() + "OOM: an allocation failed");
  } catch (const std::length_error& e) {
    return ResourceExhausted(where() + "OOM: " + e.what());
  }
  return Status::OK();
}

namespace {
constexpr int kTrialRunsPerMode = 4;
}  // namespace

Status Session::Execute(const Plan& plan, std::vector<Value>* values, const RunContext& run) {
  if (plan.flow) {
    return ExecuteFlow(*plan.flow, values, [&](int step, std::vector<const Value*> inputs,
                                               std::vector<Value>* outputs) {
      const Node& node = *plan.steps[step].node;
      // Merge runs with its one live input; the rest are empty on purpose.
      if (node.op() != "Merge") {
        for (size_t i = 0; i < inputs.size(); ++i) {
          RETURN_IF_ERROR(CheckInput(node, static_cast<int>(i), *inputs[i]));
        }
      }
      return RunKernel(plan, step, inputs, outputs, run);
    });
  }
  if (!plan.parallel || !inter_pool_) return ExecuteSequential(plan, values, run);
  if (options_.force_parallel_executor) return ExecuteParallel(plan, values, run);
  int mode = plan.mode.load(std::memory_order_relaxed);
  if (mode == 1) return ExecuteSequential(plan, values, run);
  if (mode == 2) return ExecuteParallel(plan, values, run);
  // Run 0 is a warm-up left out of the trial: it pays the one-time costs
  // (oneDNN's code generation, the buffer pool's first allocations, page
  // faults) that would otherwise count against whichever mode ran first.
  // Then kTrialRunsPerMode Runs of each, compared by their fastest Run, which
  // one stray slow Run on a loaded machine does not move.
  const int trial = plan.trial_runs.fetch_add(1) - 1;
  if (trial < 0) return ExecuteSequential(plan, values, run);
  const bool parallel = trial >= kTrialRunsPerMode;
  auto start = std::chrono::steady_clock::now();
  Status s = parallel ? ExecuteParallel(plan, values, run) : ExecuteSequential(plan, values, run);
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  std::atomic<int64_t>& best = parallel ? plan.parallel_ns : plan.sequential_ns;
  for (int64_t seen = best.load(); ns < seen && !best.compare_exchange_weak(seen, ns);) {
  }
  if (trial == 2 * kTrialRunsPerMode - 1) {
    // Parallel must win clearly: it also occupies more threads.
    // (A concurrent Run may not have recorded its time yet: an unset best is
    // INT64_MAX, which the comparison handles without overflow.)
    const int64_t par = plan.parallel_ns.load(), seq = plan.sequential_ns.load();
    plan.mode.store(par < seq - seq / 10 ? 2 : 1);
  }
  return s;
}

Status Session::ExecuteSequential(const Plan& plan, std::vector<Value>* values,
                                  const RunContext& run) {
  std::vector<Value> local_outputs;
  std::vector<Value>* outputs = run.step_outputs != nullptr ? run.step_outputs : &local_outputs;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    RETURN_IF_ERROR(RunStep(plan, static_cast<int>(i), values, run, outputs));
    for (int slot : plan.steps[i].release_after) (*values)[slot] = Value();
  }
  return Status::OK();
}

// Dataflow scheduling: a step runs once all its producers finished. The thread
// finishing a step continues with one newly ready consumer and hands the rest
// to the inter-op pool. Each value slot has one writer, and the atomic
// countdown orders its write before every read. A second countdown per slot,
// of the reads still to come, drops a value after its last reader.
Status Session::ExecuteParallel(const Plan& plan, std::vector<Value>* values,
                                const RunContext& run) {
  struct State {
    std::vector<std::atomic<int>> pending;
    // Counted down under its own mutex, so once Wait() returns no worker
    // touches `st` again and it may go out of scope.
    BlockingCounter remaining;
    std::mutex mu;
    Status status;
    std::atomic<bool> failed{false};
    std::vector<std::atomic<int>> uses;
    State(size_t n, size_t slots)
        : pending(n), remaining(static_cast<int64_t>(n)), uses(slots) {}
  };
  State st(plan.steps.size(), plan.slot_uses.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) st.pending[i].store(plan.num_producers[i]);
  for (size_t i = 0; i < plan.slot_uses.size(); ++i) st.uses[i].store(plan.slot_uses[i]);

  std::function<void(int)> run_from = [&](int index) {
    std::vector<Value> outputs;
    while (index >= 0) {
      if (!st.failed.load(std::memory_order_relaxed)) {
        Status s = RunStep(plan, index, values, run, &outputs);
        if (!s.ok()) {
          std::lock_guard<std::mutex> l(st.mu);
          if (st.status.ok()) st.status = s;
          st.failed.store(true);
        }
      }
      const Plan::Step& step = plan.steps[index];
      for (int slot : step.counted_inputs) {
        if (st.uses[slot].fetch_sub(1, std::memory_order_acq_rel) == 1) (*values)[slot] = Value();
      }
      for (int slot : step.dead_outputs) (*values)[slot] = Value();
      int next = -1;
      for (int c : plan.consumers[index]) {
        if (st.pending[c].fetch_sub(1, std::memory_order_acq_rel) == 1) {
          if (next < 0) {
            next = c;
          } else {
            inter_pool_->Schedule([&run_from, c] { run_from(c); });
          }
        }
      }
      // Last use of `st` on this path when this was the final step: `next` is
      // then -1, since a ready consumer would still be outstanding.
      st.remaining.DecrementCount();
      index = next;
    }
  };

  std::vector<int> roots;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.num_producers[i] == 0) roots.push_back(static_cast<int>(i));
  }
  for (size_t r = 1; r < roots.size(); ++r) {
    int c = roots[r];
    inter_pool_->Schedule([&run_from, c] { run_from(c); });
  }
  if (!roots.empty()) run_from(roots[0]);
  st.remaining.Wait();
  return st.status;
}

// The sequential executor's live bytes, step by step: each step adds what its
// outputs allocated, then drops what the memory plan releases after it.
size_t Session::PlannedArenaBytes(const Plan& plan, const std::vector<size_t>& slot_bytes) {
  if (plan.flow) return 0;
  size_t live = 0, peak = 0;
  for (const Plan::Step& step : plan.steps) {
    for (int o = 0; o < step.node->num_outputs(); ++o) live += slot_bytes[step.output_base + o];
    peak = std::max(peak, live);
    for (int slot : step.release_after) live -= slot_bytes[slot];
  }
  return peak;
}

namespace {

template <typename Feed>
constexpr bool kTensorFeed = std::is_same_v<typename Feed::second_type, Tensor>;

}  // namespace

template <typename Result, typename Feed>
StatusOr<std::vector<Result>> Session::RunInternal(const std::vector<Feed>& feeds,
                                                   const std::vector<std::string>& fetches,
                                                   const std::vector<std::string>& targets,
                                                   RunMetadata* metadata) {
  std::shared_ptr<const Plan> plan;
  {
    // Constants folded while planning live as long as the plan: not in the
    // pool of a calling Run's plan (this may be a function a kernel calls).
    ScopedBufferPool no_pool(nullptr, nullptr);
    ASSIGN_OR_RETURN(plan, GetPlan(NameList(feeds), fetches, targets));
  }

  ScratchLease<Plan> scratch(*plan);
  std::vector<Value>& values = scratch.get().values;
  values.resize(plan->num_slots);
  if (plan->constant_at.empty()) {
    for (const auto& [slot, value] : plan->constants) values[slot] = value;
  }
  for (size_t i = 0; i < feeds.size(); ++i) {
    // A fed resource handle has no dtype to check.
    DataType dt = plan->feed_types[i];
    if constexpr (kTensorFeed<Feed>) {
      dt = feeds[i].second.dtype();
    } else if (const Value& v = feeds[i].second; !v.resource) {
      dt = v.ref ? BaseType(v.Get().dtype()) : v.tensor.dtype();
    }
    if (dt != plan->feed_types[i]) {
      return InvalidArgument("feed '" + feeds[i].first + "' has type " + DataTypeString(dt) +
                             " but the graph expects " + DataTypeString(plan->feed_types[i]));
    }
    if constexpr (kTensorFeed<Feed>) {
      values[plan->feed_slots[i]].tensor = feeds[i].second;
    } else {
      values[plan->feed_slots[i]] = feeds[i].second;
    }
  }

  // A caller's budget (the calling Run's, for a function a kernel calls; the
  // loader's, for restore and init Runs) takes the place of a fresh one.
  RunContext run;
  run.budget = CurrentAllocationScope().budget;
  if (run.budget == nullptr) {
    // The last Run's budget serves again (it and its name were two heap
    // allocations per Run) when no tensor holds it any more, so nothing is
    // charged to it, and when no RunMetadata asks for this Run's peak (the
    // budget's peak spans every Run that used it).
    std::shared_ptr<MemoryBudget>& kept = scratch.get().budget;
    if (metadata == nullptr && kept != nullptr && kept.use_count() == 1 && kept->used() == 0) {
      run.budget = kept;
    } else {
      run.budget = std::make_shared<MemoryBudget>(options_.max_bytes_per_run,
                                                  "SessionOptions::max_bytes_per_run");
      if (metadata == nullptr) kept = run.budget;
    }
  }
  AllocationCounters counters;
  run.counters = &counters;
  run.step_outputs = &scratch.get().step_outputs;
  std::vector<size_t> slot_bytes;
  if (metadata != nullptr) {
    slot_bytes.assign(plan->num_slots, 0);
    run.slot_bytes = &slot_bytes;
  }
  {
    ScopedFlushDenormal flush;  // kernels see denormals as zero, as in TensorFlow
    RETURN_IF_ERROR(Execute(*plan, &values, run));
  }

  std::vector<Result> result(fetches.size());
  int resource_fetch = -1;  // Run (tensors): a fetched handle fails after the value checks
  for (size_t i = 0; i < fetches.size(); ++i) {
    const Value& v = plan->SlotValue(values, plan->fetch_slots[i]);
    if (v.resource) {
      if constexpr (std::is_same_v<Result, Value>) {
        result[i].resource = v.resource;
      } else {
        if (resource_fetch < 0) resource_fetch = static_cast<int>(i);
      }
      continue;
    }
    Tensor& t = [&]() -> Tensor& {
      if constexpr (std::is_same_v<Result, Value>) {
        return result[i].tensor;
      } else {
        return result[i];
      }
    }();
    t = v.Get();
    if (!t.IsInitialized()) {
      return FailedPrecondition("fetch '" + fetches[i] + "' produced no value (its node is fed "
                                "on another output, or it reads an uninitialized variable)");
    }
  }
  if (resource_fetch >= 0) {
    return InvalidArgument("fetch '" + fetches[resource_fetch] + "' is a resource handle (" +
                           plan->SlotValue(values, plan->fetch_slots[resource_fetch]).resource->DebugString() +
                           "), which cannot be fetched");
  }
  // Whatever the Run still held goes back to the pool before it ages its
  // idle buffers.
  values.clear();
  if (plan->pool) plan->pool->EndRun();
  if (metadata != nullptr) {
    metadata->num_allocs = counters.system_allocs.load();
    metadata->num_pool_reuses = counters.pool_reuses.load();
    metadata->total_bytes = counters.bytes.load();
    metadata->peak_bytes = run.budget->peak();
    metadata->planned_arena_bytes = PlannedArenaBytes(*plan, slot_bytes);
    metadata->persistent_bytes = plan->constant_bytes;
    metadata->bytes_reserved = 0;
    if (plan->pool) {
      const BufferPool::Stats pool = plan->pool->GetStats();
      metadata->bytes_reserved = pool.bytes_in_use + pool.bytes_idle;
    }
  }
  return result;
}

StatusOr<std::vector<Value>> Session::RunValues(
    const std::vector<std::pair<std::string, Value>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets,
    RunMetadata* metadata) {
  return RunInternal<Value>(feeds, fetches, targets, metadata);
}

StatusOr<std::vector<Tensor>> Session::Run(
    const std::vector<std::pair<std::string, Tensor>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets) {
  return RunInternal<Tensor>(feeds, fetches, targets, nullptr);
}

StatusOr<std::vector<Tensor>> Session::Run(
    const std::vector<std::pair<std::string, Tensor>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets,
    RunMetadata* metadata) {
  return RunInternal<Tensor>(feeds, fetches, targets, metadata);
}

}  // namespace savedmodel
