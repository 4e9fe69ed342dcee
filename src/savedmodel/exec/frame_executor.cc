#include "savedmodel/exec/frame_executor.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

namespace savedmodel {

namespace {

enum class Kind { kNormal, kSwitch, kMerge, kEnter, kExit, kNextIteration, kControlTrigger };

Kind KindOf(const std::string& op) {
  if (op == "Switch" || op == "RefSwitch") return Kind::kSwitch;
  if (op == "Merge" || op == "RefMerge") return Kind::kMerge;
  if (op == "Enter" || op == "RefEnter") return Kind::kEnter;
  if (op == "Exit" || op == "RefExit") return Kind::kExit;
  if (op == "NextIteration" || op == "RefNextIteration") return Kind::kNextIteration;
  if (op == "ControlTrigger") return Kind::kControlTrigger;
  return Kind::kNormal;
}

// A consumer of a step's output (input >= 0) or of its completion (input -1).
struct Edge {
  int step;
  int input;
  int output;  // the producer's output index; unused for control edges
};

}  // namespace

class FlowPlan {
 public:
  struct Step {
    const Node* node;
    Kind kind;
    int num_inputs = 0;
    std::vector<std::pair<int, int>> external;  // (input index, slot) fed from outside
    int internal_producers = 0;  // data + control inputs made by other steps
    int merge_dead_threshold = 0;  // Merge: dead inputs that make it dead
    std::string frame;             // Enter: the child frame's name
    bool constant = false;         // Enter: visible to every iteration
    int output_base = 0;
    std::vector<Edge> consumers;
  };
  std::vector<Step> steps;
  // How many Enter steps lead into each frame name: a frame instance is
  // finished only after each of them has fired into it.
  std::map<std::string, int> enters_per_frame;
};

bool IsControlFlowOp(const std::string& op) {
  Kind k = KindOf(op);
  return k != Kind::kNormal && k != Kind::kControlTrigger;
}

StatusOr<std::shared_ptr<const FlowPlan>> BuildFlowPlan(const std::vector<FlowStepSpec>& specs,
                                                        int num_slots,
                                                        const std::vector<int>& step_of_node) {
  auto plan = std::make_shared<FlowPlan>();
  // slot -> (producing step, output index)
  std::vector<std::pair<int, int>> producer(num_slots, {-1, 0});
  for (size_t i = 0; i < specs.size(); ++i) {
    for (int o = 0; o < specs[i].node->num_outputs(); ++o) {
      producer[specs[i].output_base + o] = {static_cast<int>(i), o};
    }
  }
  plan->steps.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const Node& node = *specs[i].node;
    FlowPlan::Step& s = plan->steps[i];
    s.node = &node;
    s.kind = KindOf(node.op());
    s.num_inputs = static_cast<int>(specs[i].input_slots.size());
    s.output_base = specs[i].output_base;
    int back_edges = 0;
    for (int k = 0; k < s.num_inputs; ++k) {
      const int slot = specs[i].input_slots[k];
      auto [p, out] = producer[slot];
      if (p < 0) {
        s.external.push_back({k, slot});
        continue;
      }
      plan->steps[p].consumers.push_back({static_cast<int>(i), k, out});
      ++s.internal_producers;
      if (KindOf(specs[p].node->op()) == Kind::kNextIteration) ++back_edges;
    }
    for (int c : node.control_inputs) {
      const int p = c < static_cast<int>(step_of_node.size()) ? step_of_node[c] : -1;
      if (p < 0) continue;
      plan->steps[p].consumers.push_back({static_cast<int>(i), -1, 0});
      if (s.kind != Kind::kMerge) ++s.internal_producers;
    }
    if (s.kind == Kind::kMerge) {
      // Inputs from NextIteration belong to later iterations: the first
      // iteration's Merge is dead once its other inputs are.
      s.merge_dead_threshold = s.num_inputs - back_edges > 0 ? s.num_inputs - back_edges : s.num_inputs;
    }
    if (s.kind == Kind::kEnter) {
      auto fa = node.def.attr().find("frame_name");
      if (fa == node.def.attr().end() || fa->second.s().empty()) {
        return InvalidArgument("Enter node '" + node.name() + "' has no frame_name");
      }
      s.frame = fa->second.s();
      auto ca = node.def.attr().find("is_constant");
      s.constant = ca != node.def.attr().end() && ca->second.b();
      ++plan->enters_per_frame[s.frame];
    }
  }
  return std::shared_ptr<const FlowPlan>(std::move(plan));
}

