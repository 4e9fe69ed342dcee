#include "savedmodel/format/bundle/mapped_shard.h"

#include <map>
#include <mutex>
#include <utility>

#include "savedmodel/base/memory_budget.h"

namespace savedmodel::bundle {
namespace {

// Live mappings by first byte: begin -> end. Looked up when a variable is set,
// changed when a shard is mapped or released; neither is frequent.
struct Registry {
  std::mutex mu;
  std::map<uintptr_t, uintptr_t> ranges;
};

Registry& Mappings() {
  // Never destroyed: a tensor may release its mapping after statics are gone.
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

MappedShard::MappedShard(std::shared_ptr<CopyOnWriteRegion> region) : region_(std::move(region)) {
  const auto begin = reinterpret_cast<uintptr_t>(region_->data());
  Registry& r = Mappings();
  std::lock_guard<std::mutex> l(r.mu);
  r.ranges[begin] = begin + region_->size();
}

MappedShard::~MappedShard() {
  Registry& r = Mappings();
  std::lock_guard<std::mutex> l(r.mu);
  r.ranges.erase(reinterpret_cast<uintptr_t>(region_->data()));
}

StatusOr<Tensor> MappedShard::View(DataType dtype, const TensorShape& shape, uint64_t offset,
                                   size_t bytes) {
  const AllocationScope& scope = CurrentAllocationScope();
  if (scope.limit_tensor_bytes) RETURN_IF_ERROR(CheckTensorBytes(bytes));
  std::shared_ptr<MemoryBudget> budget = scope.budget;
  if (budget != nullptr && !budget->TryReserve(bytes)) {
    return ResourceExhausted("a tensor of " + std::to_string(bytes) + " bytes passes " +
                             budget->name() + ": " + std::to_string(budget->used()) +
                             " bytes are already live of the limit of " +
                             std::to_string(budget->limit()));
  }
  std::shared_ptr<MappedShard> self = shared_from_this();
  auto release = [self, budget, bytes] {
    if (budget != nullptr) budget->Release(bytes);
  };
  auto t = Tensor::WrapExternal(dtype, shape, region_->data() + offset, bytes, std::move(release));
  // WrapExternal fails before adopting (the callback never runs): give the
  // charge back here.
  if (!t.ok() && budget != nullptr) budget->Release(bytes);
  return t;
}

bool IsCheckpointView(const Tensor& t) {
  if (!t.IsInitialized() || t.dtype() == DT_STRING) return false;
  const auto begin = reinterpret_cast<uintptr_t>(t.raw_data());
  const uintptr_t end = begin + t.byte_size();
  Registry& r = Mappings();
  std::lock_guard<std::mutex> l(r.mu);
  auto it = r.ranges.upper_bound(begin);
  if (it == r.ranges.begin()) return false;
  --it;
  return begin >= it->first && end <= it->second;
}

}  // namespace savedmodel::bundle
