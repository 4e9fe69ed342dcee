// Random initializers: RandomUniform [0, 1), RandomStandardNormal, and
// TruncatedNormal (resampled beyond two standard deviations).
// Seeds: (seed, seed2) both zero draws a nondeterministic seed, otherwise the
// stream is fixed per node, as in TensorFlow. The streams are our own
// (mt19937_64), not TensorFlow's Philox, so values differ from TensorFlow's.
#include <mutex>
#include <random>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

enum class Dist { kUniform, kNormal, kTruncated };

template <Dist kDist>
class RandomKernel : public OpKernel {
 public:
  RandomKernel(const OpKernelConstruction& c, Status* s) {
    int64_t seed = 0, seed2 = 0;
    *s = c.GetAttr("dtype", &dtype_);
    if (s->ok()) *s = c.GetAttr("seed", &seed);
    if (s->ok()) *s = c.GetAttr("seed2", &seed2);
    if (!s->ok()) return;
    if (dtype_ != DT_FLOAT && dtype_ != DT_DOUBLE) *s = c.UnsupportedType(dtype_);
    uint64_t base = (seed == 0 && seed2 == 0) ? std::random_device{}()
                                              : static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ull ^
                                                    static_cast<uint64_t>(seed2);
    gen_.seed(base);
  }

  Status Compute(OpKernelContext* ctx) const override {
    Tensor shape_t = ctx->input(0);
    if (shape_t.rank() != 1) return ctx->Error("shape must be a vector");
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < shape_t.num_elements(); ++i) {
      dims.push_back(shape_t.dtype() == DT_INT64 ? shape_t.flat<int64_t>()[i] : shape_t.flat<int32_t>()[i]);
    }
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->Error(shape.status().message());
    Tensor* out = ctx->allocate_output(0, dtype_, *shape);
    std::lock_guard<std::mutex> l(mu_);
    for (int64_t i = 0; i < out->num_elements(); ++i) {
      double v = Draw();
      if (dtype_ == DT_FLOAT) {
        out->flat<float>()[i] = static_cast<float>(v);
      } else {
        out->flat<double>()[i] = v;
      }
    }
    return Status::OK();
  }

 private:
  double Draw() const {
    if constexpr (kDist == Dist::kUniform) {
      return std::uniform_real_distribution<double>(0.0, 1.0)(gen_);
    } else {
      std::normal_distribution<double> normal(0.0, 1.0);
      double v = normal(gen_);
      if constexpr (kDist == Dist::kTruncated) {
        while (v < -2.0 || v > 2.0) v = normal(gen_);
      }
      return v;
    }
  }

  DataType dtype_ = DT_FLOAT;
  mutable std::mutex mu_;
  mutable std::mt19937_64 gen_;
};
REGISTER_KERNEL("RandomUniform", RandomKernel<Dist::kUniform>);
REGISTER_KERNEL("RandomStandardNormal", RandomKernel<Dist::kNormal>);
REGISTER_KERNEL("TruncatedNormal", RandomKernel<Dist::kTruncated>);

}  // namespace
}  // namespace savedmodel
