// Conv2D.
//   NHWC: input [batch, in_h, in_w, in_c], filter [k_h, k_w, in_c / groups, out_c]
//         -> [batch, out_h, out_w, out_c]
//   NCHW: input and output [batch, c, h, w]; strides, dilations and explicit
//         paddings are given in that order too. Computed as NHWC between two
//         transposes.
// Output sizes and padding: conv_util.h. float runs as matrix products, the
// other types as a direct loop nest (conv2d_gemm.h).
#include <type_traits>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/nn/conv2d_gemm.h"
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
    auto d = Conv2DDimsOf(conv_, in.shape(), filter.shape());
    if (!d.ok()) return ctx->Error(d.status().message());
    auto out_shape = TensorShape::FromDims(std::vector<int64_t>{d->batch, d->oh, d->ow, d->oc});
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    // Both paths write every output element.
    Tensor nhwc = Tensor::Uninitialized(in.dtype(), *out_shape);
    if constexpr (std::is_same_v<T, float>) {
      Conv2DGemm(ctx->pool(), *d, in.flat<float>().data(), filter.flat<float>().data(), nhwc.flat<float>().data());
    } else {
      Conv2DDirect<T>(ctx->pool(), *d, in.flat<T>().data(), filter.flat<T>().data(), nhwc.flat<T>().data());
    }
    ctx->set_output(0, conv_.nchw ? Permute4<T>(nhwc, kToNchw) : nhwc);
    return Status::OK();
  }

  ConvParams conv_;
};
REGISTER_KERNEL("Conv2D", Conv2DKernel);

}  // namespace
}  // namespace savedmodel::kernels
