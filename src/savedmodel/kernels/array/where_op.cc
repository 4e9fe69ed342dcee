// Where(input) -> int64 [num_true, rank]: the coordinates of the non-zero
// (true) elements in row-major order.
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class WhereKernel : public TypedKernel<WhereKernel> {
  friend class TypedKernel<WhereKernel>;

 public:
  WhereKernel(const OpKernelConstruction& c, Status* s) {
    *s = SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kIsNumber<T> || std::is_same_v<T, bool>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor in = ctx->input(0);
    // TensorFlow's CPU kernel handles ranks 1 to 8 only; a scalar is its error.
    if (in.rank() == 0) return ctx->InvalidArg("WhereOp : Unhandled input dimensions: 0");
    auto x = in.flat<T>();
    std::vector<int64_t> hits;
    for (size_t i = 0; i < x.size(); ++i) {
      if (ToCalc(x[i]) != Calc<T>(0)) hits.push_back(static_cast<int64_t>(i));
    }
    const int rank = in.rank();
    Tensor* out = ctx->allocate_output(0, DT_INT64, TensorShape{static_cast<int64_t>(hits.size()), rank});
    auto y = out->flat<int64_t>();
    for (size_t k = 0; k < hits.size(); ++k) {
      int64_t rem = hits[k];
      for (int d = rank - 1; d >= 0; --d) {
        y[k * rank + d] = rem % in.dim(d);
        rem /= in.dim(d);
      }
    }
    return Status::OK();
  }
};
REGISTER_KERNEL("Where", WhereKernel);

}  // namespace
}  // namespace savedmodel::kernels
