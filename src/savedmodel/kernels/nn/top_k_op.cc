// TopKV2: the k largest entries along the last axis.
//   input: [..., n], k: int32 scalar -> values [..., k], indices int32 [..., k]
// Ties keep the lower index first, as TensorFlow's stable sort does.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

template <typename T>
void TopKRows(const Tensor& in, int64_t k, Tensor* values, Tensor* indices) {
  const int64_t n = in.dim(in.rank() - 1);
  const int64_t rows = n == 0 ? 0 : in.num_elements() / n;
  auto x = in.flat<T>();
  auto v = values->flat<T>();
  auto idx = indices->flat<int32_t>();
  std::vector<int32_t> order(n);
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x.data() + r * n;
    std::iota(order.begin(), order.end(), 0);
    // NaN sorts above everything, as in TensorFlow.
    auto greater = [row](int32_t a, int32_t b) {
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(row[a])) return !std::isnan(row[b]);
        if (std::isnan(row[b])) return false;
      }
      return row[a] > row[b];
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return greater(a, b) || (!greater(b, a) && a < b); });
    for (int64_t j = 0; j < k; ++j) {
      v[r * k + j] = row[order[j]];
      idx[r * k + j] = order[j];
    }
  }
}

class TopKKernel : public OpKernel {
 public:
  TopKKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    switch (dtype_) {
      case DT_FLOAT: case DT_DOUBLE: case DT_INT32: case DT_INT64: break;
      default: *s = c.UnsupportedType(dtype_);
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0), kt = ctx->input(1);
    if (kt.num_elements() != 1) return ctx->Error("k must be a scalar, got shape " + kt.shape().DebugString());
    const int64_t k = kt.flat<int32_t>()[0];
    if (in.rank() < 1) return ctx->Error("input must be at least 1-D");
    const int64_t n = in.dim(in.rank() - 1);
    if (k < 0) return ctx->Error("Need k >= 0, got " + std::to_string(k));
    if (n < k) {
      return ctx->Error("input must have at least k columns. Had " + std::to_string(n) + ", needed " +
                        std::to_string(k));
    }
    TensorShape out_shape;
    for (int d = 0; d + 1 < in.rank(); ++d) out_shape.AddDim(in.dim(d));
    out_shape.AddDim(k);
    Tensor* values = ctx->allocate_output(0, dtype_, out_shape);
    Tensor* indices = ctx->allocate_output(1, DT_INT32, out_shape);
    switch (dtype_) {
      case DT_FLOAT: TopKRows<float>(in, k, values, indices); break;
      case DT_DOUBLE: TopKRows<double>(in, k, values, indices); break;
      case DT_INT32: TopKRows<int32_t>(in, k, values, indices); break;
      default: TopKRows<int64_t>(in, k, values, indices); break;
    }
    return Status::OK();
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("TopKV2", TopKKernel);

}  // namespace
}  // namespace savedmodel
