// Tensor of the public API: a dtype, a shape and a buffer of elements in
// row-major order.
//
// Copies share the buffer, as TensorFlow's tensors do (a model's outputs cost
// no copy); Clone() makes a private one. Thread-compatible: concurrent reads
// are safe, writing through mutable_data() while another thread reads is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "savedmodel/export.h"
#include "savedmodel/status.h"

namespace savedmodel::api_internal {
struct TensorAccess;  // the library's bridge to its runtime tensors; not exported
}  // namespace savedmodel::api_internal

namespace savedmodel::api {

// TensorFlow's DataType numbers; the dtypes a model's inputs and outputs may have.
enum class DType : int {
  kInvalid = 0,
  kFloat = 1,
  kDouble = 2,
  kInt32 = 3,
  kUint8 = 4,
  kInt16 = 5,
  kInt8 = 6,
  kString = 7,
  kComplex64 = 8,
  kInt64 = 9,
  kBool = 10,
  kBfloat16 = 14,
  kUint16 = 17,
  kComplex128 = 18,
  kHalf = 19,
  kUint32 = 22,
  kUint64 = 23,
};

// "float", "int64", ... as TensorFlow names them.
SAVEDMODEL_EXPORT std::string DTypeName(DType dtype);

// The DType of a C++ element type (half and bfloat16 are used as uint16 bits
// through data()/mutable_data(), complex as pairs of floats or doubles).
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kDouble; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUint8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUint16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUint32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUint64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

class SAVEDMODEL_EXPORT Tensor {
 public:
  Tensor();  // kInvalid, no elements
  ~Tensor();
  Tensor(const Tensor&);
  Tensor& operator=(const Tensor&);
  Tensor(Tensor&&) noexcept;
  Tensor& operator=(Tensor&&) noexcept;

  // A zero-filled tensor (empty strings for kString). InvalidArgument for a
  // negative dimension or an unknown dtype, ResourceExhausted past the
  // library's per-tensor limit (8 GiB) or when memory runs out.
  static StatusOr<Tensor> Zeros(DType dtype, const std::vector<int64_t>& shape);
  // A tensor of `shape` holding a copy of `size` bytes at `data`, which must
  // be exactly the shape's element count times the dtype's size (else
  // InvalidArgument, as for kString: use FromStrings).
  static StatusOr<Tensor> FromBytes(DType dtype, const std::vector<int64_t>& shape,
                                    const void* data, size_t size);
  static StatusOr<Tensor> FromStrings(const std::vector<int64_t>& shape,
                                      const std::vector<std::string>& values);
  template <typename T>
  static StatusOr<Tensor> FromVector(const std::vector<int64_t>& shape, const std::vector<T>& values) {
    static_assert(!std::is_same_v<T, bool>, "std::vector<bool> has no contiguous bytes; use FromBytes");
    return FromBytes(DTypeOf<T>::value, shape, values.data(), values.size() * sizeof(T));
  }

  DType dtype() const;
  std::vector<int64_t> shape() const;
  int64_t num_elements() const;
  // Bytes of element data; 0 for kString.
  size_t byte_size() const;
  // The elements; null for kString, kInvalid and empty tensors.
  const void* data() const;
  void* mutable_data();  // writes show through every copy sharing the buffer

  // The elements as T, or null when T is not the tensor's dtype.
  template <typename T>
  const T* data() const {
    return dtype() == DTypeOf<T>::value ? static_cast<const T*>(data()) : nullptr;
  }
  // A copy of the elements as T; empty when T is not the tensor's dtype.
  template <typename T>
  std::vector<T> ToVector() const {
    const T* p = data<T>();
    return p ? std::vector<T>(p, p + num_elements()) : std::vector<T>();
  }
  // The elements of a kString tensor; empty for other dtypes.
  std::vector<std::string> strings() const;

  Tensor Clone() const;  // a copy with a buffer of its own
  // The values as NumPy prints them ("[[2.5]\n [3. ]]").
  std::string ToString() const;

 private:
  friend struct api_internal::TensorAccess;
  struct Rep;
  std::shared_ptr<Rep> rep_;
};

}  // namespace savedmodel::api
