#include "savedmodel/base/thread_pool.h"

#include "savedmodel/base/denormal.h"

#include <algorithm>

namespace savedmodel {

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

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  int64_t max_parts = std::min<int64_t>(num_threads() + 1, (n + min_chunk - 1) / min_chunk);
  if (max_parts <= 1) {
    fn(0, n);
    return;
  }
  int64_t chunk = (n + max_parts - 1) / max_parts;
  const int64_t parts = (n + chunk - 1) / chunk;
  BlockingCounter done(parts - 1);
  for (int64_t begin = chunk; begin < n; begin += chunk) {
    int64_t end = std::min(n, begin + chunk);
    Schedule([&fn, &done, begin, end] {
      fn(begin, end);
      done.DecrementCount();
    });
  }
  fn(0, std::min(n, chunk));
  done.Wait();
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
