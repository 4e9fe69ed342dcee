// Cast: x (SrcT) -> y (DstT), same shape, between any numeric types and bool.
// Float -> integer saturates and maps NaN to 0 (see ConvertElement), so no
// input hits undefined behaviour. Truncate=true drops the low mantissa bits
// instead of rounding when narrowing float -> bfloat16.
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

template <typename T>
inline constexpr bool kCastable = kIsNumber<T> || std::is_same_v<T, bool>;

class CastKernel : public OpKernel {
 public:
  CastKernel(const OpKernelConstruction& c, Status* s)
      : src_(c.input_types()[0]), dst_(c.output_types()[0]) {
    if (c.HasAttr("Truncate")) *s = c.GetAttr("Truncate", &truncate_);
    if (!s->ok()) return;
    if (src_ == dst_) return;  // identity for any type, strings included
    *s = VisitType(src_, [&](auto src_tag) -> Status {
      using From = decltype(src_tag);
      if constexpr (!kCastable<From>) {
        return c.Error("Unsupported cast from " + DataTypeString(src_) + " to " +
                       DataTypeString(dst_));
      } else {
        return VisitType(dst_, [&](auto dst_tag) -> Status {
          using To = decltype(dst_tag);
          if constexpr (!kCastable<To>) {
            return c.Error("Unsupported cast from " + DataTypeString(src_) + " to " +
                           DataTypeString(dst_));
          } else {
            run_ = &CastKernel::Run<From, To>;
            return Status();
          }
        });
      }
    });
  }

  Status Compute(OpKernelContext* ctx) const override {
    if (run_ == nullptr) {
      ctx->set_output(0, ctx->input(0));
      return Status();
    }
    return (this->*run_)(ctx);
  }

 private:
  template <typename From, typename To>
  Status Run(OpKernelContext* ctx) const {
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, dst_, x.shape());
    const From* in = x.flat<From>().data();
    To* y = out->flat<To>().data();
    const bool truncate = truncate_;
    ParallelFor(ctx->pool(), x.num_elements(), kMinParallelWork, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if constexpr (std::is_same_v<To, bfloat16> && std::is_same_v<From, float>) {
          if (truncate && !std::isnan(in[i])) {
            uint32_t bits;
            std::memcpy(&bits, &in[i], 4);
            y[i].bits = static_cast<uint16_t>(bits >> 16);
            continue;
          }
        }
        y[i] = ConvertElement<To>(in[i]);
      }
    });
    return Status();
  }

  DataType src_, dst_;
  bool truncate_ = false;
  Status (CastKernel::*run_)(OpKernelContext*) const = nullptr;
};

REGISTER_KERNEL("Cast", CastKernel);

}  // namespace
}  // namespace savedmodel::kernels
