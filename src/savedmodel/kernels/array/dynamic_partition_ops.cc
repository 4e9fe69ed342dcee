// Partitioning by index and stitching back, the pair behind TF1's
// partitioned embedding lookups.
//   DynamicPartition(data, partitions) num_partitions=N: partitions' shape is
//       a prefix of data's; output i holds, in order, the data slices whose
//       partition is i: [count_i] + data.shape[partitions.rank:].
//   DynamicStitch / ParallelDynamicStitch(indices[N], data[N]): data[m] is
//       indices[m].shape + slice shape; merged[indices[m][j]] = data[m][j],
//       later (m, j) winning; rows no index names are zeros. The output has
//       max index + 1 rows.
#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

class DynamicPartitionKernel : public OpKernel {
 public:
  DynamicPartitionKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("num_partitions", &n_);
    if (s->ok() && n_ < 1) *s = c.Error("num_partitions must be at least 1");
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor data = ctx->input(0), parts = ctx->input(1);
    const int pr = parts.rank();
    bool prefix = pr <= data.rank();
    for (int d = 0; prefix && d < pr; ++d) prefix = data.dim(d) == parts.dim(d);
    if (!prefix) {
      return ctx->InvalidArg("data.shape must start with partitions.shape, got data.shape = " +
                             data.shape().DebugString() + ", partitions.shape = " + parts.shape().DebugString());
    }
    auto p = parts.flat<int32_t>();
    std::vector<int64_t> counts(n_, 0);
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] < 0 || p[i] >= n_) {
        return ctx->InvalidArg("partitions[" + std::to_string(i) + "] = " + std::to_string(p[i]) +
                               " is not in [0, " + std::to_string(n_) + ")");
      }
      ++counts[p[i]];
    }
    int64_t slice = 1;
    std::vector<int64_t> inner;
    for (int d = pr; d < data.rank(); ++d) inner.push_back(data.dim(d)), slice *= data.dim(d);
    std::vector<Tensor*> outs(n_);
    for (int64_t k = 0; k < n_; ++k) {
      std::vector<int64_t> dims{counts[k]};
      dims.insert(dims.end(), inner.begin(), inner.end());
      ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
      outs[k] = ctx->allocate_output(static_cast<int>(k), data.dtype(), shape);
    }
    return VisitBySize(data.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(data.raw_data());
      std::vector<int64_t> next(n_, 0);
      for (size_t i = 0; i < p.size(); ++i) {
        E* y = static_cast<E*>(outs[p[i]]->raw_data());
        CopyN(x + static_cast<int64_t>(i) * slice, y + next[p[i]]++ * slice, slice);
      }
      return Status::OK();
    });
  }

 private:
  int64_t n_ = 1;
};
REGISTER_KERNEL("DynamicPartition", DynamicPartitionKernel);

class DynamicStitchKernel : public OpKernel {
 public:
  DynamicStitchKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("N", &n_);
    if (s->ok() && n_ < 1) *s = c.Error("N must be at least 1");
  }
  Status Compute(OpKernelContext* ctx) const override {
    // Inputs: indices[0..N), data[0..N).
    const Tensor data0 = ctx->input(static_cast<int>(n_)), idx0 = ctx->input(0);
    if (idx0.rank() > data0.rank()) {
      return ctx->InvalidArg("data[0].shape = " + data0.shape().DebugString() +
                             " does not start with indices[0].shape = " + idx0.shape().DebugString());
    }
    std::vector<int64_t> inner;
    int64_t slice = 1;
    for (int d = idx0.rank(); d < data0.rank(); ++d) inner.push_back(data0.dim(d)), slice *= data0.dim(d);
    int64_t rows = 0;
    std::vector<std::vector<int64_t>> indices(n_);
    for (int64_t m = 0; m < n_; ++m) {
      const Tensor idx = ctx->input(static_cast<int>(m)), data = ctx->input(static_cast<int>(n_ + m));
      bool ok = idx.rank() + static_cast<int>(inner.size()) == data.rank();
      for (int d = 0; ok && d < idx.rank(); ++d) ok = idx.dim(d) == data.dim(d);
      for (size_t d = 0; ok && d < inner.size(); ++d) ok = data.dim(idx.rank() + static_cast<int>(d)) == inner[d];
      if (!ok) {
        return ctx->InvalidArg("data[" + std::to_string(m) + "].shape = " + data.shape().DebugString() +
                               " does not start with indices[" + std::to_string(m) +
                               "].shape = " + idx.shape().DebugString() + " followed by the slice shape of data[0]");
      }
      ASSIGN_OR_RETURN(indices[m], IntValues(idx));
      for (size_t j = 0; j < indices[m].size(); ++j) {
        const int64_t v = indices[m][j];
        if (v < 0) {
          return ctx->InvalidArg("indices[" + std::to_string(m) + "][" + std::to_string(j) + "] = " +
                                 std::to_string(v) + " is negative");
        }
        rows = std::max(rows, v + 1);
      }
    }
    std::vector<int64_t> dims{rows};
    dims.insert(dims.end(), inner.begin(), inner.end());
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(data0.dtype(), *shape));
    RETURN_IF_ERROR(VisitBySize(data0.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      E* y = static_cast<E*>(out.raw_data());
      for (int64_t m = 0; m < n_; ++m) {
        const Tensor data = ctx->input(static_cast<int>(n_ + m));
        const E* x = static_cast<const E*>(data.raw_data());
        for (size_t j = 0; j < indices[m].size(); ++j) CopyN(x + j * slice, y + indices[m][j] * slice, slice);
      }
      return Status::OK();
    }));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

 private:
  int64_t n_ = 1;
};
REGISTER_KERNEL("DynamicStitch", DynamicStitchKernel);
REGISTER_KERNEL("ParallelDynamicStitch", DynamicStitchKernel);

}  // namespace
}  // namespace savedmodel::kernels
