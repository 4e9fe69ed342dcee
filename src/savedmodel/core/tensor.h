// Tensor: a dtype, a shape and a refcounted, 64-byte aligned buffer.
//
// Copies share the buffer (like TensorFlow's Tensor); use DeepCopy() for a
// private one. Thread-compatible: concurrent reads are safe, writes need care.
// DT_STRING tensors hold std::string elements.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/base/memory_budget.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor_shape.h"
#include "savedmodel/core/types.h"

namespace savedmodel {

inline constexpr size_t kTensorAlignment = 64;
// What an adopted external buffer must meet: every element type's natural
// alignment. Kernels read through unaligned Eigen maps, so 64 is only what we
// allocate (for the wide vector units), not what we rely on; NumPy's buffers
// are 16-byte aligned and can then be used in place.
inline constexpr size_t kExternalTensorAlignment = 16;

// Largest buffer one tensor may own, checked before allocating, so a hostile
// shape (a feed of [2^34, 0] reduced to [2^34]) fails instead of exhausting
// memory. The default (8 GiB) leaves a 24 GiB machine room for a Run's other
// tensors. Thread-safe; a process-wide setting.
inline constexpr size_t kDefaultMaxTensorBytes = size_t{8} << 30;
void SetMaxTensorBytes(size_t bytes);
size_t MaxTensorBytes();

// ResourceExhausted naming `bytes` when a buffer of that size is over the limit.
Status CheckTensorBytes(size_t bytes);

// While one is alive on a thread, the Tensor(dtype, shape) constructor on that
// thread also refuses buffers over MaxTensorBytes(). The session holds one
// around each kernel call, where sizes come from feeds and attrs; loaders that
// size tensors from file contents they have checked (a checkpoint's 10 GiB
// variable) are not limited. Tensor::Allocate always checks the limit.
// (A flag of the thread's AllocationScope, base/memory_budget.h.)
class ScopedTensorByteLimit {
 public:
  ScopedTensorByteLimit();
  ~ScopedTensorByteLimit();
  ScopedTensorByteLimit(const ScopedTensorByteLimit&) = delete;
  ScopedTensorByteLimit& operator=(const ScopedTensorByteLimit&) = delete;

 private:
  bool saved_;
};

// Thrown by the Tensor(dtype, shape) constructor when the buffer is over
// MaxTensorBytes() (inside a ScopedTensorByteLimit), would pass the thread's
// MemoryBudget (the Run's or the model's, see base/memory_budget.h), or the
// allocator fails. Kernels allocate through OpKernelContext::allocate_output,
// which has no status to return, so the session catches this at its one
// kernel-call boundary and returns RESOURCE_EXHAUSTED naming the node;
// everywhere else use Tensor::Allocate.
class TensorAllocationError : public std::bad_alloc {
 public:
  // `reason` follows the size: "; the limit is 100 bytes per tensor", or empty.
  TensorAllocationError(DataType dtype, int64_t num_elements, size_t bytes, std::string_view reason);
  const char* what() const noexcept override { return message_.c_str(); }
  // "OOM when allocating tensor of 17179869184 elements (68719476736 bytes) of type float ..."
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// Owns the bytes of one tensor. For DT_STRING the bytes are std::string objects
// (sizeof(std::string) each, which is what budgets are charged; the
// characters are the strings' own heap allocations).
class TensorBuffer {
 public:
  TensorBuffer(DataType dtype, int64_t num_elements);  // zero-filled / empty strings
  // As above, but numeric bytes are left as allocated, for a kernel that
  // writes every element (strings are still constructed empty).
  struct Uninitialized {};
  TensorBuffer(DataType dtype, int64_t num_elements, Uninitialized);
  // Adopts `bytes` at `data`, which someone else owns: `release` runs once the
  // last Tensor on it is gone, instead of freeing. Numeric dtypes only.
  TensorBuffer(DataType dtype, int64_t num_elements, void* data, size_t bytes,
               std::function<void()> release);
  ~TensorBuffer();
  TensorBuffer(const TensorBuffer&) = delete;
  TensorBuffer& operator=(const TensorBuffer&) = delete;

  void* data() const { return data_; }
  size_t size_bytes() const { return bytes_; }

 private:
  DataType dtype_;
  int64_t num_elements_;
  size_t bytes_;
  void* data_;
  std::shared_ptr<MemoryBudget> budget_;  // charged bytes_ while alive; may be null
  std::function<void()> release_;         // set for an adopted buffer
};

class Tensor {
 public:
  Tensor() = default;  // DT_INVALID, no buffer

