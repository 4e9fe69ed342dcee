// gtest helpers for kernel tests (header-only: the library does not link gtest).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/core/tensor.h"
#include "savedmodel/kernels/testing/op_test_util.h"

namespace savedmodel::testing {

template <typename T>
Tensor T_(std::vector<T> values, TensorShape shape) {
  return Tensor::FromVector(values, shape);
}
template <typename T>
Tensor V_(std::vector<T> values) {
  return Tensor::FromVector(values);
}
template <typename T>
Tensor S_(T value) {
  return Tensor::Scalar(value);
}
inline Tensor Str(std::vector<std::string> values, TensorShape shape) {
  return Tensor::FromVector(values, shape);
}

// Exact values and shape (NaN matches NaN).
template <typename T>
void ExpectTensor(const StatusOr<Tensor>& got, const std::vector<T>& values,
                  const TensorShape& shape) {
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->dtype(), DataTypeOf<T>::value) << got->DebugString();
  ASSERT_EQ(got->shape(), shape) << got->shape().DebugString() << " vs " << shape.DebugString();
  auto flat = got->template flat<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(values[i])) {
        EXPECT_TRUE(std::isnan(flat[i])) << "at " << i;
        continue;
      }
    }
    EXPECT_EQ(flat[i], values[i]) << "at " << i;
  }
}

// Values within `tol` (absolute) and the shape.
template <typename T>
void ExpectNear(const StatusOr<Tensor>& got, const std::vector<T>& values, const TensorShape& shape,
                double tol = 1e-5) {
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->dtype(), DataTypeOf<T>::value);
  ASSERT_EQ(got->shape(), shape) << got->shape().DebugString() << " vs " << shape.DebugString();
  auto flat = got->template flat<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(flat[i], values[i], tol) << "at " << i;
  }
}

// The run fails and its message contains `substr`.
template <typename S>
void ExpectError(const S& got, const std::string& substr) {
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find(substr), std::string::npos) << got.status();
}

}  // namespace savedmodel::testing
