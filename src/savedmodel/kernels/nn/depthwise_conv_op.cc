// DepthwiseConv2dNative: each input channel convolved with its own filters.
//   input [batch, h, w, in_c] (NHWC), filter [kh, kw, in_c, mult]
//   -> [batch, out_h, out_w, in_c * mult]; output channel k * mult + m is
//   input channel k through filter[:, :, k, m].
// Padding, strides and dilations as Conv2D (SAME/VALID/EXPLICIT). NCHW is
// computed as NHWC between two transposes.
#include <string>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class DepthwiseConvKernel : public TypedKernel<DepthwiseConvKernel> {
  friend class TypedKernel<DepthwiseConvKernel>;

 public:
  DepthwiseConvKernel(const OpKernelConstruction& c, Status* s) {
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
    const int64_t kh = filter.dim(0), kw = filter.dim(1), mult = filter.dim(3);
    if (filter.dim(2) != ic) {
      return ctx->Error("input and filter must have the same depth: " + std::to_string(ic) + " vs " +
                        std::to_string(filter.dim(2)));
    }
    auto h = conv_.Rows(ih, kh), w = conv_.Cols(iw, kw);
    if (!h.ok()) return ctx->Error(h.status().message());
    if (!w.ok()) return ctx->Error(w.status().message());
    const int64_t oh = h->out, ow = w->out, oc = ic * mult;
    // Explicit paddings come from attrs, so the output size is checked.
    auto out_shape = TensorShape::FromDims(std::vector<int64_t>{batch, oh, ow, oc});
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    Tensor nhwc = Tensor::Uninitialized(in.dtype(), *out_shape);  // every pixel written below
    const T* x = in.flat<T>().data();
    const T* f = filter.flat<T>().data();
    T* y = nhwc.flat<T>().data();
    using C = Calc<T>;
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
              const T* pf = f + (ky * kw + kx) * ic * mult;
              if (mult == 1) {  // the common case, written so the loop over channels vectorizes
                for (int64_t k = 0; k < ic; ++k) acc[k] += ToCalc(px[k]) * ToCalc(pf[k]);
                continue;
              }
              for (int64_t k = 0; k < ic; ++k) {
                const C v = ToCalc(px[k]);
                for (int64_t m = 0; m < mult; ++m) acc[k * mult + m] += v * ToCalc(pf[k * mult + m]);
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
REGISTER_KERNEL("DepthwiseConv2dNative", DepthwiseConvKernel);

}  // namespace
}  // namespace savedmodel::kernels
