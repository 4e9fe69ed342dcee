// A fixed pool of worker threads. Kernels split work into row ranges with
// ParallelFor; no locks inside kernels.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace savedmodel {

// Elementwise items a chunk must hold before handing it to another thread is
// worth the wake-up (tens of microseconds): measured on the tutorial's batch-100
// training loop, where smaller chunks made thread switches cost more than the math.
inline constexpr int64_t kMinParallelWork = 256 * 1024;

// Counts outstanding work down to zero; Wait() returns once it is zero. The
// last DecrementCount() decrements and notifies while holding the mutex, and
// Wait() reads the count only under it, so when Wait() returns no other thread
// touches the counter again and its owner may destroy it at once. (An atomic
// count decremented outside the lock lets a waiter see zero and return while
// the decrementing thread is still about to lock a destroyed mutex.)
class BlockingCounter {
 public:
  explicit BlockingCounter(int64_t initial = 0) : count_(initial) {}
  BlockingCounter(const BlockingCounter&) = delete;
  BlockingCounter& operator=(const BlockingCounter&) = delete;

  void Add(int64_t n);
  // REQUIRES: the count is positive.
  void DecrementCount();
  void Wait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_;
};

// Workers for an intra-op pool meant to keep `threads` threads busy in all:
// ParallelFor's caller runs ranges too, so it counts as one of them (as in
// ONNX Runtime's intra_op_num_threads); N workers would put N + 1 busy
// threads on N CPUs. `threads` <= 0 means every hardware thread. 0 means the
// caller alone: no pool.
int IntraOpWorkers(int threads);

class ThreadPool {
 public:
  // num_threads <= 0 picks the number of hardware threads.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()); }

  // REQUIRES: fn does not throw (a worker has no one to report to).
  void Schedule(std::function<void()> fn);

  // Calls fn(begin, end) over [0, n) split into at most num_threads()+1 ranges
  // of at least `min_chunk` items, and returns once all have run. Runs inline
  // when the work is small.
  //
  // The caller runs ranges too: workers and the caller claim ranges from a
  // shared counter, and the caller waits only for ranges a worker has already
  // started. So a ParallelFor called from inside another one's range (or from
  // any task on this pool) cannot deadlock waiting for busy workers: at worst
  // the caller runs every range itself.
  //
  // Ranges run under the caller's AllocationScope (base/memory_budget.h). An
  // exception thrown by fn (std::bad_alloc from an allocation, a
  // TensorAllocationError) stops the ranges not yet started and is rethrown
  // on the caller's thread once the started ones finish, so it reaches the
  // session's kernel-call boundary instead of terminating a worker.
  void ParallelFor(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void WorkerLoop();
  // True once queued work or stop_ shows up within the spin budget.
  bool SpinForWork() const;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  // Workers blocked on cv_ and workers polling (SpinForWork), guarded by mu_:
  // Schedule notifies only when more tasks wait than pollers will take.
  int sleeping_ = 0;
  // queue_.size() and stop_, mirrored for idle workers to poll without mu_.
  std::atomic<int64_t> queued_{0};
  std::atomic<bool> stopping_{false};
  int polling_ = 0;  // with sleeping_ above; here it fills padding
  std::vector<std::thread> workers_;
};

// ParallelFor through `pool`, or inline when it is null.
void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk,
                 const std::function<void(int64_t, int64_t)>& fn);

// Runs fn(0) .. fn(blocks - 1) on the caller and up to `threads` - 1 of
// `pool`'s workers (inline when the pool is null or one thread or block is
// all there is). Each thread takes the next block nobody has taken, so a
// thread the OS has set aside holds up one block, not a fixed share of them.
// For work whose result does not depend on which thread runs a block.
void ForEachBlock(ThreadPool* pool, int64_t threads, int64_t blocks,
                  const std::function<void(int64_t)>& fn);

}  // namespace savedmodel
