// Cumsum and Cumprod(x, axis): running sums/products along one axis;
// `exclusive` starts each run from the identity, `reverse` runs from the end.
//   x [outer, n, inner] (axis in the middle) -> same shape
#include <string>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

template <bool kProd>
class ScanKernel : public TypedKernel<ScanKernel<kProd>> {
  friend class TypedKernel<ScanKernel>;

 public:
  ScanKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("exclusive", &exclusive_);
    if (s->ok()) *s = c.GetAttr("reverse", &reverse_);
    if (s->ok()) *s = this->SelectRun(c, c.input_types()[0], [](auto t) { return kIsNumber<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor x = ctx->input(0);
    const Tensor axis_t = ctx->input(1);
    if (axis_t.rank() != 0) return ctx->InvalidArg("axis must be a scalar, got shape " + axis_t.shape().DebugString());
    ASSIGN_OR_RETURN(std::vector<int64_t> a, IntValues(axis_t));
    const int rank = x.rank();
    if (a[0] < -rank || a[0] >= rank) {
      return ctx->InvalidArg("axis must be in the range [" + std::to_string(-rank) + ", " + std::to_string(rank) +
                             "), got " + std::to_string(a[0]));
    }
    const int axis = static_cast<int>(a[0] < 0 ? a[0] + rank : a[0]);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int d = axis + 1; d < rank; ++d) inner *= x.dim(d);
    const int64_t n = x.dim(axis);
    Tensor* out = ctx->allocate_output(0, x.dtype(), x.shape());
    const T* xs = x.flat<T>().data();
    T* ys = out->flat<T>().data();
    using C = Calc<T>;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        C acc = kProd ? C(1) : C(0);
        for (int64_t step = 0; step < n; ++step) {
          const int64_t k = reverse_ ? n - 1 - step : step;
          const int64_t at = (o * n + k) * inner + i;
          const C v = ToCalc(xs[at]);
          if (exclusive_) ys[at] = FromCalc<T>(acc);
          if constexpr (kProd) acc = WrapMul(acc, v);
          else acc = WrapAdd(acc, v);
          if (!exclusive_) ys[at] = FromCalc<T>(acc);
        }
      }
    }
    return Status::OK();
  }

  bool exclusive_ = false, reverse_ = false;
};
REGISTER_KERNEL("Cumsum", ScanKernel<false>);
REGISTER_KERNEL("Cumprod", ScanKernel<true>);

}  // namespace
}  // namespace savedmodel::kernels
