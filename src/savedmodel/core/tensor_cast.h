// Converting a tensor's elements to another numeric dtype, with C++ value
// conversion (float -> int truncates toward zero; out-of-range values clamp,
// NaN becomes 0, so no conversion is undefined behaviour).
#pragma once

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel {

// Returns `t` itself when it already has `dtype`. Strings convert only to strings.
StatusOr<Tensor> CastTensor(const Tensor& t, DataType dtype);

}  // namespace savedmodel
