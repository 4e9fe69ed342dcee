// Conv2D.
//   NHWC: input [batch, in_h, in_w, in_c], filter [k_h, k_w, in_c / groups, out_c]
//         -> [batch, out_h, out_w, out_c]
//   NCHW: input and output [batch, c, h, w]; strides, dilations and explicit
//         paddings are given in that order too. Computed as NHWC between two
//         transposes.
// VALID: out = floor((in - (k-1)*d - 1) / s) + 1, which is 0 when the filter
// is larger than the input (an empty result, as in TensorFlow); SAME:
// out = ceil(in / s), padding split with the extra row/column at the
// bottom/right, as TensorFlow does.
#include <algorithm>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

struct Geometry {
  int64_t out = 0, pad_before = 0;
};

StatusOr<Geometry> Window(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                          const std::string& padding, int64_t explicit_before, int64_t explicit_after) {
  const int64_t eff = (k - 1) * dilation + 1;
  Geometry g;
  if (padding == "VALID") {
    g.out = in < eff ? 0 : (in - eff) / stride + 1;
  } else if (padding == "SAME") {
    g.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>(0, (g.out - 1) * stride + eff - in);
    g.pad_before = total / 2;
  } else {  // EXPLICIT
    if (explicit_before < 0 || explicit_after < 0) return InvalidArgument("explicit paddings must be non-negative");
    int64_t padded = in + explicit_before + explicit_after;
    g.out = padded < eff ? 0 : (padded - eff) / stride + 1;
    g.pad_before = explicit_before;
  }
  return g;
}

// Permutes a 4-D tensor: out[i0, i1, i2, i3] = in[index at perm].
template <typename T>
Tensor Permute4(const Tensor& in, const int perm[4]) {
  int64_t d[4], st[4];
  for (int i = 0; i < 4; ++i) d[i] = in.dim(perm[i]);
  int64_t in_st[4] = {in.dim(1) * in.dim(2) * in.dim(3), in.dim(2) * in.dim(3), in.dim(3), 1};
  for (int i = 0; i < 4; ++i) st[i] = in_st[perm[i]];
  Tensor out(in.dtype(), TensorShape{d[0], d[1], d[2], d[3]});
  const T* x = in.flat<T>().data();
  T* y = out.flat<T>().data();
  for (int64_t a = 0; a < d[0]; ++a)
    for (int64_t b = 0; b < d[1]; ++b)
      for (int64_t c = 0; c < d[2]; ++c)
        for (int64_t e = 0; e < d[3]; ++e) *y++ = x[a * st[0] + b * st[1] + c * st[2] + e * st[3]];
  return out;
}

class Conv2DKernel : public TypedKernel<Conv2DKernel> {
  friend class TypedKernel<Conv2DKernel>;

 public:
  Conv2DKernel(const OpKernelConstruction& c, Status* s) {
    std::string format = "NHWC";
    *s = c.GetAttr("strides", &strides_);
    if (s->ok()) *s = c.GetAttr("padding", &padding_);
    if (s->ok() && c.HasAttr("dilations")) *s = c.GetAttr("dilations", &dilations_);
    if (s->ok() && c.HasAttr("data_format")) *s = c.GetAttr("data_format", &format);
    if (s->ok() && c.HasAttr("explicit_paddings")) *s = c.GetAttr("explicit_paddings", &explicit_);
    if (!s->ok()) return;
    *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
    if (!s->ok()) return;
    nchw_ = format == "NCHW";
    const int hd = nchw_ ? 2 : 1, wd = hd + 1, cd = nchw_ ? 1 : 3;
    if (format != "NHWC" && format != "NCHW")
      *s = c.Error("unknown data_format '" + format + "'");
    else if (strides_.size() != 4 || strides_[0] != 1 || strides_[cd] != 1 || strides_[hd] < 1 || strides_[wd] < 1)
      *s = c.Error("strides must be 1 in the batch and depth dimensions and >= 1 in the others");
    else if (dilations_.size() != 4 || dilations_[0] != 1 || dilations_[cd] != 1 || dilations_[hd] < 1 ||
             dilations_[wd] < 1)
      *s = c.Error("dilations must be 1 in the batch and depth dimensions and >= 1 in the others");
    else if (padding_ == "EXPLICIT" && explicit_.size() != 8)
      *s = c.Error("explicit_paddings must have 8 values");
    else if (padding_ != "SAME" && padding_ != "VALID" && padding_ != "EXPLICIT")
      *s = c.Error("unknown padding '" + padding_ + "'");
    if (!s->ok()) return;
    sh_ = strides_[hd], sw_ = strides_[wd], dh_ = dilations_[hd], dw_ = dilations_[wd];
    if (padding_ == "EXPLICIT") {
      pad_[0] = explicit_[2 * hd], pad_[1] = explicit_[2 * hd + 1];
      pad_[2] = explicit_[2 * wd], pad_[3] = explicit_[2 * wd + 1];
    }
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    static constexpr int kToNhwc[4] = {0, 2, 3, 1}, kToNchw[4] = {0, 3, 1, 2};
    Tensor in = ctx->input(0), filter = ctx->input(1);
    if (in.rank() != 4 || filter.rank() != 4) return ctx->Error("input and filter must be 4-D");
    if (nchw_) in = Permute4<T>(in, kToNhwc);
    const int64_t batch = in.dim(0), ih = in.dim(1), iw = in.dim(2), ic = in.dim(3);
    const int64_t kh = filter.dim(0), kw = filter.dim(1), fc = filter.dim(2), oc = filter.dim(3);
    if (fc <= 0 || ic % fc != 0) {
      return ctx->Error("input depth " + std::to_string(ic) + " is not a multiple of filter depth " +
                        std::to_string(fc));
    }
    const int64_t groups = ic / fc;
    if (oc % groups != 0) return ctx->Error("output depth must be a multiple of the group count");
    auto h = Window(ih, kh, sh_, dh_, padding_, pad_[0], pad_[1]);
    auto w = Window(iw, kw, sw_, dw_, padding_, pad_[2], pad_[3]);
    if (!h.ok()) return ctx->Error(h.status().message());
    if (!w.ok()) return ctx->Error(w.status().message());
    const int64_t oh = h->out, ow = w->out;
    Tensor nhwc(in.dtype(), TensorShape{batch, oh, ow, oc});
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
            const int64_t iy = oy * sh_ - h->pad_before + ky * dh_;
            if (iy < 0 || iy >= ih) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * sw_ - w->pad_before + kx * dw_;
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
    ctx->set_output(0, nchw_ ? Permute4<T>(nhwc, kToNchw) : nhwc);
    return Status::OK();
  }

  std::vector<int64_t> strides_, dilations_{1, 1, 1, 1}, explicit_;
  std::string padding_;
  bool nchw_ = false;
  int64_t sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1, pad_[4] = {0, 0, 0, 0};
};
REGISTER_KERNEL("Conv2D", Conv2DKernel);

}  // namespace
}  // namespace savedmodel::kernels
