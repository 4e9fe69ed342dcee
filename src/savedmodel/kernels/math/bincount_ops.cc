// Counting ops (TextVectorization's count/multi_hot/tf_idf outputs).
//   Bincount(arr int32, size [], weights) -> [size]: out[v] = sum of the
//       weights (or 1 when weights is empty) of the elements equal to v.
//   DenseBincount(input [n] or [b, n], size [], weights) binary_output:
//       the same per row for 2-D input -> [size] or [b, size]; binary_output
//       writes 1 for every value present instead of the sum.
// Values >= size are dropped; negative values are an error, as in
// TensorFlow's CPU kernels.
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

template <typename T>
constexpr bool kCountable = std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> || std::is_same_v<T, float> ||
                            std::is_same_v<T, double>;

class BincountKernel : public TypedKernel<BincountKernel> {
  friend class TypedKernel<BincountKernel>;

 public:
  BincountKernel(const OpKernelConstruction& c, Status* s) : dense_(c.node().op() == "DenseBincount") {
    if (dense_) *s = c.GetAttr("binary_output", &binary_);
    if (s->ok()) *s = SelectRun(c, c.input_types()[2], [](auto t) { return kCountable<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor input = ctx->input(0), size_t_ = ctx->input(1), weights = ctx->input(2);
    if (size_t_.rank() != 0) {
      return ctx->InvalidArg("Shape must be rank 0 but is rank " + std::to_string(size_t_.rank()));
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> size_v, IntValues(size_t_));
    const int64_t size = size_v[0];
    if (size < 0) return ctx->InvalidArg("size (" + std::to_string(size) + ") must be non-negative");
    const int rank = input.rank();
    if (dense_ ? (rank != 1 && rank != 2) : false) {
      return ctx->InvalidArg("Shape must be at most rank 2 but is rank " + std::to_string(rank));
    }
    const bool weighted = weights.num_elements() > 0;
    if (weighted && !(weights.shape() == input.shape())) {
      return ctx->InvalidArg("Weights and input must have the same shape. Input shape: " +
                             input.shape().DebugString() + ", weights shape: " + weights.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> values, IntValues(input));
    const int64_t rows = dense_ && rank == 2 ? input.dim(0) : 1;
    const int64_t per_row = rows == 0 ? 0 : static_cast<int64_t>(values.size()) / rows;
    std::vector<int64_t> dims;
    if (dense_ && rank == 2) dims.push_back(rows);
    dims.push_back(size);
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(weights.dtype(), *shape));
    T* y = out.flat<T>().data();
    const T* w = weighted ? weights.flat<T>().data() : nullptr;
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t v = values[i];
      if (v < 0) return ctx->InvalidArg("Input arr must be non-negative!");
      if (v >= size) continue;
      T& slot = y[static_cast<int64_t>(i) / (per_row == 0 ? 1 : per_row) * size + v];
      if (binary_) slot = T(1);
      else slot += w ? w[i] : T(1);
    }
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

  bool dense_;
  bool binary_ = false;
};
REGISTER_KERNEL("Bincount", BincountKernel);
REGISTER_KERNEL("DenseBincount", BincountKernel);

}  // namespace
}  // namespace savedmodel::kernels
