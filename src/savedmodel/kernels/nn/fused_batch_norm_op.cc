// FusedBatchNorm, V2 and V3 at inference (is_training = false), as Keras'
// BatchNormalization runs in a served model:
//   y = (x - mean) * rsqrt(variance + epsilon) * scale + offset
// over the channel dimension (last for NHWC, second for NCHW).
//   x, y: [batch, h, w, c] (T: float, or half/bfloat16 with U = float)
//   scale, offset, mean, variance: [c] (U)
// The other outputs repeat the given mean and variance (batch_mean,
// batch_variance, reserve_space_1/2) and V3's reserve_space_3 is empty, as
// TensorFlow's CPU kernel returns them at inference.
#include <algorithm>
#include <cmath>
#include <string>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class FusedBatchNormKernel : public TypedKernel<FusedBatchNormKernel> {
  friend class TypedKernel<FusedBatchNormKernel>;

 public:
  FusedBatchNormKernel(const OpKernelConstruction& c, Status* s) : v3_(c.node().op() == "FusedBatchNormV3") {
    std::string format = "NHWC";
    bool training = true;
    *s = c.GetAttr("epsilon", &epsilon_);
    if (s->ok()) *s = c.GetAttr("is_training", &training);
    if (s->ok() && c.HasAttr("data_format")) *s = c.GetAttr("data_format", &format);
    if (!s->ok()) return;
    if (training) {
      *s = Unimplemented("node '" + c.name() + "': " + c.node().op() + " with is_training=true (training mode)");
      return;
    }
    if (format != "NHWC" && format != "NCHW") {
      *s = c.Error("data_format '" + format + "' is not supported");
      return;
    }
    nchw_ = format == "NCHW";
    if (c.input_types()[1] != DT_FLOAT) {
      *s = c.UnsupportedType(c.input_types()[1]);
      return;
    }
    *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsFloat<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor x = ctx->input(0);
    if (x.rank() != 4) return ctx->InvalidArg("input must be 4-dimensional, got " + x.shape().DebugString());
    const int64_t c = nchw_ ? x.dim(1) : x.dim(3);
    for (int i = 1; i <= 4; ++i) {
      const Tensor& p = ctx->input(i);
      if (p.rank() != 1 || p.dim(0) != c) {
        return ctx->InvalidArg("input " + std::to_string(i) + " must be a vector of " + std::to_string(c) +
                               " values, got " + p.shape().DebugString());
      }
    }
    const float* scale = ctx->input(1).flat<float>().data();
    const float* offset = ctx->input(2).flat<float>().data();
    const float* mean = ctx->input(3).flat<float>().data();
    const float* var = ctx->input(4).flat<float>().data();
    // Per channel: y = x * a + b.
    std::vector<float> a(c), b(c);
    for (int64_t k = 0; k < c; ++k) {
      a[k] = scale[k] / std::sqrt(var[k] + epsilon_);
      b[k] = offset[k] - mean[k] * a[k];
    }
    Tensor* out = ctx->allocate_output_uninitialized(0, x.dtype(), x.shape());  // every element written below
    const T* xs = x.flat<T>().data();
    T* ys = out->flat<T>().data();
    // Rows of one channel (NCHW: a plane) or of all channels (NHWC: a pixel),
    // so the inner loop has no division and vectorizes.
    const int64_t row = nchw_ ? x.dim(2) * x.dim(3) : c;
    const int64_t rows = row == 0 ? 0 : x.num_elements() / row;
    const int64_t min_rows = std::max<int64_t>(1, kMinParallelWork / std::max<int64_t>(1, row));
    ParallelFor(ctx->pool(), rows, min_rows, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* xr = xs + r * row;
        T* yr = ys + r * row;
        if (nchw_) {
          const float ak = a[r % c], bk = b[r % c];
          for (int64_t j = 0; j < row; ++j) yr[j] = FromCalc<T>(static_cast<Calc<T>>(ToCalc(xr[j]) * ak + bk));
        } else {
          for (int64_t k = 0; k < row; ++k) yr[k] = FromCalc<T>(static_cast<Calc<T>>(ToCalc(xr[k]) * a[k] + b[k]));
        }
      }
    });
    for (int i = 1; i <= 4; ++i) ctx->set_output(i, ctx->input(i % 2 == 1 ? 3 : 4));
    if (v3_) ctx->allocate_output(5, DT_FLOAT, TensorShape{0});
    return Status::OK();
  }

  float epsilon_ = 1e-4f;
  bool nchw_ = false, v3_;
};
REGISTER_KERNEL("FusedBatchNorm", FusedBatchNormKernel);
REGISTER_KERNEL("FusedBatchNormV2", FusedBatchNormKernel);
REGISTER_KERNEL("FusedBatchNormV3", FusedBatchNormKernel);

}  // namespace
}  // namespace savedmodel::kernels
