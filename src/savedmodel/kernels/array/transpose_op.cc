// Transpose: x: [d0..dn], perm: [n+1] -> [d_perm[0] .. d_perm[n]]
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class TransposeKernel : public OpKernel {
 public:
  TransposeKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0), perm_t = ctx->input(1);
    if (perm_t.rank() != 1) {
      return ctx->InvalidArg("perm must be rank 1, got shape " + perm_t.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> perm, IntValues(perm_t));
    const int rank = x.rank();
    if (static_cast<int64_t>(perm.size()) != rank) {
      return ctx->InvalidArg("transpose expects a vector of size " + std::to_string(rank) +
                             ". But input(1) is a vector of size " + std::to_string(perm.size()));
    }
    std::vector<bool> seen(rank, false);
    for (int64_t p : perm) {
      if (p < 0 || p >= rank) {
        return ctx->InvalidArg(std::to_string(p) + " is out of range [0 .. " +
                               std::to_string(rank) + ")");
      }
      if (seen[p]) return ctx->InvalidArg(std::to_string(p) + " is duplicated in perm");
      seen[p] = true;
    }
    const std::vector<int64_t> in_strides = RowMajorStrides(x.shape().dims());
    std::vector<int64_t> dims(rank), strides(rank);
    for (int d = 0; d < rank; ++d) {
      dims[d] = x.dim(static_cast<int>(perm[d]));
      strides[d] = in_strides[perm[d]];
    }
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(dims));
    Tensor* out = ctx->allocate_output(0, x.dtype(), shape);
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      StridedCopy(static_cast<const E*>(x.raw_data()), static_cast<E*>(out->raw_data()), dims,
                  strides, 0);
      return Status();
    });
  }
};

REGISTER_KERNEL("Transpose", TransposeKernel);

}  // namespace
}  // namespace savedmodel::kernels
