// MatrixBandPart(input [..., m, n], num_lower, num_upper): keeps the band
// 0 <= i - j <= num_lower, 0 <= j - i <= num_upper of each innermost matrix
// (a negative bound keeps that whole triangle) and zeros the rest. Keras'
// ops.tril/triu and MultiHeadAttention's causal mask run on it.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class MatrixBandPartKernel : public OpKernel {
 public:
  MatrixBandPartKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    if (in.rank() < 2) {
      return ctx->InvalidArg("input must be at least 2-dim, received shape: " + in.shape().DebugString());
    }
    const int64_t m = in.dim(in.rank() - 2), n = in.dim(in.rank() - 1);
    int64_t bounds[2];
    const char* names[2] = {"num_lower", "num_upper"};
    const int64_t limits[2] = {m, n};
    const char* what[2] = {"rows", "cols"};
    for (int k = 0; k < 2; ++k) {
      const Tensor b = ctx->input(1 + k);
      if (b.rank() != 0) {
        return ctx->InvalidArg(std::string(names[k]) + " must be scalar, got shape " + b.shape().DebugString());
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> v, IntValues(b));
      bounds[k] = v[0];
      if (bounds[k] > limits[k]) {
        return ctx->InvalidArg(std::string(names[k]) + " must be negative or less or equal to number of " + what[k] +
                               " (" + std::to_string(limits[k]) + ") got: " + std::to_string(bounds[k]));
      }
    }
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(in.dtype(), in.shape()));
    const int64_t mats = m * n == 0 ? 0 : in.num_elements() / (m * n);
    RETURN_IF_ERROR(VisitBySize(in.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(in.raw_data());
      E* y = static_cast<E*>(out.raw_data());
      for (int64_t b = 0; b < mats; ++b) {
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            const bool keep = (bounds[0] < 0 || i - j <= bounds[0]) && (bounds[1] < 0 || j - i <= bounds[1]);
            if (keep) y[(b * m + i) * n + j] = x[(b * m + i) * n + j];
          }
        }
      }
      return Status::OK();
    }));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("MatrixBandPart", MatrixBandPartKernel);

}  // namespace
}  // namespace savedmodel::kernels
