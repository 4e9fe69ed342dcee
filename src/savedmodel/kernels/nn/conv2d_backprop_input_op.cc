// Conv2DBackpropInput(input_sizes, filter, out_backprop): the gradient of
// Conv2D with respect to its input, which is also the transposed convolution
// Keras' Conv2DTranspose runs.
//   input_sizes [4] (the forward input's shape), filter [kh, kw, in_c, out_c],
//   out_backprop shaped like the forward output -> [batch, in_h, in_w, in_c]
// Every forward (output pixel, filter tap) pair adds dy * w to the input pixel
// it read; the geometry (strides, dilations, padding) is the forward one.
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
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
    using C = Calc<T>;
    std::vector<C> acc(in_shape.num_elements(), C(0));
    const T* g = dy.flat<T>().data();
    const T* f = filter.flat<T>().data();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t oy = 0; oy < h->out; ++oy)
        for (int64_t ox = 0; ox < w->out; ++ox) {
          const T* gy = g + ((b * h->out + oy) * w->out + ox) * oc;
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy * conv_.sh - h->pad_before + ky * conv_.dh;
            if (iy < 0 || iy >= ih) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * conv_.sw - w->pad_before + kx * conv_.dw;
              if (ix < 0 || ix >= iw) continue;
              C* dst = acc.data() + ((b * ih + iy) * iw + ix) * ic;
              const T* fk = f + (ky * kw + kx) * ic * oc;
              for (int64_t c = 0; c < ic; ++c) {
                C sum = C(0);
                for (int64_t o = 0; o < oc; ++o) sum += ToCalc(gy[o]) * ToCalc(fk[c * oc + o]);
                dst[c] += sum;
              }
            }
          }
        }
    Tensor nhwc(filter.dtype(), in_shape);
    T* out = nhwc.flat<T>().data();
    for (size_t i = 0; i < acc.size(); ++i) out[i] = FromCalc<T>(acc[i]);
    ctx->set_output(0, conv_.nchw ? Permute4<T>(nhwc, kToNchw) : nhwc);
    return Status::OK();
  }

  ConvParams conv_;
};
REGISTER_KERNEL("Conv2DBackpropInput", Conv2DBackpropInputKernel);

}  // namespace
}  // namespace savedmodel::kernels
