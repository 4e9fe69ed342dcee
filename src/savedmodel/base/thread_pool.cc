#include "savedmodel/base/thread_pool.h"

#include "savedmodel/base/denormal.h"
#include "savedmodel/base/memory_budget.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <utility>

namespace savedmodel {

namespace {
// How long an idle worker polls for queued work, and a ParallelFor caller for
// its ranges to finish, before blocking. Waking a thread blocked on a
// condition variable costs the waker a futex call and the sleeper tens of
// microseconds before the scheduler runs it again, while the kernels of a
// batch-1 Run call ParallelFor a few microseconds apart. The budget bounds
// the CPU an idle pool burns to this much after each task.
constexpr auto kSpinBudget = std::chrono::microseconds(50);

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

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
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
    // A worker that is not blocked either runs or spins, and will see the
    // task: only a blocked one needs the (costly) notify. sleeping_ is read
    // under mu_, and a worker counts itself and checks the queue under mu_
    // before it blocks, so no task is left with every worker asleep.
    wake = sleeping_ > 0;
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
      while (queue_.empty() && !stop_) {
        l.unlock();
        const bool seen = SpinForWork();
        l.lock();
        // Another worker may have taken what this one saw: spin again then.
        if (seen || !queue_.empty() || stop_) continue;
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
  SpinUntil([&] { return st->unfinished.load(std::memory_order_acquire) == 0; });
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

}  // namespace savedmodel
