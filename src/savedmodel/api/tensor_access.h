// The bridge between the public API's types (include/savedmodel/) and the
// runtime's: tensors are wrapped, not copied, in both directions. Outside
// savedmodel::api, so the shared library does not export it.
#pragma once

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/status.h"
#include "savedmodel/tensor.h"

namespace savedmodel::api_internal {

struct TensorAccess {
  static api::Tensor Wrap(Tensor tensor);
  // An uninitialized (default) public tensor gives an uninitialized runtime one.
  static const Tensor& Unwrap(const api::Tensor& tensor);
};

api::Status FromInternal(const Status& status);

}  // namespace savedmodel::api_internal
