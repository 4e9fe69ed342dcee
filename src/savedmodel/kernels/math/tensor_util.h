// Small helpers for kernels that read shape-like int tensors (axes, shapes,
// permutations, begin/end) and resolve axes against a rank.
#pragma once

#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel::kernels {

// The values of an int32 or int64 tensor of any shape, widened to int64.
inline StatusOr<std::vector<int64_t>> IntValues(const Tensor& t) {
  std::vector<int64_t> out;
  out.reserve(t.num_elements());
  if (t.dtype() == DT_INT32) {
    for (int32_t v : t.flat<int32_t>()) out.push_back(v);
  } else if (t.dtype() == DT_INT64) {
    for (int64_t v : t.flat<int64_t>()) out.push_back(v);
  } else if (t.dtype() == DT_INT16) {
    for (int16_t v : t.flat<int16_t>()) out.push_back(v);
  } else {
    return InvalidArgument("expected an int32 or int64 tensor, got " + DataTypeString(t.dtype()));
  }
  return out;
}

// Writes int64 values into a new int32 or int64 tensor.
inline Tensor IntTensor(DataType dt, const std::vector<int64_t>& values, const TensorShape& shape) {
  Tensor t(dt, shape);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dt == DT_INT32) t.flat<int32_t>()[i] = static_cast<int32_t>(values[i]);
    else t.flat<int64_t>()[i] = values[i];
  }
  return t;
}

// The shape of `dims`, checked (negative or huge dims become InvalidArgument).
inline StatusOr<TensorShape> ShapeFrom(const std::vector<int64_t>& dims) {
  return TensorShape::FromDims(dims);
}

}  // namespace savedmodel::kernels
