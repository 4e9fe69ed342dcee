// Conv2D.
//   NHWC: input [batch, in_h, in_w, in_c], filter [k_h, k_w, in_c / groups, out_c]
//         -> [batch, out_h, out_w, out_c]
//   NCHW: input and output [batch, c, h, w]; strides, dilations and explicit
//         paddings are given in that order too. Computed as NHWC between two
//         transposes.
// Output sizes and padding: conv_util.h.
#include <algorithm>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class Conv2DKernel : public TypedKernel<Conv2DKernel> {
  friend class TypedKernel<Conv2DKernel>;

 public:
  Conv2DKernel(const OpKernelConstruction& c, Status* s) {
    *s = conv_.Parse(c);
    if (s->ok()) *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    Tensor in = ctx->input(0), filter = ctx->input(1);
    if (in.rank() != 4 || filter.rank() != 4) return ctx->Error("input and filter must be 4-D");
    if (conv_.nchw) in = Permute4<T>(in, kToNhwc);
    const int64_t batch = in.dim(0), ih = in.dim(1), iw = in.dim(2), ic = in.dim(3);
    const int64_t kh = filter.dim(0), kw = filter.dim(1), fc = filter.dim(2), oc = filter.dim(3);
    if (fc <= 0 || ic % fc != 0) {
      return ctx->Error("input depth " + std::to_string(ic) + " is not a multiple of filter depth " +
                        std::to_string(fc));
    }
    const int64_t groups = ic / fc;
    if (oc % groups != 0) return ctx->Error("output depth must be a multiple of the group count");
    auto h = conv_.Rows(ih, kh), w = conv_.Cols(iw, kw);
    if (!h.ok()) return ctx->Error(h.status().message());
    if (!w.ok()) return ctx->Error(w.status().message());
    const int64_t oh = h->out, ow = w->out;
    auto out_shape = TensorShape::FromDims(std::vector<int64_t>{batch, oh, ow, oc});
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    Tensor nhwc(in.dtype(), *out_shape);
    const T* x = in.flat<T>().data();
    const T* f = filter.flat<T>().data();
    T* y = nhwc.flat<T>().data();
    const int64_t oc_per_group = oc / groups;
    using C = Calc<T>;
    // Each output pixel accumulates over the window; the innermost loop runs
    // over output channels, contiguous in both the filter and the output.
    ParallelFor(ctx->pool(), batch * oh, 4, [&](int64_t begin, int64_t end) {
      std::vector<C> acc(oc);
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / oh, oy = row % oh;
        for (int64_t ox = 0; ox < ow; ++ox) {
          std::fill(acc.begin(), acc.end(), C(0));
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy * conv_.sh - h->pad_before + ky * conv_.dh;
            if (iy < 0 || iy >= ih) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * conv_.sw - w->pad_before + kx * conv_.dw;
              if (ix < 0 || ix >= iw) continue;
              const T* px = x + ((b * ih + iy) * iw + ix) * ic;
              const T* pf = f + (ky * kw + kx) * fc * oc;
              for (int64_t g = 0; g < groups; ++g) {
                for (int64_t c = 0; c < fc; ++c) {
                  const C v = ToCalc(px[g * fc + c]);
                  const T* fr = pf + c * oc + g * oc_per_group;
                  C* a = acc.data() + g * oc_per_group;
                  for (int64_t o = 0; o < oc_per_group; ++o) a[o] += v * ToCalc(fr[o]);
                }
              }
            }
          }
          T* dst = y + ((b * oh + oy) * ow + ox) * oc;
          for (int64_t o = 0; o < oc; ++o) dst[o] = FromCalc<T>(acc[o]);
        }
      }
    });
    ctx->set_output(0, conv_.nchw ? Permute4<T>(nhwc, kToNchw) : nhwc);
    return Status::OK();
  }

  ConvParams conv_;
};
REGISTER_KERNEL("Conv2D", Conv2DKernel);

}  // namespace
}  // namespace savedmodel::kernels