namespace {

struct Frame;

// What one node has received in one iteration.
struct NodeState {
  std::vector<Value> inputs;
  int pending = 0;
  int dead_inputs = 0;
  bool dead = false;
  bool scheduled = false;
};

struct Iteration {
  std::unordered_map<int, NodeState> nodes;
};

struct Invariant {
  Edge edge;
  Value value;
  bool dead;
};

struct Frame {
  Frame* parent = nullptr;
  int64_t parent_iter = 0;
  int depth = 0;
  std::map<int64_t, Iteration> iterations;
  std::vector<Invariant> invariants;  // constant Enters' values, for every iteration
  std::map<std::pair<int64_t, std::string>, std::unique_ptr<Frame>> children;
  std::string name;
  std::set<int> entered;  // Enter steps that fired into this instance
  std::set<int> exits_seen, exits_live;
  bool closed = false;
};

struct Ready {
  Frame* frame;
  int64_t iter;
  int step;
};

class FlowRun {
 public:
  FlowRun(const FlowPlan& plan, std::vector<Value>* values, const FlowKernelCall& call)
      : plan_(plan), values_(values), call_(call) {}

  Status Run() {
    // Source steps of the root frame: every input fed or none at all, or a
    // Merge with a fed (so live) input.
    for (size_t i = 0; i < plan_.steps.size(); ++i) {
      const FlowPlan::Step& s = plan_.steps[i];
      if (s.kind == Kind::kMerge ? !s.external.empty() : s.internal_producers == 0) {
        State(&root_, 0, static_cast<int>(i));
        Schedule(&root_, 0, static_cast<int>(i));
      }
    }
    for (;;) {
      while (!ready_.empty()) {
        Ready r = ready_.front();
        ready_.pop_front();
        RETURN_IF_ERROR(Process(r));
      }
      // Nothing can run: the deepest open frames are finished, and their
      // Exits that never sent a live value now send a dead one.
      std::vector<Frame*> open;
      CollectOpen(&root_, &open);
      // A frame still waiting for one of its Enters is not finished; if
      // nothing else is, the run is stuck and its fetches get no value.
      std::erase_if(open, [&](Frame* f) {
        auto it = plan_.enters_per_frame.find(f->name);
        return it != plan_.enters_per_frame.end() && static_cast<int>(f->entered.size()) < it->second;
      });
      if (open.empty()) break;
      int deepest = 0;
      for (Frame* f : open) deepest = std::max(deepest, f->depth);
      for (Frame* f : open) {
        if (f->depth != deepest) continue;
        f->closed = true;
        for (int exit : f->exits_seen) {
          if (f->exits_live.count(exit)) continue;
          for (const Edge& e : plan_.steps[exit].consumers) Deliver(f->parent, f->parent_iter, e, {}, true);
        }
      }
    }
    return Status::OK();
  }

 private:
  void CollectOpen(Frame* f, std::vector<Frame*>* out) {
    for (auto& [key, child] : f->children) {
      if (!child->closed) out->push_back(child.get());
      CollectOpen(child.get(), out);
    }
  }

  NodeState& State(Frame* f, int64_t iter, int step) {
    Iteration& it = Iter(f, iter);
    auto [pos, inserted] = it.nodes.try_emplace(step);
    NodeState& st = pos->second;
    if (inserted) {
      const FlowPlan::Step& s = plan_.steps[step];
      st.inputs.resize(s.num_inputs);
      st.pending = s.internal_producers;
      for (auto [k, slot] : s.external) st.inputs[k] = (*values_)[slot];
    }
    return st;
  }

  Iteration& Iter(Frame* f, int64_t iter) {
    auto [pos, inserted] = f->iterations.try_emplace(iter);
    if (inserted) {
      // A new iteration sees every loop invariant entered so far.
      for (const Invariant& inv : f->invariants) Deliver(f, iter, inv.edge, inv.value, inv.dead);
    }
    return pos->second;
  }

  void Schedule(Frame* f, int64_t iter, int step) {
    NodeState& st = State(f, iter, step);
    if (st.scheduled) return;
    st.scheduled = true;
    ready_.push_back({f, iter, step});
  }

  void Deliver(Frame* f, int64_t iter, const Edge& e, const Value& v, bool dead) {
    const FlowPlan::Step& s = plan_.steps[e.step];
    NodeState& st = State(f, iter, e.step);
    if (st.scheduled) return;  // a Merge that already fired
    if (s.kind == Kind::kMerge) {
      if (e.input < 0) return;  // Merge waits for no control input
      if (!dead) {
        st.inputs[e.input] = v;
        Schedule(f, iter, e.step);
      } else if (++st.dead_inputs >= s.merge_dead_threshold) {
        st.dead = true;
        Schedule(f, iter, e.step);
      }
      return;
    }
    if (e.input >= 0) st.inputs[e.input] = v;
    st.dead = st.dead || dead;
    if (--st.pending == 0) Schedule(f, iter, e.step);
  }

