// The `data_format` attr of image ops: NHWC (TensorFlow's default) or NCHW.
#pragma once

#include <string>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

// Sets *nchw from the node's data_format; InvalidArgument for anything else.
inline Status GetDataFormatIsNchw(const OpKernelConstruction& c, bool* nchw) {
  std::string format = "NHWC";
  if (c.HasAttr("data_format")) RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  if (format != "NHWC" && format != "NCHW") return c.Error("Invalid data format: " + format);
  *nchw = format == "NCHW";
  return Status::OK();
}

}  // namespace savedmodel
