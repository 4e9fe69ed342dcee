// BiasAdd: adds a per-channel bias.
//   NHWC: value: [..., C], bias: [C] -> same as value
//   NCHW: value: [N, C, ...], bias: [C] -> same as value
#include <algorithm>
#include <string>
#include <type_traits>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/nn/data_format.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

class BiasAddKernel : public TypedKernel<BiasAddKernel> {
  friend class TypedKernel<BiasAddKernel>;

 public:
  BiasAddKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    *s = GetDataFormatIsNchw(c, &nchw_);
    if (!s->ok()) return;
    *s = this->SelectRun(c, dtype_, [](auto t) {
      using T = typename decltype(t)::type;
      return kIsNumber<T>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor value = ctx->input(0), bias = ctx->input(1);
    if (value.rank() < 2) {
      return ctx->InvalidArg("Input tensor must be at least 2D: " + value.shape().DebugString());
    }
    if (bias.rank() != 1) {
      return ctx->InvalidArg("Biases must be 1D: " + bias.shape().DebugString());
    }
    const int channel_dim = nchw_ ? 1 : value.rank() - 1;
    const int64_t channels = value.dim(channel_dim);
    if (bias.dim(0) != channels) {
      return ctx->InvalidArg(
          "Must provide as many biases as the channel dimension of the input tensor: " +
          bias.shape().DebugString() + " vs. " + value.shape().DebugString());
    }
    // Channel of flat index i is (i / inner) % channels.
    int64_t inner = 1;
    for (int d = channel_dim + 1; d < value.rank(); ++d) inner *= value.dim(d);
    Tensor* out = ctx->allocate_output_uninitialized(0, dtype_, value.shape());
    const T* x = value.flat<T>().data();
    const T* b = bias.flat<T>().data();
    T* y = out->flat<T>().data();
    const int64_t rows = inner > 0 && channels > 0 ? value.num_elements() / inner : 0;
    if constexpr (std::is_same_v<T, float>) {
      // The vectorized loop over the same rows: NHWC adds the bias vector to
      // each row of `channels`; NCHW adds one bias value to each row of
      // `inner`, the channel cycling through each image.
      if (rows == 0) return Status();
      const int64_t image_size = channels * inner;
      ParallelFor(ctx->pool(), value.num_elements(), kMinParallelWork,
                  [&](int64_t begin, int64_t end) {
                    if (inner == 1) {
                      f32::BinaryRange(f32::BinaryOp::kAdd, {x, channels, 1}, {b, 0, 1}, y,
                                       channels, begin, end);
                      return;
                    }
                    // Per image: rows of `inner` with one bias value each.
                    for (int64_t n = begin / image_size; n * image_size < end; ++n) {
                      const int64_t base = n * image_size;
                      const int64_t lo = std::max(begin, base) - base;
                      const int64_t hi = std::min(end, base + image_size) - base;
                      f32::BinaryRange(f32::BinaryOp::kAdd, {x + base, inner, 1}, {b, 1, 0},
                                       y + base, inner, lo, hi);
                    }
                  });
      return Status();
    }
    ParallelFor(ctx->pool(), rows, std::max<int64_t>(1, kMinParallelWork / std::max<int64_t>(inner, 1)),
                [&](int64_t r0, int64_t r1) {
                  for (int64_t r = r0; r < r1; ++r) {
                    const auto bv = ToCalc(b[r % channels]);
                    for (int64_t j = 0; j < inner; ++j) {
                      const int64_t i = r * inner + j;
                      y[i] = FromCalc<T>(WrapAdd(ToCalc(x[i]), bv));
                    }
                  }
                });
    return Status();
  }

  DataType dtype_;
  bool nchw_ = false;
};

REGISTER_KERNEL("BiasAdd", BiasAddKernel);

}  // namespace
}  // namespace savedmodel::kernels
