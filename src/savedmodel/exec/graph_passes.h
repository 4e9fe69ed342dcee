// Plan-time graph passes: rewrites of one planned Run signature (the nodes a
// set of feeds, fetches and targets needs, in dependency order) that make the
// Run cheaper without changing what it computes:
//   - identity forwarding: consumers of Identity-like nodes read the node's
//     input directly, so the node never runs;
//   - constant folding: nodes whose inputs are all constants are evaluated
//     once here, and Runs start with their outputs in place;
//   - remapping: MatMul/Conv2D + BiasAdd [+ activation] become TensorFlow's
//     grappler ops _FusedMatMul/_FusedConv2D, where those kernels exist.
// The passes work per signature, on the pruned graph, so a node whose output
// is fed, fetched or targeted is never touched, and the Graph itself stays
// immutable (fused nodes are owned by the draft, then by the plan).
// Graphs with TF1 control flow are not passed through these (the frame
// executor keeps its own plan).
#pragma once

#include <memory>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

// Which passes run; all by default. Named after TensorFlow's RewriterConfig
// (tensorflow/core/protobuf/rewriter_config.proto), whose toggles these
// mirror. Turning them off is for debugging a model: outputs must not change.
struct RewriterConfig {
  bool identity_forwarding = true;
  bool constant_folding = true;
  bool remapping = true;  // op fusion, TF's "remapper"

  static RewriterConfig AllOff() { return {false, false, false}; }
};

// Folded values are capped so a hostile Fill or Tile is never materialized at
// load: each output at most this many bytes, and at most
// kMaxFoldGrowth x (1 + the bytes of the node's inputs).
inline constexpr size_t kMaxFoldedBytes = size_t{16} << 20;
inline constexpr size_t kMaxFoldGrowth = 8;

// One step of a plan under construction.
struct DraftStep {
  enum Kind : uint8_t {
    kRun,        // runs its kernel at Run time
    kForwarded,  // its outputs alias its inputs; never runs
    kFolded,     // its outputs are plan-time constants; never runs
    kFused,      // absorbed into a later fused step; never runs
  };
  const Node* node = nullptr;  // a graph node, or a node owned by the draft
  const OpKernel* kernel = nullptr;
  std::vector<int> input_slots;  // into the Run's value vector
  // Graph node ids this step waits on besides node->control_inputs: those of
  // forwarded Identities it now reads through (their ordering carries over).
  std::vector<int> extra_control;
  int output_base = 0;
  Kind kind = kRun;
};

struct PlanDraft {
  const Graph* graph = nullptr;
  std::vector<DraftStep> steps;  // dependency order
  int num_slots = 0;
  std::vector<bool> pinned;       // by graph node id: fed, fetched or targeted
  std::vector<Value> constants;   // by slot; set where the slot holds a plan-time constant
  std::vector<std::unique_ptr<Node>> owned_nodes;        // fused nodes
  std::vector<std::unique_ptr<OpKernel>> owned_kernels;  // their kernels
};

// What constant folding and fused kernels need from the session.
struct PassContext {
  Env* env = nullptr;
  FunctionLibraryRuntime* functions = nullptr;
  ResourceMgr* resources = nullptr;
  ThreadPool* pool = nullptr;
};

// Runs the passes `config` enables over `draft`, in place. Never fails: a node
// a pass cannot handle (a folding error, a missing fused kernel) is left to
// run as before, and reports its own errors at Run time.
void RunGraphPasses(const RewriterConfig& config, const PassContext& context, PlanDraft* draft);

}  // namespace savedmodel
