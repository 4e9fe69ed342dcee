// Session: runs a Graph like TensorFlow's DirectSession. Each distinct
// (feeds, fetches, targets) signature is planned once (pruning to what is
// needed, ordering, kernels built) and cached; later Runs reuse the plan.
//
// Thread-safe: many threads may Run at once. Variables and other resources
// live in the Session and are shared by all Runs, as in TensorFlow.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/memory_budget.h"
#include "savedmodel/base/status.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/exec/graph_passes.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/function_runtime.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

struct AllocationCounters;  // core/buffer_pool.h

// With the per-tensor limit (8 GiB, core/tensor.h) and the per-model default
// (12 GiB, LoadOptions::max_model_bytes), one Run on one model stays within
// about 20 GiB, which a 24 GiB machine survives.
inline constexpr size_t kDefaultMaxBytesPerRun = size_t{8} << 30;

struct SessionOptions {
  Env* env = Env::Default();
  // Threads that share one kernel's work, the calling thread counted (as ONNX
  // Runtime counts it): N makes a pool of N - 1 workers. 0 picks the hardware
  // thread count, 1 runs inline.
  int intra_op_threads = 0;
  // Threads running independent ops of one Run at once; 0 picks the hardware
  // thread count, 1 runs every op on the calling thread. Small or chain-shaped
  // graphs always run on the calling thread.
  int inter_op_threads = 0;
  // Runs every plan that has independent ops on the inter-op pool, skipping the
  // timing trial that may settle on the calling thread; lets tests exercise the
  // threaded executor for certain. Needs inter_op_threads != 1.
  bool force_parallel_executor = false;
  // Borrowed pools used instead of creating the ones above (their thread
  // counts are then ignored), so that many sessions (a server's loaded
  // models) share one pair. Must outlive the session. The inter-op pool must
  // not be the intra-op one: kernels on inter-op workers block on intra-op
  // ParallelFor.
  ThreadPool* intra_op_pool = nullptr;
  ThreadPool* inter_op_pool = nullptr;

  // For sessions that run a function on behalf of a calling kernel (see
  // exec/function_runtime.h): the caller's resources, so variables and tables
  // are shared, and how deep such calls already nest (bounded, so a function
  // that calls itself fails instead of recursing without end).
  ResourceMgr* shared_resources = nullptr;
  int function_call_depth = 0;

  // Bytes of tensors one Run may hold live at once (every tensor its kernels
  // allocate, counted from allocation until freed; feeds are the caller's and
  // not counted). Checked before each allocation: past it the Run fails with
  // RESOURCE_EXHAUSTED naming the node and the size. Each Run has its own
  // budget, so concurrent Runs do not share it. A Run made inside a caller's
  // AllocationScope that has a budget charges that budget instead: a function
  // called by a kernel charges its caller's Run, and the loader's restore and
  // init Runs charge LoadOptions::max_model_bytes. SIZE_MAX turns it off.
  size_t max_bytes_per_run = kDefaultMaxBytesPerRun;

  // Plan-time graph passes (exec/graph_passes.h): identity forwarding,
  // constant folding, fusion. They never change outputs beyond float rounding
  // of fused ops; RewriterConfig::AllOff() runs the graph as written, for
  // debugging a model.
  RewriterConfig rewriter_config;

  // Tensor buffers a plan's Runs free go to the plan's pool (core/buffer_pool.h)
  // and are reused by its next Runs: with unchanged shapes, a Run after the
  // first takes nothing from the system allocator. At most this many bytes
  // per plan wait idle there (buffers idle through two Runs are freed as
  // well); 0 turns reuse off.
  size_t max_pooled_bytes_per_plan = size_t{1} << 30;
};

// Memory figures of one Run, named after the fields of TensorFlow's
// RunMetadata (StepStats' AllocatorMemoryUsed, MemoryStats) and AllocatorStats.
struct RunMetadata {
  // Tensor buffers the Run's kernels took from the system allocator, and
  // those they got from the plan's pool instead. Allocations on intra-op
  // worker threads (inside a kernel's ParallelFor) are not the Run's and are
  // not pooled.
  int64_t num_allocs = 0;
  int64_t num_pool_reuses = 0;
  // Bytes of all tensor buffers the Run's kernels allocated.
  int64_t total_bytes = 0;
  // Most bytes of the Run's tensors live at once (its MemoryBudget's peak; a
  // Run charging a caller's budget reports that budget's).
  size_t peak_bytes = 0;
  // The planned activation arena: the most bytes of step outputs live at once
  // when the plan's steps run in order and each value is dropped after its
  // last reader, for the shapes of this Run (fetched outputs included; feeds,
  // constants, variables, outputs that alias an input, and kernel temporaries
  // not). 0 for plans with TF1 control flow.
  size_t planned_arena_bytes = 0;
  // Bytes of the constants the plan holds for every Run (Consts and folded
  // nodes: the weights of a frozen graph; MemoryStats::persistent_memory_size).
  size_t persistent_bytes = 0;
  // What the plan's pool holds after the Run (AllocatorStats::bytes_reserved):
  // idle buffers plus those still in use, fetched outputs among them.
  size_t bytes_reserved = 0;
};

class Session {
 public:
  static StatusOr<std::unique_ptr<Session>> Create(std::unique_ptr<const Graph> graph,
                                                   const SessionOptions& options = {});
  ~Session();

