// Conv2D, NHWC.
//   input [batch, in_h, in_w, in_c], filter [k_h, k_w, in_c / groups... = in_c, out_c]
//   -> [batch, out_h, out_w, out_c]
// VALID: out = ceil((in - (k-1)*d) / s); SAME: out = ceil(in / s), padding split
// with the extra row/column at the bottom/right, as TensorFlow does.
#include <algorithm>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

struct Geometry {
  int64_t out = 0, pad_before = 0;
};

StatusOr<Geometry> Window(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                          const std::string& padding, int64_t explicit_before, int64_t explicit_after) {
  const int64_t eff = (k - 1) * dilation + 1;
  Geometry g;
  if (padding == "VALID") {
    if (in < eff) return InvalidArgument("filter is larger than the input");
    g.out = (in - eff) / stride + 1;
  } else if (padding == "SAME") {
    g.out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>(0, (g.out - 1) * stride + eff - in);
    g.pad_before = total / 2;
  } else {  // EXPLICIT
    int64_t padded = in + explicit_before + explicit_after;
    if (padded < eff) return InvalidArgument("filter is larger than the padded input");
    g.out = (padded - eff) / stride + 1;
    g.pad_before = explicit_before;
  }
  return g;
}

class Conv2DKernel : public OpKernel {
 public:
  Conv2DKernel(const OpKernelConstruction& c, Status* s) {
    DataType t = c.input_types()[0];
    std::string format = "NHWC";
    *s = c.GetAttr("strides", &strides_);
    if (s->ok()) *s = c.GetAttr("padding", &padding_);
    if (s->ok() && c.HasAttr("dilations")) *s = c.GetAttr("dilations", &dilations_);
    if (s->ok() && c.HasAttr("data_format")) *s = c.GetAttr("data_format", &format);
    if (s->ok() && c.HasAttr("explicit_paddings")) *s = c.GetAttr("explicit_paddings", &explicit_);
    if (!s->ok()) return;
    if (t != DT_FLOAT) *s = c.UnsupportedType(t);
    else if (format != "NHWC") *s = Unimplemented("node '" + c.name() + "': Conv2D with data_format " + format);
    else if (strides_.size() != 4 || strides_[0] != 1 || strides_[3] != 1 || strides_[1] < 1 || strides_[2] < 1)
      *s = c.Error("strides must be [1, h, w, 1] with h, w >= 1");
    else if (dilations_.size() != 4 || dilations_[0] != 1 || dilations_[3] != 1 || dilations_[1] < 1 || dilations_[2] < 1)
      *s = c.Error("dilations must be [1, h, w, 1] with h, w >= 1");
    else if (padding_ == "EXPLICIT" && explicit_.size() != 8)
      *s = c.Error("explicit_paddings must have 8 values");
    else if (padding_ != "SAME" && padding_ != "VALID" && padding_ != "EXPLICIT")
      *s = c.Error("unknown padding '" + padding_ + "'");
  }

  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0), filter = ctx->input(1);
    if (in.rank() != 4 || filter.rank() != 4) return ctx->Error("input and filter must be 4-D");
    const int64_t batch = in.dim(0), ih = in.dim(1), iw = in.dim(2), ic = in.dim(3);
    const int64_t kh = filter.dim(0), kw = filter.dim(1), fc = filter.dim(2), oc = filter.dim(3);
    if (fc <= 0 || ic % fc != 0) {
      return ctx->Error("input depth " + std::to_string(ic) + " is not a multiple of filter depth " +
                        std::to_string(fc));
    }
    const int64_t groups = ic / fc;
    if (oc % groups != 0) return ctx->Error("output depth must be a multiple of the group count");
    auto h = Window(ih, kh, strides_[1], dilations_[1], padding_, padding_ == "EXPLICIT" ? explicit_[2] : 0,
                    padding_ == "EXPLICIT" ? explicit_[3] : 0);
    auto w = Window(iw, kw, strides_[2], dilations_[2], padding_, padding_ == "EXPLICIT" ? explicit_[4] : 0,
                    padding_ == "EXPLICIT" ? explicit_[5] : 0);
    if (!h.ok()) return ctx->Error(h.status().message());
    if (!w.ok()) return ctx->Error(w.status().message());
    const int64_t oh = h->out, ow = w->out;
    Tensor* out = ctx->allocate_output(0, DT_FLOAT, TensorShape{batch, oh, ow, oc});
    const float* x = in.flat<float>().data();
    const float* f = filter.flat<float>().data();
    float* y = out->flat<float>().data();
    const int64_t oc_per_group = oc / groups;
    // Each output pixel accumulates over the window; the innermost loop runs
    // over output channels, contiguous in both the filter and the output.
    ParallelFor(ctx->pool(), batch * oh, 4, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / oh, oy = row % oh;
        for (int64_t ox = 0; ox < ow; ++ox) {
          float* acc = y + ((b * oh + oy) * ow + ox) * oc;
          std::fill(acc, acc + oc, 0.0f);
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy * strides_[1] - h->pad_before + ky * dilations_[1];
            if (iy < 0 || iy >= ih) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * strides_[2] - w->pad_before + kx * dilations_[2];
              if (ix < 0 || ix >= iw) continue;
              const float* px = x + ((b * ih + iy) * iw + ix) * ic;
              const float* pf = f + (ky * kw + kx) * fc * oc;
              for (int64_t g = 0; g < groups; ++g) {
                for (int64_t c = 0; c < fc; ++c) {
                  const float v = px[g * fc + c];
                  if (v == 0.0f) continue;
                  const float* fr = pf + c * oc + g * oc_per_group;
                  float* a = acc + g * oc_per_group;
                  for (int64_t o = 0; o < oc_per_group; ++o) a[o] += v * fr[o];
                }
              }
            }
          }
        }
      }
    });
    return Status::OK();
  }

 private:
  std::vector<int64_t> strides_, dilations_{1, 1, 1, 1}, explicit_;
  std::string padding_;
};
REGISTER_KERNEL("Conv2D", Conv2DKernel);

}  // namespace
}  // namespace savedmodel
