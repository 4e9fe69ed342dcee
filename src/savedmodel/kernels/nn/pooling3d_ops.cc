// MaxPool3D and AvgPool3D (Keras MaxPooling3D / AveragePooling3D).
//   NDHWC: [batch, d, h, w, c] -> [batch, out_d, out_h, out_w, c]; ksize and
//   strides [1, kd, kh, kw, 1]. NCDHW: [batch, c, d, h, w], ksize and
//   strides [1, 1, kd, kh, kw].
// Output sizes from conv_util.h's Window(). As in 2-D pooling, padded
// positions take no part: MaxPool3D ignores them (and NaN never wins),
// AvgPool3D divides by the number of real elements under the window.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

template <bool kMax>
class Pool3DKernel : public TypedKernel<Pool3DKernel<kMax>> {
  friend class TypedKernel<Pool3DKernel>;

 public:
  Pool3DKernel(const OpKernelConstruction& c, Status* s) {
    std::string format = "NDHWC";
    std::vector<int64_t> ksize, strides;
    *s = c.GetAttr("ksize", &ksize);
    if (s->ok()) *s = c.GetAttr("strides", &strides);
    if (s->ok()) *s = c.GetAttr("padding", &padding_);
    if (s->ok() && c.HasAttr("data_format")) *s = c.GetAttr("data_format", &format);
    if (!s->ok()) return;
    *s = this->SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
    if (!s->ok()) return;
    ncdhw_ = format == "NCDHW";
    const int first = ncdhw_ ? 2 : 1, cd = ncdhw_ ? 1 : 4;
    if (format != "NDHWC" && format != "NCDHW") {
      *s = c.Error("Invalid data format: " + format);
    } else if (ksize.size() != 5 || strides.size() != 5) {
      *s = c.Error("Sliding window ksize and strides fields must specify 5 dimensions");
    } else if (ksize[0] != 1 || ksize[cd] != 1 || strides[0] != 1 || strides[cd] != 1) {
      *s = c.Error("Pooling is not yet supported on the batch nor channel dimension.");
    } else if (padding_ != "SAME" && padding_ != "VALID") {
      *s = c.Error("padding '" + padding_ + "' is not supported");
    } else {
      for (int i = 0; i < 3; ++i) {
        k_[i] = ksize[first + i], s_[i] = strides[first + i];
        if (k_[i] < 1 || s_[i] < 1) *s = c.Error("ksize and strides must be positive");
      }
    }
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor in = ctx->input(0);
    if (in.rank() != 5) return ctx->InvalidArg("tensor_in must be 5-dimensional, got " + in.shape().DebugString());
    const int first = ncdhw_ ? 2 : 1;
    const int64_t n = in.dim(0), c = ncdhw_ ? in.dim(1) : in.dim(4);
    const int64_t id[3] = {in.dim(first), in.dim(first + 1), in.dim(first + 2)};
    Geometry g[3];
    for (int i = 0; i < 3; ++i) {
      auto w = Window(id[i], k_[i], s_[i], 1, padding_, 0, 0);
      if (!w.ok()) return ctx->InvalidArg(w.status().message());
      g[i] = *w;
    }
    const int64_t od = g[0].out, oh = g[1].out, ow = g[2].out;
    std::vector<int64_t> dims =
        ncdhw_ ? std::vector<int64_t>{n, c, od, oh, ow} : std::vector<int64_t>{n, od, oh, ow, c};
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, in.dtype(), *shape);
    const T* x = in.flat<T>().data();
    T* y = out->flat<T>().data();
    // Element strides of (batch, z, y, x, channel) in either layout.
    const int64_t vol = id[0] * id[1] * id[2], ovol = od * oh * ow;
    const int64_t sn = vol * c, sz = ncdhw_ ? id[1] * id[2] : id[1] * id[2] * c, sy = ncdhw_ ? id[2] : id[2] * c,
                  sx = ncdhw_ ? 1 : c, sc = ncdhw_ ? vol : 1;
    const int64_t on = ovol * c, oz_ = ncdhw_ ? oh * ow : oh * ow * c, oy_ = ncdhw_ ? ow : ow * c,
                  ox_ = ncdhw_ ? 1 : c, oc_ = ncdhw_ ? ovol : 1;
    using C = Calc<T>;
    ParallelFor(ctx->pool(), n * od * oh, 4, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t b = row / (od * oh), oz = row / oh % od, oy = row % oh;
        const int64_t z0 = std::max<int64_t>(0, oz * s_[0] - g[0].pad_before),
                      z1 = std::min(id[0], oz * s_[0] - g[0].pad_before + k_[0]);
        const int64_t y0 = std::max<int64_t>(0, oy * s_[1] - g[1].pad_before),
                      y1 = std::min(id[1], oy * s_[1] - g[1].pad_before + k_[1]);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = std::max<int64_t>(0, ox * s_[2] - g[2].pad_before),
                        x1 = std::min(id[2], ox * s_[2] - g[2].pad_before + k_[2]);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* base = x + b * sn + ch * sc;
            C acc = kMax ? -std::numeric_limits<C>::infinity() : C(0);
            for (int64_t iz = z0; iz < z1; ++iz) {
              for (int64_t iy = y0; iy < y1; ++iy) {
                for (int64_t ix = x0; ix < x1; ++ix) {
                  const C v = ToCalc(base[iz * sz + iy * sy + ix * sx]);
                  if constexpr (kMax) {
                    if (v > acc) acc = v;
                  } else {
                    acc += v;
                  }
                }
              }
            }
            if constexpr (!kMax) acc /= static_cast<C>((z1 - z0) * (y1 - y0) * (x1 - x0));
            y[b * on + oz * oz_ + oy * oy_ + ox * ox_ + ch * oc_] = FromCalc<T>(acc);
          }
        }
      }
    });
    return Status::OK();
  }

  std::string padding_;
  bool ncdhw_ = false;
  int64_t k_[3] = {1, 1, 1}, s_[3] = {1, 1, 1};
};
REGISTER_KERNEL("MaxPool3D", Pool3DKernel<true>);
REGISTER_KERNEL("AvgPool3D", Pool3DKernel<false>);

}  // namespace
}  // namespace savedmodel::kernels
