#include "savedmodel/exec/session.h"

#include <algorithm>

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
  };
  std::vector<Step> steps;          // dependency order
  std::vector<int> feed_slots;      // where each feed's tensor goes, in feed order
  std::vector<DataType> feed_types;
  std::vector<int> fetch_slots;     // where each fetch is read from
  int num_slots = 0;
};

Session::Session(std::unique_ptr<const Graph> graph, const SessionOptions& options)
    : graph_(std::move(graph)), options_(options) {
  if (options_.intra_op_threads != 1) pool_ = std::make_unique<ThreadPool>(options_.intra_op_threads);
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
    ASSIGN_OR_RETURN(k, KernelRegistry::Global().Create(node, options_.env));
  }
  return k.get();
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
  for (int root : roots) {
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
        if (state[dep] == kOpen) {
          return InvalidArgument("graph has a cycle through node '" + g.node(dep).name() +
                                 "' (control flow loops are not supported here)");
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

  for (int id : order) {
    if (fed[id]) continue;
    const Node& node = g.node(id);
    Plan::Step step;
    step.node = &node;
    ASSIGN_OR_RETURN(step.kernel, KernelFor(node));
    for (const OutputRef& in : node.inputs) step.input_slots.push_back(slot_base[in.node] + in.index);
    step.output_base = slot_base[id];
    plan->steps.push_back(std::move(step));
  }
  return std::shared_ptr<const Plan>(std::move(plan));
}

StatusOr<std::shared_ptr<const Session::Plan>> Session::GetPlan(
    const std::vector<std::string>& feed_names, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets) {
  std::string key;
  for (const auto* list : {&feed_names, &fetches, &targets}) {
    for (const std::string& s : *list) {
      key += s;
      key += '\x01';
    }
    key += '\x02';
  }
  std::lock_guard<std::mutex> l(mu_);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  ASSIGN_OR_RETURN(auto plan, BuildPlan(feed_names, fetches, targets));
  plans_.emplace(std::move(key), plan);
  return plan;
}

Status Session::Prepare(const std::vector<std::string>& feed_names,
                        const std::vector<std::string>& fetches,
                        const std::vector<std::string>& targets) {
  return GetPlan(feed_names, fetches, targets).status();
}

StatusOr<std::vector<Tensor>> Session::Run(
    const std::vector<std::pair<std::string, Tensor>>& feeds,
    const std::vector<std::string>& fetches, const std::vector<std::string>& targets) {
  std::vector<std::string> feed_names;
  feed_names.reserve(feeds.size());
  for (const auto& f : feeds) feed_names.push_back(f.first);
  ASSIGN_OR_RETURN(auto plan, GetPlan(feed_names, fetches, targets));

  std::vector<Value> values(plan->num_slots);
  for (size_t i = 0; i < feeds.size(); ++i) {
    const Tensor& t = feeds[i].second;
    if (t.dtype() != plan->feed_types[i]) {
      return InvalidArgument("feed '" + feeds[i].first + "' has type " + DataTypeString(t.dtype()) +
                             " but the graph expects " + DataTypeString(plan->feed_types[i]));
    }
    values[plan->feed_slots[i]].tensor = t;
  }

  std::vector<const Value*> inputs;
  std::vector<Value> outputs;
  for (const auto& step : plan->steps) {
    inputs.clear();
    for (size_t i = 0; i < step.input_slots.size(); ++i) {
      const Value& v = values[step.input_slots[i]];
      // Kernels compute blind, so a missing or uninitialized input stops here.
      if (v.resource) {
        inputs.push_back(&v);
        continue;
      }
      if (v.ref ? (!IsRefType(step.node->input_types[i]) && !v.ref->initialized())
                : !v.tensor.IsInitialized()) {
        const std::string& src = step.node->def.input(static_cast<int>(i));
        if (v.ref) {
          return FailedPrecondition("Attempting to use uninitialized value " + src +
                                    " (read by node '" + step.node->name() + "')");
        }
        return FailedPrecondition("input " + std::to_string(i) + " ('" + src + "') of node '" +
                                  step.node->name() + "' has no value");
      }
      inputs.push_back(&v);
    }
    outputs.assign(step.node->num_outputs(), Value{});
    OpKernelContext ctx(*step.node, inputs, &outputs, &resources_, pool_.get());
    RETURN_IF_ERROR(step.kernel->Compute(&ctx));
    for (size_t i = 0; i < outputs.size(); ++i) values[step.output_base + i] = std::move(outputs[i]);
  }

  std::vector<Tensor> result;
  result.reserve(fetches.size());
  for (size_t i = 0; i < fetches.size(); ++i) {
    const Value& v = values[plan->fetch_slots[i]];
    if (v.resource) {
      return InvalidArgument("fetch '" + fetches[i] + "' is a resource handle (" +
                             v.resource->DebugString() + "), which cannot be fetched");
    }
    Tensor t = v.Get();
    if (!t.IsInitialized()) {
      return FailedPrecondition("fetch '" + fetches[i] + "' produced no value (its node is fed "
                                "on another output, or it reads an uninitialized variable)");
    }
    result.push_back(std::move(t));
  }
  return result;
}

}  // namespace savedmodel
