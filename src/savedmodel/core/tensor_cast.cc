#include "savedmodel/core/tensor_cast.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace savedmodel {
namespace {

template <typename T>
double ToDouble(const T& v) {
  if constexpr (std::is_same_v<T, half>) return HalfToFloat(v);
  else if constexpr (std::is_same_v<T, bfloat16>) return BFloat16ToFloat(v);
  else if constexpr (std::is_same_v<T, complex64> || std::is_same_v<T, complex128>) return v.real();
  else return static_cast<double>(v);
}

template <typename T>
T FromDouble(double d) {
  if constexpr (std::is_same_v<T, half>) return FloatToHalf(static_cast<float>(d));
  else if constexpr (std::is_same_v<T, bfloat16>) return FloatToBFloat16(static_cast<float>(d));
  else if constexpr (std::is_same_v<T, bool>) return d != 0;
  else if constexpr (std::is_integral_v<T>) {
    if (std::isnan(d)) return 0;
    if (d <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(d);
  } else {
    return static_cast<T>(d);
  }
}

// 64-bit integers lose precision through double; convert them directly.
template <typename To, typename From>
To Convert(const From& v) {
  if constexpr (std::is_integral_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    return static_cast<To>(v);
  } else if constexpr ((std::is_same_v<To, complex64> || std::is_same_v<To, complex128>) &&
                       (std::is_same_v<From, complex64> || std::is_same_v<From, complex128>)) {
    return To(v.real(), v.imag());
  } else {
    return FromDouble<To>(ToDouble(v));
  }
}

}  // namespace

StatusOr<Tensor> CastTensor(const Tensor& t, DataType dtype) {
  if (t.dtype() == dtype) return t;
  if (t.dtype() == DT_STRING || dtype == DT_STRING) {
    return InvalidArgument("cannot convert " + DataTypeString(t.dtype()) + " to " +
                           DataTypeString(dtype));
  }
  if (!IsStorableDataType(dtype)) return Unimplemented("cast to " + DataTypeString(dtype));
  Tensor out(dtype, t.shape());
  Status s = VisitDataType(t.dtype(), [&](auto from_zero) -> Status {
    using From = decltype(from_zero);
    return VisitDataType(dtype, [&](auto to_zero) -> Status {
      using To = decltype(to_zero);
      if constexpr (std::is_same_v<From, std::string> || std::is_same_v<To, std::string>) {
        return Internal("unreachable string cast");
      } else {
        auto src = t.flat<From>();
        auto dst = out.flat<To>();
        for (size_t i = 0; i < src.size(); ++i) dst[i] = Convert<To>(src[i]);
        return Status::OK();
      }
    });
  });
  RETURN_IF_ERROR(s);
  return out;
}

}  // namespace savedmodel
