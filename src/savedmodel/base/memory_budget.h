// MemoryBudget: a byte limit shared by the allocations of one Run or one
// loaded model, and the per-thread AllocationScope that says which budget (and
// whether the per-tensor limit) applies to the allocations a thread makes.
//
// The session sets the scope around each kernel call; ThreadPool::ParallelFor
// carries the caller's scope into the workers that run its chunks, so a chunk
// allocates under the same limits as the kernel that split its work.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace savedmodel {

// Thread-safe. Bytes are reserved before a buffer is allocated and released
// when it is freed, so used() is the bytes live right now.
class MemoryBudget {
 public:
  // `name` says which setting sets the limit, for error messages
  // ("SessionOptions::max_bytes_per_run").
  MemoryBudget(size_t limit, std::string name) : limit_(limit), name_(std::move(name)) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Adds `bytes` and returns true, or returns false and changes nothing when
  // that would pass the limit.
  bool TryReserve(size_t bytes);
  void Release(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  size_t limit() const { return limit_; }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  // The most bytes live at once so far.
  size_t peak() const { return peak_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }

 private:
  const size_t limit_;
  const std::string name_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> peak_{0};
};

// What limits the allocations of the current thread.
struct AllocationScope {
  // Whether the Tensor(dtype, shape) constructor refuses buffers over
  // MaxTensorBytes() (core/tensor.h).
  bool limit_tensor_bytes = false;
  // Charged for every tensor buffer allocated; null for none.
  std::shared_ptr<MemoryBudget> budget;
};

// The calling thread's scope (thread-local; default: no limits).
AllocationScope& CurrentAllocationScope();

// Replaces the calling thread's scope until destroyed, then restores it.
class ScopedAllocationScope {
 public:
  explicit ScopedAllocationScope(AllocationScope scope);
  ~ScopedAllocationScope();
  ScopedAllocationScope(const ScopedAllocationScope&) = delete;
  ScopedAllocationScope& operator=(const ScopedAllocationScope&) = delete;

 private:
  AllocationScope saved_;
};

}  // namespace savedmodel
