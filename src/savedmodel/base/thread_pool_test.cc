#include "savedmodel/base/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

TEST(ThreadPoolTest, ParallelForCoversTheRangeOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(1000, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

// Many short ParallelFor calls from several threads: each call's completion
// state lives on its caller's stack and dies as soon as it returns, so a worker
// that still touched it after the last decrement (the old protocol) was a
// use-after-free. Run under TSan/ASan this is the regression test; without a
// sanitizer it still checks that every call saw all its chunks finish.
TEST(ThreadPoolTest, ConcurrentShortParallelForCalls) {
  ThreadPool pool(4);
  constexpr int kCallers = 6;
  constexpr int kCalls = 3000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        const int64_t n = 2 + (c + t) % 9;
        std::vector<int> seen(n, 0);  // per call, on this stack
        pool.ParallelFor(n, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) seen[i] += 1;
        });
        for (int v : seen) wrong += v != 1;
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(BlockingCounterTest, WaitReturnsAfterLastDecrementAndCounterCanDie) {
  ThreadPool pool(4);
  for (int round = 0; round < 2000; ++round) {
    auto* counter = new BlockingCounter(3);
    for (int i = 0; i < 3; ++i) pool.Schedule([counter] { counter->DecrementCount(); });
    counter->Wait();
    delete counter;  // no worker may touch it past Wait()
  }
}

}  // namespace
}  // namespace savedmodel
