// In-place add/sub of a variable's value, shared by the ref-variable ops
// (AssignAdd/AssignSub) and the resource ones (Assign{Add,Sub}VariableOp).
#pragma once

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"

namespace savedmodel {

inline bool AccumulateSupports(DataType dt) {
  return dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_INT32 || dt == DT_INT64;
}

// value (+|-)= delta. Writes into a fresh buffer because Runs that read the
// variable earlier may still hold the old one (copy-on-write).
// REQUIRES: same dtype and shape; AccumulateSupports(dtype).
template <bool kAdd>
void Accumulate(Tensor& value, const Tensor& delta) {
  Tensor next = value.DeepCopy();
  auto apply = [&](auto zero) {
    using T = decltype(zero);
    auto d = next.flat<T>();
    auto x = delta.flat<T>();
    for (size_t i = 0; i < d.size(); ++i) {
      if constexpr (std::is_integral_v<T>) {  // wrap, without signed-overflow UB
        using U = std::make_unsigned_t<T>;
        d[i] = static_cast<T>(kAdd ? U(d[i]) + U(x[i]) : U(d[i]) - U(x[i]));
      } else {
        d[i] = kAdd ? d[i] + x[i] : d[i] - x[i];
      }
    }
  };
  switch (value.dtype()) {
    case DT_FLOAT: apply(float{}); break;
    case DT_DOUBLE: apply(double{}); break;
    case DT_INT32: apply(int32_t{}); break;
    default: apply(int64_t{}); break;
  }
  value = std::move(next);
}

}  // namespace savedmodel
