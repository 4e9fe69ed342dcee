#include "savedmodel/base/memory_budget.h"

#include <utility>

namespace savedmodel {

bool MemoryBudget::TryReserve(size_t bytes) {
  size_t used = used_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || used > limit_ - bytes) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  const size_t now = used + bytes;
  size_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

AllocationScope& CurrentAllocationScope() {
  thread_local AllocationScope scope;
  return scope;
}

ScopedAllocationScope::ScopedAllocationScope(AllocationScope scope)
    : saved_(std::exchange(CurrentAllocationScope(), std::move(scope))) {}

ScopedAllocationScope::~ScopedAllocationScope() { CurrentAllocationScope() = std::move(saved_); }

}  // namespace savedmodel
