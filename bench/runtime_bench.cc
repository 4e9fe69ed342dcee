// Runtime costs on TF Serving's half_plus_two: model load, per-Run latency by
// tensor name and through Predict (batch 1 and 1024), and the overhead of an
// empty Run. Needs ../shared/testdata. The Run and Predict cases also report
// tensor_allocs: tensor buffers taken from the system allocator per Run (0 once
// the plan's buffer pool holds what a Run needs, core/buffer_pool.h).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "savedmodel/core/buffer_pool.h"
#include "savedmodel/exec/saved_model_bundle.h"

namespace {

using namespace savedmodel;

std::string ModelDir() {
  return std::string(SAVEDMODEL_SHARED_DIR) + "/testdata/tf_serving/saved_model_half_plus_two_cpu/00000123";
}

// Tensor buffers from the system allocator per iteration, from here on.
class AllocationCounter {
 public:
  AllocationCounter() : start_(GetTensorAllocationCounts().system_allocs) {}
  void Report(benchmark::State& state) const {
    state.counters["tensor_allocs"] = benchmark::Counter(
        static_cast<double>(GetTensorAllocationCounts().system_allocs - start_),
        benchmark::Counter::kAvgIterations);
  }

 private:
  int64_t start_;
};

SavedModelBundle* Bundle(benchmark::State& state) {
  static auto* bundle = [] {
    auto b = LoadSavedModel(ModelDir(), {"serve"});
    return b.ok() ? b->release() : nullptr;
  }();
  if (bundle == nullptr) state.SkipWithError("half_plus_two not found or failed to load");
  return bundle;
}

void BM_LoadHalfPlusTwo(benchmark::State& state) {
  for (auto _ : state) {
    auto b = LoadSavedModel(ModelDir(), {"serve"});
    if (!b.ok()) {
      state.SkipWithError(b.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(b->get());
  }
}
BENCHMARK(BM_LoadHalfPlusTwo)->Unit(benchmark::kMicrosecond);

void BM_RunByName(benchmark::State& state) {
  SavedModelBundle* b = Bundle(state);
  if (!b) return;
  Tensor x(DT_FLOAT, TensorShape{state.range(0), 1});
  AllocationCounter allocs;
  for (auto _ : state) {
    auto out = b->session().Run({{"x:0", x}}, {"y:0"});
    benchmark::DoNotOptimize(out);
  }
  allocs.Report(state);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RunByName)->Arg(1)->Arg(1024);

void BM_Predict(benchmark::State& state) {
  SavedModelBundle* b = Bundle(state);
  if (!b) return;
  Tensor x(DT_FLOAT, TensorShape{state.range(0), 1});
  AllocationCounter allocs;
  for (auto _ : state) {
    auto out = b->Predict("serving_default", {{"x", x}});
    benchmark::DoNotOptimize(out);
  }
  allocs.Report(state);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Predict)->Arg(1)->Arg(1024);

void BM_EmptyRun(benchmark::State& state) {
  SavedModelBundle* b = Bundle(state);
  if (!b) return;
  for (auto _ : state) {
    auto out = b->session().Run({}, {});
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_EmptyRun);

void BM_ConcurrentPredict(benchmark::State& state) {
  SavedModelBundle* b = Bundle(state);
  if (!b) return;
  Tensor x(DT_FLOAT, TensorShape{1, 1});
  for (auto _ : state) {
    auto out = b->Predict("serving_default", {{"x", x}});
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ConcurrentPredict)->Threads(2)->Threads(8);

}  // namespace

BENCHMARK_MAIN();
