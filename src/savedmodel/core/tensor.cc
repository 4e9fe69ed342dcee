#include "savedmodel/core/tensor.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "savedmodel/core/buffer_pool.h"
#include "savedmodel/core/tensor_format.h"

namespace savedmodel {

namespace {
std::atomic<size_t> max_tensor_bytes{kDefaultMaxTensorBytes};

std::string AllocationMessage(DataType dtype, int64_t num_elements, size_t bytes,
                              std::string_view reason) {
  return "OOM when allocating tensor of " + std::to_string(num_elements) + " elements (" +
         std::to_string(bytes) + " bytes) of type " + DataTypeString(dtype) + std::string(reason);
}
}  // namespace

void SetMaxTensorBytes(size_t bytes) { max_tensor_bytes.store(bytes, std::memory_order_relaxed); }
size_t MaxTensorBytes() { return max_tensor_bytes.load(std::memory_order_relaxed); }

Status CheckTensorBytes(size_t bytes) {
  if (bytes <= MaxTensorBytes()) return Status::OK();
  return ResourceExhausted("OOM when allocating " + std::to_string(bytes) +
                           " bytes; the limit is " + std::to_string(MaxTensorBytes()) +
                           " bytes per tensor");
}

ScopedTensorByteLimit::ScopedTensorByteLimit()
    : saved_(std::exchange(CurrentAllocationScope().limit_tensor_bytes, true)) {}
ScopedTensorByteLimit::~ScopedTensorByteLimit() {
  CurrentAllocationScope().limit_tensor_bytes = saved_;
}

TensorAllocationError::TensorAllocationError(DataType dtype, int64_t num_elements, size_t bytes,
                                             std::string_view reason)
    : message_(AllocationMessage(dtype, num_elements, bytes, reason)) {}

TensorBuffer::TensorBuffer(DataType dtype, int64_t num_elements, Uninitialized)
    : dtype_(dtype), num_elements_(num_elements) {
  size_t elem = dtype == DT_STRING ? sizeof(std::string) : DataTypeSize(dtype);
  // num_elements <= kMaxTensorElements (2^40) and elem <= 32, so no overflow.
  bytes_ = static_cast<size_t>(num_elements) * elem;
  const AllocationScope& scope = CurrentAllocationScope();
  if (scope.limit_tensor_bytes && bytes_ > MaxTensorBytes()) {
    throw TensorAllocationError(dtype, num_elements, bytes_,
                                "; the limit is " + std::to_string(MaxTensorBytes()) +
                                    " bytes per tensor");
  }
  // Charged before allocating, so a budget bounds what is actually requested.
  if (scope.budget != nullptr) {
    if (!scope.budget->TryReserve(bytes_)) {
      throw TensorAllocationError(
          dtype, num_elements, bytes_,
          "; " + std::to_string(scope.budget->used()) + " bytes are already live of the limit of " +
              std::to_string(scope.budget->limit()) + " (" + scope.budget->name() + ")");
    }
    budget_ = scope.budget;
  }
  AllocationCounters* counters = CurrentAllocationCounters();
  if (counters != nullptr) counters->bytes.fetch_add(static_cast<int64_t>(bytes_), std::memory_order_relaxed);
  BufferPool* pool = dtype == DT_STRING ? nullptr : CurrentBufferPool();
  if (pool != nullptr) {
    // A block of the Run's plan, reused from an earlier Run when one of this
    // size is idle; it goes back to the pool when this buffer is destroyed.
    BufferPool::Lease lease = pool->Take(bytes_, counters);
    data_ = lease.data;
    // Two pointers' worth of capture: std::function keeps it without a heap
    // allocation of its own.
    if (data_ != nullptr) release_ = [handle = lease.handle] { BufferPool::Release(handle); };
  } else {
    // aligned_alloc needs a size that is a multiple of the alignment.
    size_t alloc = (bytes_ + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    if (alloc == 0) alloc = kTensorAlignment;
    data_ = std::aligned_alloc(kTensorAlignment, alloc);
    if (data_ != nullptr) CountSystemAllocation(alloc, counters);
  }
  if (data_ == nullptr) {
    if (budget_) budget_->Release(bytes_);
    throw TensorAllocationError(dtype, num_elements, bytes_, "");
  }
  if (dtype == DT_STRING) {
    auto* s = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < num_elements; ++i) new (s + i) std::string();
  }
}

TensorBuffer::TensorBuffer(DataType dtype, int64_t num_elements)
    : TensorBuffer(dtype, num_elements, Uninitialized{}) {
  if (dtype != DT_STRING) std::memset(data_, 0, bytes_);
}

TensorBuffer::TensorBuffer(DataType dtype, int64_t num_elements, void* data, size_t bytes,
                           std::function<void()> release)
    : dtype_(dtype), num_elements_(num_elements), bytes_(bytes), data_(data),
      release_(std::move(release)) {}

TensorBuffer::~TensorBuffer() {
  if (dtype_ == DT_STRING) {
    auto* s = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < num_elements_; ++i) s[i].~basic_string();
  }
  // release_ is set for adopted bytes (which have no budget) and for pooled
  // ones (numeric, charged to the budget of the Run that allocated them).
  if (release_) {
    release_();
  } else {
    std::free(data_);
  }
  if (budget_) budget_->Release(bytes_);
}

