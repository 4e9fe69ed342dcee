// BiasAdd: adds a per-channel bias.
//   NHWC: value: [..., C], bias: [C] -> same as value
//   NCHW: value: [N, C, ...], bias: [C] -> same as value
#include <string>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/nn/data_format.h"
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
    Tensor* out = ctx->allocate_output(0, dtype_, value.shape());
    const T* x = value.flat<T>().data();
    const T* b = bias.flat<T>().data();
    T* y = out->flat<T>().data();
    const int64_t rows = inner > 0 && channels > 0 ? value.num_elements() / inner : 0;
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
