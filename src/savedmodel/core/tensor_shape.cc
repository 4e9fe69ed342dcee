#include "savedmodel/core/tensor_shape.h"

#include <cassert>

namespace savedmodel {

TensorShape::TensorShape(std::initializer_list<int64_t> dims) {
  dims_.reserve(dims.size());  // one allocation, not one per doubling
  for (int64_t d : dims) AddDim(d);
}

StatusOr<TensorShape> TensorShape::FromDims(std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxTensorRank)) {
    return InvalidArgument("shape has rank " + std::to_string(dims.size()) +
                           ", more than the maximum " + std::to_string(kMaxTensorRank));
  }
  TensorShape shape;
  shape.dims_.reserve(dims.size());  // one allocation, not one per doubling
  // The product of the non-zero dims is bounded too: a zero dim makes the tensor
  // empty, but strides computed from [0, 2^62, 2^62] would still overflow.
  int64_t nonzero_product = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = dims[i];
    if (d < 0) {
      return InvalidArgument("shape dimension " + std::to_string(i) + " is " +
                             std::to_string(d) + "; dimensions must be >= 0");
    }
    if (d > 0 && nonzero_product > kMaxTensorElements / d) {
      return InvalidArgument("shape has more than 2^40 elements (dimension " +
                             std::to_string(i) + " = " + std::to_string(d) + ")");
    }
    if (d > 0) nonzero_product *= d;
    shape.dims_.push_back(d);
    shape.num_elements_ *= d;
  }
  return shape;
}

void TensorShape::AddDim(int64_t size) {
  assert(size >= 0);
  dims_.push_back(size);
  num_elements_ *= size;
}

std::string TensorShape::DebugString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

bool PartialShape::IsFullyDefined() const {
  if (unknown_rank_) return false;
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

bool PartialShape::IsCompatibleWith(const TensorShape& shape) const {
  if (unknown_rank_) return true;
  if (static_cast<int>(dims_.size()) != shape.rank()) return false;
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i] >= 0 && dims_[i] != shape.dim(static_cast<int>(i))) return false;
  }
  return true;
}

std::string PartialShape::DebugString() const {
  if (unknown_rank_) return "unknown_rank";
  std::string s = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  if (dims_.size() == 1) s += ",";
  return s + ")";
}

}  // namespace savedmodel
