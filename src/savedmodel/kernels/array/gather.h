// Gather along one axis, shared by GatherV2 and ResourceGather (which reads
// its params from a variable):
//   params [p0.., pa (at axis), ..pn], indices [b.., i..] -> [p0.., i.., ..pn]
// with the first `batch_dims` dims of params and indices matched pairwise.
// Indices out of [0, pa) are InvalidArgument, as on TensorFlow's CPU.
#pragma once

#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {

Status GatherAxis(OpKernelContext* ctx, const Tensor& params, const Tensor& indices, int64_t axis,
                  int64_t batch_dims);

}  // namespace savedmodel::kernels
