// BufferPool: tensor buffers kept for reuse between the Runs of one plan, and
// the process-wide count of tensor buffers taken from the system allocator.
//
// The session gives each plan a pool and makes it the thread's current pool
// (ScopedBufferPool) around each kernel call. TensorBuffer (core/tensor.cc)
// then takes its numeric bytes from that pool and gives them back when the
// last Tensor on them is gone, which the session's memory plan makes happen
// right after a value's last reader. So from the second Run of a plan with the
// same shapes, kernel outputs and temporaries land in blocks released earlier
// instead of fresh pages from the system allocator.
//
// A request takes the smallest idle block that fits and is at most four
// times its size, so a smaller layer reuses a larger one's freed buffer and
// the pool holds about the plan's peak of live bytes, not one buffer per size.
//
// A block is reused only after its TensorBuffer was destroyed, so never while
// any Tensor still refers to it. Zero-filled tensors are still zero-filled
// (TensorBuffer clears a reused block as it clears a fresh one). The pool is
// reference-counted by its owner and by every block handed out: a fetched
// output stays valid after the Run and after the session is gone.
//
// How much it keeps idle is bounded twice: never more than `max_idle_bytes`
// (one huge request's buffers are freed, not kept), and a block no Run took
// in the last two Runs is freed at the end of a Run, so after a request with
// giant shapes the next ordinary Runs give its buffers back to the system.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace savedmodel {

// Process-wide, since start; every thread's tensor buffers counted. Adopted
// external buffers (Tensor::WrapExternal) are not allocations and not counted.
struct TensorAllocationCounts {
  int64_t system_allocs = 0;  // buffers whose bytes came from the system allocator
  int64_t system_bytes = 0;   // their bytes
  int64_t pool_reuses = 0;    // buffers that reused a pooled block instead
};
TensorAllocationCounts GetTensorAllocationCounts();

// One Run's counts, bumped by whichever thread runs a kernel for it.
struct AllocationCounters {
  std::atomic<int64_t> system_allocs{0};
  std::atomic<int64_t> pool_reuses{0};
  std::atomic<int64_t> bytes{0};  // bytes of every tensor buffer allocated
};

class BufferPool {
 public:
  // What the pool holds now, in TensorFlow's AllocatorStats terms.
  struct Stats {
    size_t bytes_in_use = 0;         // handed out and not yet back
    size_t bytes_idle = 0;           // kept for reuse
    size_t peak_bytes_reserved = 0;  // most of in use + idle at once
    int64_t num_allocs = 0;          // blocks taken from the system allocator
    int64_t num_reuses = 0;          // requests served from idle blocks
  };

  // `max_idle_bytes` of 0 keeps nothing: every buffer goes back to the system.
  static std::shared_ptr<BufferPool> Create(size_t max_idle_bytes);

  // The bytes of a tensor buffer: `data` is kTensorAlignment-aligned with room
  // for `bytes`; `Release(handle)` gives it back (from any thread). A null
  // `data` means the system allocator failed.
  struct Lease {
    void* data = nullptr;
    void* handle = nullptr;
  };
  Lease Take(size_t bytes, AllocationCounters* counters);
  static void Release(void* handle);

  // Called once per finished Run: frees every idle block after the first
  // Run, and afterwards idle blocks no Run took in the last two Runs.
  void EndRun();
  Stats GetStats() const;

 private:
  struct Block;
  struct FreeList {
    size_t capacity;
    Block* head;
  };
  explicit BufferPool(size_t max_idle_bytes) : max_idle_bytes_(max_idle_bytes) {}
  ~BufferPool() = default;
  void Give(Block* block);
  static void Unref(BufferPool* pool);
  // Frees idle blocks and drops the owner's reference (the shared_ptr deleter).
  void Close();

  const size_t max_idle_bytes_;
  mutable std::mutex mu_;
  std::vector<FreeList> free_;  // sorted by capacity; a list stays once made
  bool closed_ = false;
  uint64_t epoch_ = 0;          // Runs ended
  Stats stats_;
  std::atomic<int64_t> refs_{1};  // the owner's, plus one per block handed out
};

// Makes `pool` the calling thread's current pool (null for none) and
// `counters` the current Run's counts (may be null) until destroyed.
class ScopedBufferPool {
 public:
  ScopedBufferPool(BufferPool* pool, AllocationCounters* counters);
  ~ScopedBufferPool();
  ScopedBufferPool(const ScopedBufferPool&) = delete;
  ScopedBufferPool& operator=(const ScopedBufferPool&) = delete;

 private:
  BufferPool* saved_pool_;
  AllocationCounters* saved_counters_;
};

// For core/tensor.cc: the calling thread's current pool and counters.
BufferPool* CurrentBufferPool();
AllocationCounters* CurrentAllocationCounters();
// For core/tensor.cc: counts a buffer that bypassed any pool.
void CountSystemAllocation(size_t bytes, AllocationCounters* counters);

}  // namespace savedmodel
