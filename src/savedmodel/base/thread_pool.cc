#include "savedmodel/base/thread_pool.h"

#include "savedmodel/base/denormal.h"
#include "savedmodel/base/memory_budget.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <utility>

#if defined(__linux__)
#include <sched.h>
#endif

namespace savedmodel {

namespace {
// How long an idle worker polls for queued work, and a ParallelFor caller for
// its ranges to finish, before blocking. Waking a thread blocked on a
// condition variable costs the waker a futex call and the sleeper tens of
// microseconds before the scheduler runs it again, while the kernels of a
// batch-1 Run call ParallelFor a few microseconds apart. The budget bounds
// the CPU an idle pool burns to this much after each task. 20 us, measured on
// 2 and 4 dedicated CPUs (docs/performance.md): 10 us missed most hand-offs
// between back-to-back Runs of the softmax model at batch 64, 50 us cost the
// MLP at batch 64 up to 13% on 2 CPUs (pollers slowing the thread that still
// computes).
//
// Polling pays only while every polling thread has a CPU of its own: with
// more runnable threads than CPUs a poller takes the CPU from a thread that
// still has work (the MLP at batch 64 took 1.2x as long, at batch 1 1.15x, on
// 2 CPUs with 2 workers and the caller all polling). So workers poll only
// while, counting the caller, there is a CPU for each (worker i polls when
// i + 2 <= CPUs; the rest block at once), and a ParallelFor caller polls only
// when the whole pool and itself fit the CPUs.
constexpr auto kSpinBudget = std::chrono::microseconds(20);

// This thread's index in its pool; -1 off any pool.
thread_local int worker_index = -1;

// CPUs this process may run on (its affinity mask: taskset, cpusets), read once.
int AvailableCpus() {
  static const int n = [] {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return n;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

// Polls `ready` until it holds or the budget is spent; returns its last value.
// No sched_yield between polls: on a machine with more runnable threads than
// cores, a yield hands the core to a CPU-bound neighbour for a whole time
// slice (4 ms measured), where blocking and being woken costs tens of us.
template <typename Ready>
bool SpinUntil(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBudget;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (ready()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}
}  // namespace

void BlockingCounter::Add(int64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  count_ += n;
}

void BlockingCounter::DecrementCount() {
  std::lock_guard<std::mutex> l(mu_);
  if (--count_ == 0) cv_.notify_all();
}

void BlockingCounter::Wait() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return count_ == 0; });
}

int IntraOpWorkers(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return threads - 1;
}

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < num_threads; ++i) {
    workers_.emplace_back([this, i] {
      worker_index = i;
      WorkerLoop();
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    stopping_.store(true, std::memory_order_relaxed);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Schedule(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(fn));
    queued_.fetch_add(1, std::memory_order_relaxed);
    // A polling worker takes a task without being notified (the futex call
    // would cost this thread microseconds and wake a sleeper to an empty
    // queue): notify only for tasks beyond the pollers. A poller rechecks the
    // queue under mu_ before it blocks, and a worker counts itself under mu_
    // as it starts and stops polling or blocking, so no task is left with
    // every worker asleep.
    wake = sleeping_ > 0 && static_cast<int64_t>(queue_.size()) > polling_;
  }
  if (wake) cv_.notify_one();
}

bool ThreadPool::SpinForWork() const {
  // Relaxed reads: the worker takes mu_ and checks the queue itself after.
  return SpinUntil([this] {
    return queued_.load(std::memory_order_relaxed) > 0 ||
           stopping_.load(std::memory_order_relaxed);
  });
}

void ThreadPool::WorkerLoop() {
  // Workers only run kernels; they flush denormals as the calling thread does
  // inside Session::Run, so results do not depend on which thread ran a chunk.
  ScopedFlushDenormal flush;
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(mu_);
      const bool may_poll = worker_index + 2 <= AvailableCpus();
      while (queue_.empty() && !stop_) {
        if (may_poll) {
          ++polling_;
          l.unlock();
          const bool seen = SpinForWork();
          l.lock();
          --polling_;
          // Another worker may have taken what this one saw: poll again then.
          if (seen || !queue_.empty() || stop_) continue;
        }
        ++sleeping_;
        cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
        --sleeping_;
      }
      if (queue_.empty()) return;  // stop_ and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
    }
    fn();
  }
}