  // Allocates a zero-filled tensor. REQUIRES: IsStorableDataType(dtype); use
  // Tensor::Create when dtype or shape come from untrusted input. Throws
  // TensorAllocationError when the buffer cannot be had (see above).
  Tensor(DataType dtype, const TensorShape& shape);
  // The same without the zero fill: only for a producer that writes every
  // element before anyone reads it (a stale byte would leak one Run's data
  // into another's output).
  static Tensor Uninitialized(DataType dtype, const TensorShape& shape);
  // Unimplemented for an unstorable dtype, InvalidArgument for bad dims,
  // ResourceExhausted when the buffer is over the per-tensor limit or the
  // thread's budget, or allocation fails. Never throws.
  static StatusOr<Tensor> Create(DataType dtype, std::span<const int64_t> dims);
  static StatusOr<Tensor> Allocate(DataType dtype, const TensorShape& shape);
  // A tensor over the caller's bytes, without copying them (TF_NewTensor's
  // zero-copy contract): `release` runs when the last Tensor sharing them is
  // destroyed. `data` must be kExternalTensorAlignment-aligned and hold
  // num_elements * DataTypeSize(dtype) bytes; InvalidArgument otherwise, and
  // for DT_STRING, whose elements are not plain bytes.
  static StatusOr<Tensor> WrapExternal(DataType dtype, const TensorShape& shape, void* data,
                                       size_t bytes, std::function<void()> release);

  // A scalar or vector built from values.
  template <typename T>
  static Tensor Scalar(T value);
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values, TensorShape shape);
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values) {
    return FromVector(values, TensorShape{static_cast<int64_t>(values.size())});
  }

  bool IsInitialized() const { return dtype_ != DT_INVALID && buf_ != nullptr; }
  DataType dtype() const { return dtype_; }
  const TensorShape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_.dim(i); }
  int64_t num_elements() const { return shape_.num_elements(); }
  // Bytes of element data; 0 for DT_STRING (see TotalBytes for an estimate).
  size_t byte_size() const { return buf_ && dtype_ != DT_STRING ? buf_->size_bytes() : 0; }
  // byte_size(), or for DT_STRING the sum of the strings' lengths.
  size_t TotalBytes() const;

  void* raw_data() { return buf_ ? buf_->data() : nullptr; }
  const void* raw_data() const { return buf_ ? buf_->data() : nullptr; }

  // REQUIRES: DataTypeOf<T>::value == dtype().
  template <typename T>
  std::span<T> flat() {
    return {static_cast<T*>(raw_data()), static_cast<size_t>(num_elements())};
  }
  template <typename T>
  std::span<const T> flat() const {
    return {static_cast<const T*>(raw_data()), static_cast<size_t>(num_elements())};
  }
  template <typename T>
  T& scalar() { return flat<T>()[0]; }
  template <typename T>
  const T& scalar() const { return flat<T>()[0]; }

  // Same buffer, new shape with the same element count.
  StatusOr<Tensor> Reshaped(const TensorShape& shape) const;
  Tensor DeepCopy() const;
  // True when no other Tensor shares this one's buffer (TF's RefCountIsOne):
  // only then may a caller hand the bytes out as its own, e.g. to NumPy,
  // without seeing later writes through a variable that aliases them.
  bool RefCountIsOne() const { return buf_ && buf_.use_count() == 1; }

  // Element-wise equality of dtype, shape and values (bit-exact for floats).
  bool Equals(const Tensor& other) const;

  // TensorDebugString(*this) and TensorValuesString(*this): TensorFlow's
  // DebugString and numpy's str(), described in tensor_format.h.
  std::string DebugString(int max_entries = 10) const;
  std::string ValuesString(int64_t max_entries = 1000) const;

 private:
  DataType dtype_ = DT_INVALID;
  TensorShape shape_;
  std::shared_ptr<TensorBuffer> buf_;
};

template <typename T>
Tensor Tensor::Scalar(T value) {
  Tensor t(DataTypeOf<T>::value, TensorShape{});
  t.flat<T>()[0] = std::move(value);
  return t;
}

template <typename T>
Tensor Tensor::FromVector(const std::vector<T>& values, TensorShape shape) {
  Tensor t(DataTypeOf<T>::value, shape);
  auto out = t.flat<T>();
  for (size_t i = 0; i < out.size() && i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace savedmodel
