// Thread-pool hand-off latency: back-to-back ParallelFor calls over tiny work,
// the pattern of a batch-1 Run where every kernel splits a few microseconds of
// math, with and without serial work between the calls (the executor's own
// bookkeeping and the small kernels that run inline). What a call costs here
// beyond the work is what waking the workers and waiting for them costs.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>

#include "savedmodel/base/thread_pool.h"

namespace {

using savedmodel::ThreadPool;

// Busy work of about `us` microseconds on the calling thread.
void Work(double us) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(int64_t(us * 1000));
  while (std::chrono::steady_clock::now() < end) {
  }
}

// Args: pool threads, microseconds of work per range, microseconds of serial
// work between calls.
void BM_ParallelForHandOff(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  const double range_us = static_cast<double>(state.range(1));
  const double gap_us = static_cast<double>(state.range(2));
  const int64_t parts = pool.num_threads() + 1;
  for (auto _ : state) {
    pool.ParallelFor(parts, 1, [&](int64_t b, int64_t e) { Work(range_us * double(e - b)); });
    if (gap_us > 0) Work(gap_us);
  }
}
BENCHMARK(BM_ParallelForHandOff)
    ->ArgNames({"threads", "range_us", "gap_us"})
    ->Args({1, 0, 0})
    ->Args({1, 2, 0})
    ->Args({1, 2, 5})
    ->Args({1, 10, 20})
    ->Args({2, 2, 5})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Schedule to an idle pool and wait for the task to have run.
void BM_ScheduleRoundTrip(benchmark::State& state) {
  ThreadPool pool(1);
  const double gap_us = static_cast<double>(state.range(0));
  for (auto _ : state) {
    std::atomic<bool> ran{false};
    pool.Schedule([&] { ran.store(true, std::memory_order_release); });
    while (!ran.load(std::memory_order_acquire)) {
    }
    if (gap_us > 0) Work(gap_us);
  }
}
BENCHMARK(BM_ScheduleRoundTrip)->ArgName("gap_us")->Arg(0)->Arg(20)->Arg(200)
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
