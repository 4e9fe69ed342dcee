// Element-type helpers shared by the math, nn and array kernels: which C++
// types count as numbers, the type arithmetic runs in (16-bit floats compute
// through float, as TensorFlow's Eigen kernels do), overflow-free integer
// arithmetic, and a per-dtype dispatch resolved once when a kernel is built.
// Element conversion between dtypes lives in core/tensor_cast.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "savedmodel/core/tensor_cast.h"  // ConvertElement, the one element converter
#include "savedmodel/core/types.h"

namespace savedmodel::kernels {

template <typename T>
inline constexpr bool kIsHalfLike = std::is_same_v<T, half> || std::is_same_v<T, bfloat16>;
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || kIsHalfLike<T>;
template <typename T>
inline constexpr bool kIsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;
// Real numbers: what comparisons, Maximum, reductions and Relu accept.
template <typename T>
inline constexpr bool kIsReal = kIsFloat<T> || kIsInt<T>;
template <typename T>
inline constexpr bool kIsComplex = std::is_same_v<T, complex64> || std::is_same_v<T, complex128>;
// Every type arithmetic is defined on.
template <typename T>
inline constexpr bool kIsNumber = kIsReal<T> || kIsComplex<T>;

// The type arithmetic happens in.
template <typename T>
using Calc = std::conditional_t<kIsHalfLike<T>, float, T>;

template <typename T>
inline Calc<T> ToCalc(T v) {
  if constexpr (std::is_same_v<T, half>) return HalfToFloat(v);
  else if constexpr (std::is_same_v<T, bfloat16>) return BFloat16ToFloat(v);
  else return v;
}
template <typename T>
inline T FromCalc(Calc<T> v) {
  if constexpr (std::is_same_v<T, half>) return FloatToHalf(v);
  else if constexpr (std::is_same_v<T, bfloat16>) return FloatToBFloat16(v);
  else return v;
}

// Machine epsilon of T (2^-7 for bfloat16, 2^-10 for half), as Eigen's NumTraits.
template <typename T>
constexpr double Epsilon() {
  if constexpr (std::is_same_v<T, bfloat16>) return 0.0078125;
  else if constexpr (std::is_same_v<T, half>) return 0.0009765625;
  else return static_cast<double>(std::numeric_limits<T>::epsilon());
}

// Rounds a Calc value to T's precision and back: 16-bit float kernels in
// TensorFlow round after every Eigen operation, not only at the end.
template <typename T>
inline Calc<T> RoundTo(Calc<T> v) {
  return ToCalc(FromCalc<T>(v));
}

// Signed overflow is undefined in C++ but wraps in TensorFlow's kernels; doing
// the arithmetic in the unsigned type gives the same two's-complement result.
template <typename T>
inline T WrapAdd(T a, T b) {
  if constexpr (kIsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}
template <typename T>
inline T WrapSub(T a, T b) {
  if constexpr (kIsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return a - b;
  }
}
template <typename T>
inline T WrapMul(T a, T b) {
  if constexpr (kIsInt<T>) {
    // uint16 * uint16 promotes to (signed) int and can overflow; widen first.
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned,
                                 std::make_unsigned_t<T>>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}
template <typename T>
inline T WrapNeg(T a) {
  return WrapSub(T{0}, a);
}

// Calls fn(T{}) for the dtypes the kernels compute on (every storable type).
template <typename Fn>
Status VisitType(DataType dt, Fn&& fn) {
  return VisitDataType(dt, std::forward<Fn>(fn));
}

}  // namespace savedmodel::kernels
