#include "savedmodel/core/buffer_pool.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace savedmodel {

namespace {

// Kept equal to kTensorAlignment (core/tensor.h, not included here so that
// this file does not rebuild with it); the header in front of each block's
// data is one such unit, so the data stays aligned.
constexpr size_t kAlign = 64;
// A request may take an idle block up to this many times its size.
constexpr size_t kMaxSlack = 4;

std::atomic<int64_t> g_system_allocs{0};
std::atomic<int64_t> g_system_bytes{0};
std::atomic<int64_t> g_pool_reuses{0};

thread_local BufferPool* current_pool = nullptr;
thread_local AllocationCounters* current_counters = nullptr;

}  // namespace

// Sits in the first kAlign bytes of each block's allocation, before the data.
struct BufferPool::Block {
  BufferPool* pool;
  size_t capacity;     // bytes of data after the header
  Block* next;         // in a free list
  uint64_t last_used;  // the pool's epoch when it last came back
};
static_assert(sizeof(void*) * 4 <= kAlign, "block header must fit in front of the data");

TensorAllocationCounts GetTensorAllocationCounts() {
  TensorAllocationCounts c;
  c.system_allocs = g_system_allocs.load(std::memory_order_relaxed);
  c.system_bytes = g_system_bytes.load(std::memory_order_relaxed);
  c.pool_reuses = g_pool_reuses.load(std::memory_order_relaxed);
  return c;
}

void CountSystemAllocation(size_t bytes, AllocationCounters* counters) {
  g_system_allocs.fetch_add(1, std::memory_order_relaxed);
  g_system_bytes.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  if (counters != nullptr) counters->system_allocs.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<BufferPool> BufferPool::Create(size_t max_idle_bytes) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_idle_bytes),
                                     [](BufferPool* pool) { pool->Close(); });
}

BufferPool::Lease BufferPool::Take(size_t bytes, AllocationCounters* counters) {
  const size_t capacity = std::max<size_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  Block* block = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    // The smallest idle block that fits and is at most kMaxSlack times the
    // request: a layer's output can take the buffer of a larger one freed
    // before it (a convnet's activations shrink layer by layer), so the pool
    // holds about the plan's peak rather than one buffer per size; the bound
    // keeps a small tensor from pinning a big block.
    auto it = std::lower_bound(free_.begin(), free_.end(), capacity,
                               [](const FreeList& f, size_t c) { return f.capacity < c; });
    while (it != free_.end() && it->head == nullptr && it->capacity / kMaxSlack <= capacity) ++it;
    if (it != free_.end() && it->head != nullptr && it->capacity / kMaxSlack <= capacity) {
      block = it->head;
      it->head = block->next;
      stats_.bytes_idle -= block->capacity;
      stats_.bytes_in_use += block->capacity;
      ++stats_.num_reuses;
      refs_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (block != nullptr) {
    g_pool_reuses.fetch_add(1, std::memory_order_relaxed);
    if (counters != nullptr) counters->pool_reuses.fetch_add(1, std::memory_order_relaxed);
    return {reinterpret_cast<char*>(block) + kAlign, block};
  }
  void* raw = std::aligned_alloc(kAlign, kAlign + capacity);
  if (raw == nullptr) return {};
  block = static_cast<Block*>(raw);
  block->pool = this;
  block->capacity = capacity;
  block->next = nullptr;
  block->last_used = 0;
  CountSystemAllocation(capacity, counters);
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.bytes_in_use += capacity;
    ++stats_.num_allocs;
    stats_.peak_bytes_reserved =
        std::max(stats_.peak_bytes_reserved, stats_.bytes_in_use + stats_.bytes_idle);
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  return {reinterpret_cast<char*>(block) + kAlign, block};
}

void BufferPool::Release(void* handle) {
  Block* block = static_cast<Block*>(handle);
  block->pool->Give(block);
}

void BufferPool::Give(Block* block) {
  const size_t capacity = block->capacity;
  bool kept = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    stats_.bytes_in_use -= capacity;
    if (!closed_ && stats_.bytes_idle + capacity <= max_idle_bytes_) {
      auto it = std::lower_bound(free_.begin(), free_.end(), capacity,
                                 [](const FreeList& f, size_t c) { return f.capacity < c; });
      if (it == free_.end() || it->capacity != capacity) {
        // Runs in a TensorBuffer's destructor: a failed insert frees the block.
        try {
          it = free_.insert(it, FreeList{capacity, nullptr});
        } catch (...) {
          it = free_.end();
        }
      }
      if (it != free_.end()) {
        block->next = it->head;
        block->last_used = epoch_;
        it->head = block;
        stats_.bytes_idle += capacity;
        kept = true;
      }
    }
  }
  if (!kept) std::free(block);
  Unref(this);
}

void BufferPool::EndRun() {
  Block* dropped = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++epoch_;
    // A plan that has run once may never run again (a restore, an init op):
    // what its first Run left idle (a restore's whole copy of the
    // checkpoint) goes back now rather than staying for the model's lifetime.
    // Reuse starts with what the second Run frees.
    if (epoch_ == 2) return;
    const uint64_t oldest_kept =
        epoch_ == 1 ? std::numeric_limits<uint64_t>::max() : epoch_ - 2;
    for (FreeList& list : free_) {
      Block** link = &list.head;
      while (*link != nullptr) {
        Block* b = *link;
        if (b->last_used < oldest_kept) {
          *link = b->next;
          stats_.bytes_idle -= b->capacity;
          b->next = dropped;
          dropped = b;
        } else {
          link = &b->next;
        }
      }
    }
  }
  while (dropped != nullptr) {
    Block* next = dropped->next;
    std::free(dropped);
    dropped = next;
  }
}

BufferPool::Stats BufferPool::GetStats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void BufferPool::Close() {
  Block* dropped = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    for (FreeList& list : free_) {
      while (list.head != nullptr) {
        Block* b = list.head;
        list.head = b->next;
        b->next = dropped;
        dropped = b;
      }
    }
    stats_.bytes_idle = 0;
  }
  while (dropped != nullptr) {
    Block* next = dropped->next;
    std::free(dropped);
    dropped = next;
  }
  Unref(this);
}

void BufferPool::Unref(BufferPool* pool) {
  if (pool->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete pool;
}

ScopedBufferPool::ScopedBufferPool(BufferPool* pool, AllocationCounters* counters)
    : saved_pool_(current_pool), saved_counters_(current_counters) {
  current_pool = pool;
  current_counters = counters;
}

ScopedBufferPool::~ScopedBufferPool() {
  current_pool = saved_pool_;
  current_counters = saved_counters_;
}

BufferPool* CurrentBufferPool() { return current_pool; }
AllocationCounters* CurrentAllocationCounters() { return current_counters; }

}  // namespace savedmodel
