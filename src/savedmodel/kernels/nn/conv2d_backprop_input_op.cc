// Conv2DBackpropInput(input_sizes, filter, out_backprop): the gradient of
// Conv2D with respect to its input, which is also the transposed convolution
// Keras' Conv2DTranspose runs.
//   input_sizes [4] (the forward input's shape), filter [kh, kw, in_c, out_c],
//   out_backprop shaped like the forward output -> [batch, in_h, in_w, in_c]
// Every forward (output pixel, filter tap) pair adds dy * w to the input pixel
// it read; the geometry (strides, dilations, padding) is the forward one.
// float runs as matrix products, the other types as a loop (conv2d_gemm.h).
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

class Conv2DBackpropInputKernel : public TypedKernel<Conv2DBackpropInputKernel> {
  friend class TypedKernel<Conv2DBackpropInputKernel>;

 public:
  Conv2DBackpropInputKernel(const OpKernelConstruction& c, Status* s) {
    *s = conv_.Parse(c);
    if (s->ok()) *s = SelectRun(c, c.input_types()[1], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntValues(ctx->input(0)));
    const Tensor filter = ctx->input(1);
    Tensor dy = ctx->input(2);
    if (sizes.size() != 4) return ctx->InvalidArg("input_sizes must have 4 values");
    if (filter.rank() != 4 || dy.rank() != 4) return ctx->InvalidArg("filter and out_backprop must be 4-D");
    if (conv_.nchw) {
      sizes = {sizes[0], sizes[2], sizes[3], sizes[1]};
      dy = Permute4<T>(dy, kToNhwc);
    }
    ASSIGN_OR_RETURN(TensorShape in_shape, ShapeFrom(sizes));
    const int64_t batch = sizes[0], ih = sizes[1], iw = sizes[2], ic = sizes[3];
    const int64_t kh = filter.dim(0), kw = filter.dim(1), oc = filter.dim(3);
    if (filter.dim(2) != ic) {
      return ctx->InvalidArg("input depth " + std::to_string(ic) + " does not match the filter's " +
                             std::to_string(filter.dim(2)));
    }
    auto h = conv_.Rows(ih, kh), w = conv_.Cols(iw, kw);
    if (!h.ok()) return ctx->InvalidArg(h.status().message());
    if (!w.ok()) return ctx->InvalidArg(w.status().message());
    if (dy.dim(0) != batch || dy.dim(1) != h->out || dy.dim(2) != w->out || dy.dim(3) != oc) {
      return ctx->InvalidArg("out_backprop has shape " + dy.shape().DebugString() + ", expected [" +
                             std::to_string(batch) + "," + std::to_string(h->out) + "," + std::to_string(w->out) +
                             "," + std::to_string(oc) + "]");
    }
    ConvDims d;
    d.batch = batch, d.ih = ih, d.iw = iw, d.ic = ic, d.kh = kh, d.kw = kw, d.fc = ic, d.oc = oc;
    d.oh = h->out, d.ow = w->out, d.sh = conv_.sh, d.sw = conv_.sw, d.dh = conv_.dh, d.dw = conv_.dw;
    d.pad_top = h->pad_before, d.pad_left = w->pad_before;
    Tensor nhwc = Tensor::Uninitialized(filter.dtype(), in_shape);  // both paths write every element
    if constexpr (std::is_same_v<T, float>) {
      Conv2DBackpropInputGemm(ctx->pool(), d, dy.flat<float>().data(), filter.flat<float>().data(),
                              nhwc.flat<float>().data());
    } else {
      Conv2DBackpropInputDirect<T>(d, dy.flat<T>().data(), filter.flat<T>().data(), nhwc.flat<T>().data());
    }
    ctx->set_output(0, conv_.nchw ? Permute4<T>(nhwc, kToNchw) : nhwc);
    return Status::OK();
  }

  ConvParams conv_;
};
REGISTER_KERNEL("Conv2DBackpropInput", Conv2DBackpropInputKernel);

}  // namespace
}  // namespace savedmodel::kernels