Tensor::Tensor(DataType dtype, const TensorShape& shape)
    : dtype_(dtype), shape_(shape),
      buf_(std::make_shared<TensorBuffer>(dtype, shape.num_elements())) {
  assert(IsStorableDataType(dtype));
}

Tensor Tensor::Uninitialized(DataType dtype, const TensorShape& shape) {
  assert(IsStorableDataType(dtype));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.buf_ = std::make_shared<TensorBuffer>(dtype, shape.num_elements(), TensorBuffer::Uninitialized{});
  return t;
}

StatusOr<Tensor> Tensor::WrapExternal(DataType dtype, const TensorShape& shape, void* data,
                                      size_t bytes, std::function<void()> release) {
  if (!IsStorableDataType(dtype) || dtype == DT_STRING) {
    return InvalidArgument("cannot adopt an external buffer of type " + DataTypeString(dtype));
  }
  const size_t needed = static_cast<size_t>(shape.num_elements()) * DataTypeSize(dtype);
  if (bytes < needed || (needed > 0 && data == nullptr)) {
    return InvalidArgument("external buffer of " + std::to_string(bytes) + " bytes is too small for " +
                           std::to_string(needed) + " bytes of " + DataTypeString(dtype));
  }
  if (reinterpret_cast<uintptr_t>(data) % kExternalTensorAlignment != 0) {
    return InvalidArgument("external buffer is not " + std::to_string(kExternalTensorAlignment) +
                           "-byte aligned");
  }
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.buf_ = std::make_shared<TensorBuffer>(dtype, shape.num_elements(), data, needed,
                                          std::move(release));
  return t;
}

StatusOr<Tensor> Tensor::Create(DataType dtype, std::span<const int64_t> dims) {
  if (!IsStorableDataType(dtype)) {
    return Unimplemented("tensors of type " + DataTypeString(dtype) + " are not supported");
  }
  ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  return Allocate(dtype, shape);
}

StatusOr<Tensor> Tensor::Allocate(DataType dtype, const TensorShape& shape) {
  if (!IsStorableDataType(dtype)) {
    return Unimplemented("tensors of type " + DataTypeString(dtype) + " are not supported");
  }
  ScopedTensorByteLimit limit;
  try {
    return Tensor(dtype, shape);
  } catch (const TensorAllocationError& e) {
    return ResourceExhausted(e.message());
  } catch (const std::bad_alloc&) {
    // make_shared's own allocation of the buffer object.
    return ResourceExhausted("OOM when allocating tensor of shape " + shape.DebugString() +
                             " and type " + DataTypeString(dtype));
  }
}

StatusOr<Tensor> Tensor::Reshaped(const TensorShape& shape) const {
  if (shape.num_elements() != num_elements()) {
    return InvalidArgument("cannot reshape a tensor with " + std::to_string(num_elements()) +
                           " elements to shape " + shape.DebugString());
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::DeepCopy() const {
  if (!IsInitialized()) return *this;
  // Every byte is overwritten below (strings start empty either way).
  Tensor t = Uninitialized(dtype_, shape_);
  if (dtype_ == DT_STRING) {
    auto src = flat<std::string>();
    auto dst = t.flat<std::string>();
    for (size_t i = 0; i < src.size(); ++i) dst[i] = src[i];
  } else if (byte_size() > 0) {
    std::memcpy(t.raw_data(), raw_data(), byte_size());
  }
  return t;
}

bool Tensor::Equals(const Tensor& other) const {
  if (dtype_ != other.dtype_ || !(shape_ == other.shape_)) return false;
  if (!IsInitialized() || !other.IsInitialized()) {
    return IsInitialized() == other.IsInitialized();
  }
  if (dtype_ == DT_STRING) {
    auto a = flat<std::string>();
    auto b = other.flat<std::string>();
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return byte_size() == 0 || std::memcmp(raw_data(), other.raw_data(), byte_size()) == 0;
}

size_t Tensor::TotalBytes() const {
  if (dtype_ != DT_STRING || !IsInitialized()) return byte_size();
  size_t total = 0;
  for (const std::string& s : flat<std::string>()) total += s.size();
  return total;
}

std::string Tensor::DebugString(int max_entries) const { return TensorDebugString(*this, max_entries); }

std::string Tensor::ValuesString(int64_t max_entries) const {
  return TensorValuesString(*this, max_entries);
}

}  // namespace savedmodel