  // Feeds tensors by name ("x:0"), runs what `fetches` and `targets` need, and
  // returns the fetched tensors in order. Errors name the tensor or node.
  StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                    const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets = {});

  // The same, filling `metadata` (may be null) with the Run's memory figures.
  StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                    const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets, RunMetadata* metadata);

  // Run over Values: resource handles and tensor lists may be fed and fetched
  // (a reference is fetched as its tensor). For call-style kernels.
  StatusOr<std::vector<Value>> RunValues(const std::vector<std::pair<std::string, Value>>& feeds,
                                         const std::vector<std::string>& fetches,
                                         const std::vector<std::string>& targets = {},
                                         RunMetadata* metadata = nullptr);

  // Builds (and caches) the plan for a Run signature without running it, so
  // missing kernels or unknown tensors surface at load time.
  Status Prepare(const std::vector<std::string>& feed_names,
                 const std::vector<std::string>& fetches, const std::vector<std::string>& targets);

  // What a Run signature's plan runs, in order, after the graph passes: (node
  // name, op) per step. For tests and for looking into a model's plan.
  StatusOr<std::vector<std::pair<std::string, std::string>>> PlannedSteps(
      const std::vector<std::string>& feed_names, const std::vector<std::string>& fetches,
      const std::vector<std::string>& targets = {});

  const Graph& graph() const { return *graph_; }
  // The Env its kernels touch files through (SessionOptions::env).
  Env* env() const { return options_.env; }
  ResourceMgr* resources() { return resources_ptr_; }

 private:
  struct Plan;
  // Feed names read in place, from a vector of names or from feed pairs, so a
  // Run copies no name to find its plan.
  class NameList {
   public:
    NameList(const std::vector<std::string>& names)  // NOLINT: implicit on purpose
        : data_(names.data()), size_(names.size()), at_(&AtName) {}
    template <typename V>
    NameList(const std::vector<std::pair<std::string, V>>& feeds)  // NOLINT
        : data_(feeds.data()), size_(feeds.size()), at_(&AtPair<V>) {}
    size_t size() const { return size_; }
    const std::string& operator[](size_t i) const { return at_(data_, i); }

   private:
    static const std::string& AtName(const void* d, size_t i) {
      return static_cast<const std::string*>(d)[i];
    }
    template <typename V>
    static const std::string& AtPair(const void* d, size_t i) {
      return static_cast<const std::pair<std::string, V>*>(d)[i].first;
    }
    const void* data_;
    size_t size_;
    const std::string& (*at_)(const void*, size_t);
  };
  // A cached plan's signature, compared against a Run's names in place.
  struct PlanEntry {
    std::vector<std::string> feeds, fetches, targets;
    std::shared_ptr<const Plan> plan;
  };
  Session(std::unique_ptr<const Graph> graph, const SessionOptions& options);
  StatusOr<std::shared_ptr<const Plan>> GetPlan(const NameList& feed_names,
                                                const std::vector<std::string>& fetches,
                                                const std::vector<std::string>& targets);
  // RunValues and Run: Feed is pair<string, Value> or pair<string, Tensor>,
  // Result Value or Tensor.
  template <typename Result, typename Feed>
  StatusOr<std::vector<Result>> RunInternal(const std::vector<Feed>& feeds,
                                            const std::vector<std::string>& fetches,
                                            const std::vector<std::string>& targets,
                                            RunMetadata* metadata);
  StatusOr<std::shared_ptr<const Plan>> BuildPlan(const std::vector<std::string>& feed_names,
                                                  const std::vector<std::string>& fetches,
                                                  const std::vector<std::string>& targets);
  static void CompactSlots(Plan* plan);
  StatusOr<const OpKernel*> KernelFor(const Node& node);
  // What every kernel call of one Run shares.
  struct RunContext {
    // The Run's budget (see max_bytes_per_run), charged by every kernel call.
    std::shared_ptr<MemoryBudget> budget;
    AllocationCounters* counters = nullptr;  // the Run's allocation counts
    // When RunMetadata is asked for: bytes each step output allocated, by slot.
    std::vector<size_t>* slot_bytes = nullptr;
    // The plan's reused vector for ExecuteSequential's step outputs; null
    // makes it use its own.
    std::vector<Value>* step_outputs = nullptr;
  };
  // `outputs` is scratch reused across the steps of one executor call.
  Status RunStep(const Plan& plan, int index, std::vector<Value>* values, const RunContext& run,
                 std::vector<Value>* outputs);
  // Calls step `index`'s kernel on `inputs`, turning allocation failures into
  // statuses; RunStep gathers and checks the inputs around it.
  Status RunKernel(const Plan& plan, int index, std::span<const Value* const> inputs,
                   std::vector<Value>* outputs, const RunContext& run);
  Status Execute(const Plan& plan, std::vector<Value>* values, const RunContext& run);
  Status ExecuteSequential(const Plan& plan, std::vector<Value>* values, const RunContext& run);
  Status ExecuteParallel(const Plan& plan, std::vector<Value>* values, const RunContext& run);
  static size_t PlannedArenaBytes(const Plan& plan, const std::vector<size_t>& slot_bytes);

  std::unique_ptr<const Graph> graph_;
  SessionOptions options_;
  std::unique_ptr<ThreadPool> owned_pool_;        // intra-op, unless borrowed
  std::unique_ptr<ThreadPool> owned_inter_pool_;  // inter-op, unless borrowed
  ThreadPool* pool_ = nullptr;        // intra-op: owned_pool_ or SessionOptions'; may be null
  ThreadPool* inter_pool_ = nullptr;  // inter-op: likewise
  ResourceMgr resources_;
  ResourceMgr* resources_ptr_;  // &resources_, or the caller's shared_resources
  std::unique_ptr<FunctionLibraryRuntime> functions_;  // null without a library

  std::mutex mu_;  // guards plans_ and kernels_
  // By a hash of the signature's names (see GetPlan).
  std::multimap<size_t, PlanEntry> plans_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;  // by node id, built on first use
};

}  // namespace savedmodel
