// ReverseV2(tensor, axis): the elements in reverse order along each listed
// axis (negative axes count from the end; listing an axis twice is an error).
// A strided copy with negative strides on the reversed axes.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class ReverseKernel : public OpKernel {
 public:
  ReverseKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    ASSIGN_OR_RETURN(std::vector<int64_t> axes, IntValues(ctx->input(1)));
    const int rank = x.rank();
    std::vector<bool> flip(rank, false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) {
        return ctx->InvalidArg("'axis'[] = " + std::to_string(a) + " is out of valid range [" +
                               std::to_string(-rank) + ", " + std::to_string(rank - 1) + "]");
      }
      const int d = static_cast<int>(a < 0 ? a + rank : a);
      if (flip[d]) return ctx->InvalidArg("axis " + std::to_string(d) + " specified more than once.");
      flip[d] = true;
    }
    const std::vector<int64_t>& dims = x.shape().dims();
    std::vector<int64_t> strides = RowMajorStrides(dims);
    int64_t base = 0;
    for (int d = 0; d < rank; ++d) {
      if (flip[d] && dims[d] > 0) {
        base += (dims[d] - 1) * strides[d];
        strides[d] = -strides[d];
      }
    }
    Tensor* out = ctx->allocate_output(0, x.dtype(), x.shape());
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      StridedCopy(static_cast<const E*>(x.raw_data()), static_cast<E*>(out->raw_data()), dims, strides, base);
      return Status();
    });
  }
};
REGISTER_KERNEL("ReverseV2", ReverseKernel);

}  // namespace
}  // namespace savedmodel::kernels