namespace {

// One ParallelFor's ranges, shared with the tasks it schedules. A task that
// starts after every range was claimed touches only `next`, so it may outlive
// the call (the shared_ptr keeps this alive); `fn` is read only by whoever
// claimed a range, and the caller waits for all of those.
struct ForState {
  ForState(const std::function<void(int64_t, int64_t)>* fn, int64_t n, int64_t chunk,
           int64_t parts, AllocationScope scope)
      : fn(fn), n(n), chunk(chunk), parts(parts), done(parts), scope(std::move(scope)) {}

  // Claims and runs up to `max_ranges` ranges; returns early when none are left.
  void RunRanges(int64_t max_ranges) {
    for (int64_t k = 0; k < max_ranges; ++k) {
      const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= parts) return;
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          (*fn)(i * chunk, std::min(n, (i + 1) * chunk));
        } catch (...) {
          std::lock_guard<std::mutex> l(mu);
          if (!error) error = std::current_exception();
          failed.store(true, std::memory_order_relaxed);
        }
      }
      done.DecrementCount();
      // After `done`: once the caller sees zero here, Wait() returns at once.
      unfinished.fetch_sub(1, std::memory_order_release);
    }
  }

  const std::function<void(int64_t, int64_t)>* fn;
  const int64_t n, chunk, parts;
  std::atomic<int64_t> next{0};
  BlockingCounter done;  // ranges not yet finished (or skipped)
  std::atomic<int64_t> unfinished{parts};  // the same count, for the caller to poll
  const AllocationScope scope;
  std::mutex mu;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
};

}  // namespace

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  int64_t max_parts = std::min<int64_t>(num_threads() + 1, (n + min_chunk - 1) / min_chunk);
  if (max_parts <= 1) {
    fn(0, n);
    return;
  }
  const int64_t chunk = (n + max_parts - 1) / max_parts;
  const int64_t parts = (n + chunk - 1) / chunk;
  auto st = std::make_shared<ForState>(&fn, n, chunk, parts, CurrentAllocationScope());
  // One range per task; the caller claims ranges too, every one no worker has
  // started, so it never waits on a queued task (a worker still waking up, or
  // busy, when this is called from inside a range or a pool task).
  for (int64_t i = 1; i < parts; ++i) {
    Schedule([st] {
      ScopedAllocationScope scope(st->scope);
      st->RunRanges(1);
    });
  }
  st->RunRanges(parts);
  // Ranges a worker started usually end within microseconds: poll before
  // blocking. done.Wait() still synchronizes with every range through its mutex.
  if (num_threads() + 1 <= AvailableCpus()) {
    SpinUntil([&] { return st->unfinished.load(std::memory_order_acquire) == 0; });
  }
  st->done.Wait();
  if (st->error) std::rethrow_exception(st->error);
}

void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (pool == nullptr) {
    if (n > 0) fn(0, n);
    return;
  }
  pool->ParallelFor(n, min_chunk, fn);
}

void ForEachBlock(ThreadPool* pool, int64_t threads, int64_t blocks,
                  const std::function<void(int64_t)>& fn) {
  if (pool == nullptr || threads <= 1 || blocks <= 1) {
    for (int64_t blk = 0; blk < blocks; ++blk) fn(blk);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->ParallelFor(std::min(threads, blocks), 1, [&](int64_t, int64_t) {
    for (int64_t blk; (blk = next.fetch_add(1, std::memory_order_relaxed)) < blocks;) fn(blk);
  });
}

}  // namespace savedmodel