  Frame* Child(Frame* f, int64_t iter, const std::string& name) {
    auto& slot = f->children[{iter, name}];
    if (!slot) {
      slot = std::make_unique<Frame>();
      slot->parent = f;
      slot->parent_iter = iter;
      slot->depth = f->depth + 1;
      slot->name = name;
    }
    return slot.get();
  }

  // Sends a finished step's outputs (and its completion) to its consumers.
  void Propagate(Frame* f, int64_t iter, int step, const std::vector<Value>& outputs, bool all_dead,
                 const std::vector<bool>& output_dead) {
    const FlowPlan::Step& s = plan_.steps[step];
    for (const Edge& e : s.consumers) {
      const bool dead = all_dead || (e.input >= 0 && output_dead[e.output]);
      static const Value kEmpty;
      const Value& v = dead || e.input < 0 ? kEmpty : outputs[e.output];
      switch (s.kind) {
        case Kind::kEnter: {
          Frame* child = Child(f, iter, s.frame);
          if (s.constant) {
            child->invariants.push_back({e, v, dead});
            for (auto& [n, _] : child->iterations) Deliver(child, n, e, v, dead);
          } else {
            Deliver(child, 0, e, v, dead);
          }
          break;
        }
        case Kind::kExit:
          // Dead exits wait for the frame to finish (see Run); a live one
          // leaves now.
          if (!dead && f->parent != nullptr) Deliver(f->parent, f->parent_iter, e, v, false);
          if (f->parent == nullptr) Deliver(f, iter, e, v, dead);
          break;
        case Kind::kNextIteration:
          if (!dead) Deliver(f, iter + 1, e, v, false);
          break;
        default:
          Deliver(f, iter, e, v, dead);
      }
    }
  }

  Status Process(const Ready& r) {
    const FlowPlan::Step& s = plan_.steps[r.step];
    NodeState& st = State(r.frame, r.iter, r.step);
    const int n_out = s.node->num_outputs();
    std::vector<Value> outputs(n_out);
    std::vector<bool> output_dead(n_out, false);
    bool all_dead = st.dead && s.kind != Kind::kControlTrigger;
    if (s.kind == Kind::kEnter) Child(r.frame, r.iter, s.frame)->entered.insert(r.step);
    if (s.kind == Kind::kExit) {
      r.frame->exits_seen.insert(r.step);
      if (!all_dead) r.frame->exits_live.insert(r.step);
    }
    if (!all_dead) {
      std::vector<const Value*> inputs;
      inputs.reserve(st.inputs.size());
      for (const Value& v : st.inputs) inputs.push_back(&v);
      RETURN_IF_ERROR(call_(r.step, std::move(inputs), &outputs));
      if (s.kind == Kind::kSwitch) {
        // The Switch kernel sets only the taken output; the other is dead.
        for (int o = 0; o < n_out; ++o) {
          output_dead[o] = !outputs[o].resource && !outputs[o].ref && !outputs[o].tensor.IsInitialized();
        }
      }
      // An Exit's outputs belong to the frame it leaves to.
      const bool in_root = s.kind == Kind::kExit ? r.frame->parent == &root_ : r.frame == &root_;
      if (in_root) {
        for (int o = 0; o < n_out; ++o) {
          if (!output_dead[o]) (*values_)[s.output_base + o] = outputs[o];
        }
      }
    }
    st.inputs.clear();  // consumers hold their own copies now
    Propagate(r.frame, r.iter, r.step, outputs, all_dead, output_dead);
    // Every input of a fired node has arrived, so nothing will reach this
    // state again, except a Merge's late inputs, which its state must absorb.
    // Dropping the rest keeps a long loop's bookkeeping from growing with it.
    if (s.kind != Kind::kMerge) Iter(r.frame, r.iter).nodes.erase(r.step);
    return Status::OK();
  }

  const FlowPlan& plan_;
  std::vector<Value>* values_;
  const FlowKernelCall& call_;
  Frame root_;
  std::deque<Ready> ready_;
};

}  // namespace

Status ExecuteFlow(const FlowPlan& plan, std::vector<Value>* values, const FlowKernelCall& call) {
  FlowRun run(plan, values, call);
  return run.Run();
}

}  // namespace savedmodel
