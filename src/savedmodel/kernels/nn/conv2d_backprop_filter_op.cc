// Conv2DBackpropFilter(input, filter_sizes, out_backprop): the gradient of
// Conv2D with respect to its filter.
//   input [batch, in_h, in_w, in_c] (NHWC, or NCHW by data_format),
//   filter_sizes [4] = [k_h, k_w, in_c, out_c], out_backprop shaped like the
//   forward output -> [k_h, k_w, in_c, out_c] (HWIO in either data format)
// Every forward (output pixel, filter tap) pair adds input * dy to the tap's
// weights; the geometry (strides, dilations, padding) is the forward one.
// float runs as matrix products, the other types as a loop (conv2d_gemm.h).
// Grouped filters are Unimplemented, as in TensorFlow's CPU kernel.
#include <string>
#include <type_traits>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/nn/conv2d_gemm.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class Conv2DBackpropFilterKernel : public TypedKernel<Conv2DBackpropFilterKernel> {
  friend class TypedKernel<Conv2DBackpropFilterKernel>;

 public:
  Conv2DBackpropFilterKernel(const OpKernelConstruction& c, Status* s) {
    *s = conv_.Parse(c);
    if (s->ok()) *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    Tensor in = ctx->input(0), dy = ctx->input(2);
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntValues(ctx->input(1)));
    if (sizes.size() != 4) return ctx->InvalidArg("filter_sizes must have 4 values");
    if (in.rank() != 4 || dy.rank() != 4) return ctx->InvalidArg("input and out_backprop must be 4-D");
    ASSIGN_OR_RETURN(TensorShape filter_shape, ShapeFrom(sizes));
    if (conv_.nchw) {
      in = Permute4<T>(in, kToNhwc);
      dy = Permute4<T>(dy, kToNhwc);
    }
    if (sizes[2] != in.dim(3)) {
      if (sizes[2] > 0 && in.dim(3) % sizes[2] == 0) {
        return Unimplemented("node '" + ctx->node().name() + "': Conv2DBackpropFilter of a grouped convolution");
      }
      return ctx->InvalidArg("input depth " + std::to_string(in.dim(3)) + " does not match filter_sizes' " +
                             std::to_string(sizes[2]));
    }
    auto d = Conv2DDimsOf(conv_, in.shape(), filter_shape);
    if (!d.ok()) return ctx->InvalidArg(d.status().message());
    if (dy.dim(0) != d->batch || dy.dim(1) != d->oh || dy.dim(2) != d->ow || dy.dim(3) != d->oc) {
      return ctx->InvalidArg("out_backprop has shape " + dy.shape().DebugString() + ", expected [" +
                             std::to_string(d->batch) + "," + std::to_string(d->oh) + "," + std::to_string(d->ow) +
                             "," + std::to_string(d->oc) + "]");
    }
    Tensor* dw = ctx->allocate_output_uninitialized(0, in.dtype(), filter_shape);  // both paths write it all
    if constexpr (std::is_same_v<T, float>) {
      Conv2DBackpropFilterGemm(ctx->pool(), *d, in.flat<float>().data(), dy.flat<float>().data(),
                               dw->flat<float>().data());
    } else {
      Conv2DBackpropFilterDirect<T>(*d, in.flat<T>().data(), dy.flat<T>().data(), dw->flat<T>().data());
    }
    return Status::OK();
  }

  ConvParams conv_;
};
REGISTER_KERNEL("Conv2DBackpropFilter", Conv2DBackpropFilterKernel);

}  // namespace
}  // namespace savedmodel::kernels
