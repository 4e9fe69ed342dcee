#include "savedmodel/core/tensor_cast.h"

namespace savedmodel {

StatusOr<Tensor> CastTensor(const Tensor& t, DataType dtype) {
  if (t.dtype() == dtype) return t;
  if (t.dtype() == DT_STRING || dtype == DT_STRING) {
    return InvalidArgument("cannot convert " + DataTypeString(t.dtype()) + " to " +
                           DataTypeString(dtype));
  }
  if (!IsStorableDataType(dtype)) return Unimplemented("cast to " + DataTypeString(dtype));
  ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(dtype, t.shape()));
  RETURN_IF_ERROR(VisitDataType(t.dtype(), [&](auto from_zero) -> Status {
    using From = decltype(from_zero);
    return VisitDataType(dtype, [&](auto to_zero) -> Status {
      using To = decltype(to_zero);
      if constexpr (std::is_same_v<From, std::string> || std::is_same_v<To, std::string>) {
        return Internal("unreachable string cast");
      } else {
        auto src = t.flat<From>();
        auto dst = out.flat<To>();
        for (size_t i = 0; i < src.size(); ++i) dst[i] = ConvertElement<To>(src[i]);
        return Status();
      }
    });
  }));
  return out;
}

}  // namespace savedmodel
