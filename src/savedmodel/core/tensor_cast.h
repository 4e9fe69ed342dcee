// Converting numbers between dtypes with TensorFlow's Cast semantics: the one
// element converter of the library, used by the Cast kernel and by every
// caller that converts a whole tensor (the CLI's .npy feeds).
//
// 16-bit floats convert through float, as Eigen's half and bfloat16 do (so
// double -> half rounds twice, like TensorFlow). Float -> integer truncates
// toward zero. Integer -> integer wraps (two's complement). Complex -> real
// or bool uses the real part only, as TensorFlow does (0+2j casts to false).
//
// Where C++ leaves the result undefined, TensorFlow's differs by platform
// (TF 2.21 on x86 casts NaN, +-Inf and 3e9 to int32 as INT_MIN, and -1.7 to
// uint8 as 255); here NaN becomes 0 and out-of-range values saturate, so no
// conversion is undefined behaviour. The reference suite compares in-range
// values only.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/core/types.h"

namespace savedmodel {

namespace cast_internal {
template <typename T>
inline constexpr bool kIsHalfLike = std::is_same_v<T, half> || std::is_same_v<T, bfloat16>;
template <typename T>
inline constexpr bool kIsComplex = std::is_same_v<T, complex64> || std::is_same_v<T, complex128>;
}  // namespace cast_internal

// NaN -> 0; values past To's range -> its lowest or max.
template <typename To, typename From>
inline To SaturatingFloatToInt(From v) {
  if (std::isnan(v)) return 0;
  // The limits as From: max() may round up (2^31-1 -> 2^31 as float), so
  // compare with >= against that rounded value.
  constexpr From lo = static_cast<From>(std::numeric_limits<To>::lowest());
  constexpr From hi = static_cast<From>(std::numeric_limits<To>::max());
  if (v <= lo) return std::numeric_limits<To>::lowest();
  if (v >= hi) return std::numeric_limits<To>::max();
  return static_cast<To>(v);
}

// Converts one element between any two storable non-string types.
template <typename To, typename From>
inline To ConvertElement(From v) {
  using cast_internal::kIsComplex;
  using cast_internal::kIsHalfLike;
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, half>) {
    return ConvertElement<To>(HalfToFloat(v));
  } else if constexpr (std::is_same_v<From, bfloat16>) {
    return ConvertElement<To>(BFloat16ToFloat(v));
  } else if constexpr (std::is_same_v<To, half>) {
    return FloatToHalf(ConvertElement<float>(v));
  } else if constexpr (std::is_same_v<To, bfloat16>) {
    return FloatToBFloat16(ConvertElement<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (kIsComplex<From>) return v.real() != 0;
    else return v != From{0};
  } else if constexpr (kIsComplex<From>) {
    if constexpr (kIsComplex<To>)
      return To(static_cast<typename To::value_type>(v.real()),
                static_cast<typename To::value_type>(v.imag()));
    else
      return ConvertElement<To>(v.real());
  } else if constexpr (kIsComplex<To>) {
    return To(ConvertElement<typename To::value_type>(v), 0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    return SaturatingFloatToInt<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

// A copy of `t` converted element by element with ConvertElement; `t` itself
// when it already has `dtype`. Strings convert only to strings.
StatusOr<Tensor> CastTensor(const Tensor& t, DataType dtype);

}  // namespace savedmodel
