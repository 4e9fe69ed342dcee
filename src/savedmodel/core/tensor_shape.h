// TensorShape: a fully known shape. PartialShape: dims may be -1, rank may be unknown.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"

namespace savedmodel {

// Largest element count any tensor may have; guards allocations computed from
// untrusted shapes (2^40 elements is far beyond any real model's tensor).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;
inline constexpr int kMaxTensorRank = 254;

class TensorShape {
 public:
  TensorShape() = default;  // a scalar
  TensorShape(std::initializer_list<int64_t> dims);  // REQUIRES: valid dims

  // Validates: every dim >= 0, rank <= kMaxTensorRank, product <= kMaxTensorElements
  // (the product of the non-zero dims too, so strides never overflow).
  static StatusOr<TensorShape> FromDims(std::span<const int64_t> dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t num_elements() const { return num_elements_; }

  // REQUIRES: the result stays valid (callers check with FromDims first when unsure).
  void AddDim(int64_t size);

  // "[2,3]" as TensorFlow's DebugString prints it; "[]" for a scalar.
  std::string DebugString() const;

  friend bool operator==(const TensorShape& a, const TensorShape& b) {
    return a.dims_ == b.dims_;
  }

 private:
  std::vector<int64_t> dims_;
  int64_t num_elements_ = 1;
};

class PartialShape {
 public:
  PartialShape() : unknown_rank_(true) {}
  explicit PartialShape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}
  static PartialShape Unknown() { return PartialShape(); }

  bool unknown_rank() const { return unknown_rank_; }
  int rank() const { return unknown_rank_ ? -1 : static_cast<int>(dims_.size()); }
  const std::vector<int64_t>& dims() const { return dims_; }
  bool IsFullyDefined() const;
  bool IsCompatibleWith(const TensorShape& shape) const;
  // "(-1, 1)" as saved_model_cli prints shapes; "unknown_rank" when unknown.
  std::string DebugString() const;

 private:
  std::vector<int64_t> dims_;
  bool unknown_rank_ = false;
};

}  // namespace savedmodel
