#include "savedmodel/base/thread_pool.h"

#include "savedmodel/base/denormal.h"
#include "savedmodel/base/memory_budget.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <utility>

namespace savedmodel {

namespace {
// Set on a pool's worker threads: a ParallelFor called there (nested in
// another's range, or from any task) must not just wait, since the workers
// that would run its ranges may all be waiting too.
thread_local bool on_pool_worker = false;
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
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Schedule(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void ThreadPool::WorkerLoop() {
  // Workers only run kernels; they flush denormals as the calling thread does
  // inside Session::Run, so results do not depend on which thread ran a chunk.
  ScopedFlushDenormal flush;
  on_pool_worker = true;
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
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
    }
  }

  const std::function<void(int64_t, int64_t)>* fn;
  const int64_t n, chunk, parts;
  std::atomic<int64_t> next{0};
  BlockingCounter done;  // ranges not yet finished (or skipped)
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
  // One range per task and one for the caller, so a caller off the pool
  // always shares the work with a worker. A caller on a pool worker claims
  // every range no worker has started, so it never waits on queued tasks.
  for (int64_t i = 1; i < parts; ++i) {
    Schedule([st] {
      ScopedAllocationScope scope(st->scope);
      st->RunRanges(1);
    });
  }
  st->RunRanges(on_pool_worker ? parts : 1);
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
