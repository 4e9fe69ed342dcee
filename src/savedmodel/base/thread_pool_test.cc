#include "savedmodel/base/thread_pool.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <new>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/memory_budget.h"

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

// A one-worker pool fits every machine's CPUs, so its worker and callers
// poll instead of blocking between calls: back-to-back ParallelFor and
// Schedule hand-offs, pools destroyed while their worker polls, and every
// range still run exactly once.
TEST(ThreadPoolTest, PollingHandOffsRunEverythingOnce) {
  for (int round = 0; round < 20; ++round) {
    ThreadPool pool(1);
    for (int call = 0; call < 200; ++call) {
      std::vector<int> seen(2 + call % 3, 0);
      pool.ParallelFor(static_cast<int64_t>(seen.size()), 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) seen[i] += 1;
      });
      for (int v : seen) ASSERT_EQ(v, 1);
    }
    BlockingCounter counter(50);
    std::atomic<int> ran{0};
    for (int i = 0; i < 50; ++i) {
      pool.Schedule([&] {
        ++ran;
        counter.DecrementCount();
      });
    }
    counter.Wait();
    EXPECT_EQ(ran.load(), 50);
  }
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

// Runs `body` on another thread and fails (ending the process, since a
// deadlocked thread can be neither joined nor abandoned safely) if it has not
// finished within `seconds`.
void ExpectFinishesWithin(int seconds, std::function<void()> body) {
  auto done = std::async(std::launch::async, std::move(body));
  if (done.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "deadlock: the body did not finish within %d s\n", seconds);
    std::_Exit(1);
  }
  done.get();
}

// A ParallelFor inside every range of another on the same pool: with the old
// pool each outer range blocked a worker waiting for inner ranges queued
// behind the other blocked workers, forever.
TEST(ThreadPoolTest, NestedParallelForDoesNotDeadlock) {
  ExpectFinishesWithin(20, [] {
    for (int threads : {1, 2, 4}) {
      ThreadPool pool(threads);
      for (int round = 0; round < 200; ++round) {
        std::atomic<int64_t> sum{0};
        pool.ParallelFor(8, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            pool.ParallelFor(100, 1, [&](int64_t ib, int64_t ie) {
              for (int64_t j = ib; j < ie; ++j) sum.fetch_add(i * 100 + j);
            });
          }
        });
        EXPECT_EQ(sum.load(), 799 * 800 / 2) << threads << " threads";
      }
    }
  });
}

// A task on a one-thread pool calling ParallelFor on that pool: the only
// worker is the caller, so it must run every range itself.
TEST(ThreadPoolTest, ParallelForFromAPoolTaskDoesNotDeadlock) {
  ExpectFinishesWithin(20, [] {
    ThreadPool pool(1);
    std::promise<int64_t> result;
    pool.Schedule([&] {
      std::atomic<int64_t> sum{0};
      pool.ParallelFor(1000, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum.fetch_add(i);
      });
      result.set_value(sum.load());
    });
    EXPECT_EQ(result.get_future().get(), 999 * 1000 / 2);
  });
}

// bad_alloc thrown in a range that runs on a worker reaches the caller as the
// same exception instead of terminating the process from the worker thread.
TEST(ThreadPoolTest, ExceptionInAWorkerRangeIsRethrownOnTheCaller) {
  ThreadPool pool(3);
  for (int round = 0; round < 50; ++round) {
    const std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> worker_threw{false};
    auto run = [&] {
      pool.ParallelFor(4, 1, [&](int64_t, int64_t) {
        if (std::this_thread::get_id() != caller) {
          worker_threw = true;
          throw std::bad_alloc();
        }
        // Hold the caller in its first range until a worker has thrown, so
        // the throw really happens on a worker.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!worker_threw && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      });
    };
    EXPECT_THROW(run(), std::bad_alloc);
    EXPECT_TRUE(worker_threw.load());
  }
  // The pool still works afterwards.
  std::atomic<int> count{0};
  pool.ParallelFor(100, 1, [&](int64_t b, int64_t e) { count += static_cast<int>(e - b); });
  EXPECT_EQ(count.load(), 100);
}

// Ranges run under the caller's allocation scope, so a worker's allocations
// are charged to the same budget as the kernel's own.
TEST(ThreadPoolTest, RangesRunUnderTheCallersAllocationScope) {
  ThreadPool pool(3);
  auto budget = std::make_shared<MemoryBudget>(1000, "test budget");
  ScopedAllocationScope scope({/*limit_tensor_bytes=*/true, budget});
  std::atomic<int> wrong{0}, ranges{0};
  pool.ParallelFor(64, 1, [&](int64_t, int64_t) {
    const AllocationScope& s = CurrentAllocationScope();
    wrong += s.budget != budget || !s.limit_tensor_bytes;
    ++ranges;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ranges.load(), 4);
}

TEST(MemoryBudgetTest, ReservesUpToTheLimitAndTracksThePeak) {
  MemoryBudget b(100, "b");
  EXPECT_TRUE(b.TryReserve(60));
  EXPECT_FALSE(b.TryReserve(41));
  EXPECT_EQ(b.used(), 60u);
  EXPECT_TRUE(b.TryReserve(40));
  b.Release(70);
  EXPECT_EQ(b.used(), 30u);
  EXPECT_EQ(b.peak(), 100u);
  EXPECT_FALSE(b.TryReserve(SIZE_MAX));  // no wrap-around
}

}  // namespace
}  // namespace savedmodel
