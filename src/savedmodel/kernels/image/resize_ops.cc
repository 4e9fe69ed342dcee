// ResizeBilinear and ResizeNearestNeighbor(images [b, h, w, c], size [2]).
// Source coordinate of output pixel i, as TensorFlow computes it:
//   scale = align_corners && out > 1 ? (in - 1) / (out - 1) : in / out
//   half_pixel_centers: (i + 0.5) * scale - 0.5 (bilinear), (i + 0.5) * scale (nearest)
//   otherwise:          i * scale
// Bilinear reads the two neighbours floor/ceil (clamped) and interpolates in
// float (its output is always float32); nearest takes floor, or round with
// align_corners, clamped to the image, and keeps the input dtype.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

float Scale(int64_t in, int64_t out, bool align_corners) {
  return align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                  : static_cast<float>(in) / static_cast<float>(out);
}

struct ResizeArgs {
  int64_t b, ih, iw, c, oh, ow;
};

StatusOr<ResizeArgs> Check(OpKernelContext* ctx) {
  const Tensor& x = ctx->input(0);
  const Tensor& size = ctx->input(1);
  if (x.rank() != 4) return ctx->InvalidArg("input must be 4-dimensional, got " + x.shape().DebugString());
  if (size.rank() != 1 || size.num_elements() != 2) {
    return ctx->InvalidArg("shape_t must be 1-dimensional with 2 elements, got " + size.shape().DebugString());
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> hw, IntValues(size));
  if (hw[0] <= 0 || hw[1] <= 0) return ctx->InvalidArg("output dimensions must be positive");
  if (x.dim(1) <= 0 || x.dim(2) <= 0) return ctx->InvalidArg("input image must be of non-zero size");
  return ResizeArgs{x.dim(0), x.dim(1), x.dim(2), x.dim(3), hw[0], hw[1]};
}

class ResizeBilinearKernel : public TypedKernel<ResizeBilinearKernel> {
  friend class TypedKernel<ResizeBilinearKernel>;

 public:
  ResizeBilinearKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("align_corners", &align_corners_);
    if (s->ok()) *s = c.GetAttr("half_pixel_centers", &half_pixel_);
    if (s->ok() && align_corners_ && half_pixel_) *s = c.Error("If half_pixel_centers is True, align_corners must be False.");
    if (s->ok()) *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsReal<typename decltype(t)::type>; });
  }

 private:
  struct Weights {
    std::vector<int64_t> lo, hi;
    std::vector<float> lerp;
  };
  Weights Interp(int64_t in, int64_t out) const {
    Weights w;
    const float scale = Scale(in, out, align_corners_);
    for (int64_t i = 0; i < out; ++i) {
      const float src = half_pixel_ ? (static_cast<float>(i) + 0.5f) * scale - 0.5f : static_cast<float>(i) * scale;
      const float f = std::floor(src);
      w.lo.push_back(std::max<int64_t>(static_cast<int64_t>(f), 0));
      w.hi.push_back(std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1));
      w.lerp.push_back(src - f);
    }
    return w;
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    ASSIGN_OR_RETURN(ResizeArgs a, Check(ctx));
    const Weights ys = Interp(a.ih, a.oh), xs = Interp(a.iw, a.ow);
    Tensor* out = ctx->allocate_output(0, DT_FLOAT, TensorShape{a.b, a.oh, a.ow, a.c});
    const T* x = ctx->input(0).flat<T>().data();
    float* y = out->flat<float>().data();
    auto at = [&](int64_t b, int64_t r, int64_t col, int64_t ch) {
      return static_cast<float>(ToCalc(x[((b * a.ih + r) * a.iw + col) * a.c + ch]));
    };
    for (int64_t b = 0; b < a.b; ++b)
      for (int64_t r = 0; r < a.oh; ++r)
        for (int64_t col = 0; col < a.ow; ++col)
          for (int64_t ch = 0; ch < a.c; ++ch) {
            const float tl = at(b, ys.lo[r], xs.lo[col], ch), tr = at(b, ys.lo[r], xs.hi[col], ch);
            const float bl = at(b, ys.hi[r], xs.lo[col], ch), br = at(b, ys.hi[r], xs.hi[col], ch);
            const float top = tl + (tr - tl) * xs.lerp[col];
            const float bottom = bl + (br - bl) * xs.lerp[col];
            *y++ = top + (bottom - top) * ys.lerp[r];
          }
    return Status::OK();
  }

  bool align_corners_ = false, half_pixel_ = false;
};
REGISTER_KERNEL("ResizeBilinear", ResizeBilinearKernel);

class ResizeNearestKernel : public OpKernel {
 public:
  ResizeNearestKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("align_corners", &align_corners_);
    if (s->ok()) *s = c.GetAttr("half_pixel_centers", &half_pixel_);
    if (s->ok() && align_corners_ && half_pixel_) *s = c.Error("If half_pixel_centers is True, align_corners must be False.");
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(ResizeArgs a, Check(ctx));
    const std::vector<int64_t> ys = Source(a.ih, a.oh), xs = Source(a.iw, a.ow);
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, x.dtype(), TensorShape{a.b, a.oh, a.ow, a.c});
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* in = static_cast<const E*>(x.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      for (int64_t b = 0; b < a.b; ++b)
        for (int64_t r = 0; r < a.oh; ++r)
          for (int64_t col = 0; col < a.ow; ++col) {
            CopyN(in + ((b * a.ih + ys[r]) * a.iw + xs[col]) * a.c, y, a.c);
            y += a.c;
          }
      return Status();
    });
  }

 private:
  std::vector<int64_t> Source(int64_t in, int64_t out) const {
    std::vector<int64_t> src;
    const float scale = Scale(in, out, align_corners_);
    for (int64_t i = 0; i < out; ++i) {
      const float f = half_pixel_ ? (static_cast<float>(i) + 0.5f) * scale : static_cast<float>(i) * scale;
      int64_t k = static_cast<int64_t>(align_corners_ ? std::round(f) : std::floor(f));
      src.push_back(std::clamp<int64_t>(k, 0, in - 1));
    }
    return src;
  }

  bool align_corners_ = false, half_pixel_ = false;
};
REGISTER_KERNEL("ResizeNearestNeighbor", ResizeNearestKernel);

}  // namespace
}  // namespace savedmodel::kernels
