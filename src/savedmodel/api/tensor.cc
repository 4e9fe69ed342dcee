// The public Tensor over the runtime's Tensor, which already shares its buffer
// between copies; Rep only adds the indirection that keeps the runtime type
// out of the installed headers.
#include <cstring>
#include <string>
#include <vector>

#include "savedmodel/api/tensor_access.h"
#include "savedmodel/core/types.h"

namespace savedmodel::api {

using api_internal::FromInternal;
using api_internal::TensorAccess;

struct Tensor::Rep {
  savedmodel::Tensor tensor;
};

namespace {

// The public DType values are TensorFlow's numbers, as the runtime's are.
DataType ToInternal(DType dtype) { return static_cast<DataType>(static_cast<int>(dtype)); }

// The dtypes the public enum names; others (quantized, resource, variant)
// never reach a program through this API.
bool IsPublicDType(DataType dt) {
  switch (dt) {
    case DT_FLOAT: case DT_DOUBLE: case DT_INT32: case DT_UINT8: case DT_INT16: case DT_INT8:
    case DT_STRING: case DT_COMPLEX64: case DT_INT64: case DT_BOOL: case DT_BFLOAT16:
    case DT_UINT16: case DT_COMPLEX128: case DT_HALF: case DT_UINT32: case DT_UINT64:
      return true;
    default:
      return false;
  }
}

savedmodel::StatusOr<savedmodel::Tensor> Allocate(DType dtype, const std::vector<int64_t>& shape) {
  DataType dt = ToInternal(dtype);
  if (!IsPublicDType(dt)) {
    return savedmodel::InvalidArgument("unsupported tensor dtype " +
                                       std::to_string(static_cast<int>(dtype)));
  }
  return savedmodel::Tensor::Create(dt, shape);
}

}  // namespace

Tensor::Tensor() = default;
Tensor::~Tensor() = default;
Tensor::Tensor(const Tensor&) = default;
Tensor& Tensor::operator=(const Tensor&) = default;
Tensor::Tensor(Tensor&&) noexcept = default;
Tensor& Tensor::operator=(Tensor&&) noexcept = default;

StatusOr<Tensor> Tensor::Zeros(DType dtype, const std::vector<int64_t>& shape) {
  auto t = Allocate(dtype, shape);
  if (!t.ok()) return FromInternal(t.status());
  return TensorAccess::Wrap(std::move(*t));
}

StatusOr<Tensor> Tensor::FromBytes(DType dtype, const std::vector<int64_t>& shape, const void* data,
                                   size_t size) {
  if (dtype == DType::kString) {
    return Status(StatusCode::kInvalidArgument, "FromBytes cannot make string tensors; use FromStrings");
  }
  auto t = Allocate(dtype, shape);
  if (!t.ok()) return FromInternal(t.status());
  if (size != t->byte_size()) {
    return Status(StatusCode::kInvalidArgument,
                  "FromBytes: " + std::to_string(size) + " bytes given, a " + DTypeName(dtype) +
                      " tensor of shape " + t->shape().DebugString() + " holds " +
                      std::to_string(t->byte_size()));
  }
  if (size > 0 && data == nullptr) {
    return Status(StatusCode::kInvalidArgument, "FromBytes: null data for " + std::to_string(size) + " bytes");
  }
  if (size > 0) std::memcpy(t->raw_data(), data, size);
  return TensorAccess::Wrap(std::move(*t));
}

StatusOr<Tensor> Tensor::FromStrings(const std::vector<int64_t>& shape,
                                     const std::vector<std::string>& values) {
  auto t = Allocate(DType::kString, shape);
  if (!t.ok()) return FromInternal(t.status());
  auto out = t->flat<std::string>();
  if (values.size() != out.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "FromStrings: " + std::to_string(values.size()) + " strings given, shape " +
                      t->shape().DebugString() + " holds " + std::to_string(out.size()));
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] = values[i];
  return TensorAccess::Wrap(std::move(*t));
}

DType Tensor::dtype() const {
  return static_cast<DType>(static_cast<int>(TensorAccess::Unwrap(*this).dtype()));
}

std::vector<int64_t> Tensor::shape() const {
  const savedmodel::Tensor& t = TensorAccess::Unwrap(*this);
  std::vector<int64_t> dims(static_cast<size_t>(t.rank()));
  for (int i = 0; i < t.rank(); ++i) dims[static_cast<size_t>(i)] = t.dim(i);
  return dims;
}

int64_t Tensor::num_elements() const {
  const savedmodel::Tensor& t = TensorAccess::Unwrap(*this);
  return t.IsInitialized() ? t.num_elements() : 0;
}

size_t Tensor::byte_size() const { return TensorAccess::Unwrap(*this).byte_size(); }

const void* Tensor::data() const {
  const savedmodel::Tensor& t = TensorAccess::Unwrap(*this);
  return t.dtype() == DT_STRING || t.byte_size() == 0 ? nullptr : t.raw_data();
}

void* Tensor::mutable_data() {
  return rep_ ? const_cast<void*>(static_cast<const Tensor*>(this)->data()) : nullptr;
}

std::vector<std::string> Tensor::strings() const {
  const savedmodel::Tensor& t = TensorAccess::Unwrap(*this);
  if (t.dtype() != DT_STRING || !t.IsInitialized()) return {};
  auto values = t.flat<std::string>();
  return {values.begin(), values.end()};
}

Tensor Tensor::Clone() const {
  return rep_ ? TensorAccess::Wrap(rep_->tensor.DeepCopy()) : Tensor();
}

std::string Tensor::ToString() const {
  const savedmodel::Tensor& t = TensorAccess::Unwrap(*this);
  return t.IsInitialized() ? t.ValuesString() : "<empty tensor>";
}

std::string DTypeName(DType dtype) { return DataTypeString(ToInternal(dtype)); }

}  // namespace savedmodel::api

namespace savedmodel::api_internal {

api::Tensor TensorAccess::Wrap(Tensor tensor) {
  api::Tensor t;
  t.rep_ = std::make_shared<api::Tensor::Rep>(api::Tensor::Rep{std::move(tensor)});
  return t;
}

const Tensor& TensorAccess::Unwrap(const api::Tensor& tensor) {
  static const Tensor* const kEmpty = new Tensor();
  return tensor.rep_ ? tensor.rep_->tensor : *kEmpty;
}

}  // namespace savedmodel::api_internal
