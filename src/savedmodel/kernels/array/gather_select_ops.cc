// Index-driven ops.
//   GatherV2: params: [p0.., pa (at axis), ..pn], indices: [i..], axis: []
//       -> [p0.., i.., ..pn]  (batch_dims = 0)
//   Gather: GatherV2 with axis 0.
//   Select: cond: same shape as x, or [x.dim(0)], or []; x, y -> x's shape
//   SelectV2: cond, x, y broadcast together -> broadcast shape
//   OneHot: indices: [i..], depth: [], on/off: [] -> indices' shape with depth at axis
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/array/gather.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {

Status GatherAxis(OpKernelContext* ctx, const Tensor& params, const Tensor& indices_t, int64_t axis,
                  int64_t batch_dims) {
  const int rank = params.rank();
  if (axis < -rank || axis >= rank) {
    return ctx->InvalidArg("Expected axis in the range [" + std::to_string(-rank) + ", " +
                           std::to_string(rank) + "), but got " + std::to_string(axis));
  }
  if (axis < 0) axis += rank;
  // batch_dims: the leading dims params and indices share; each batch
  // gathers from its own slice with its own indices.
  int64_t bd = batch_dims;
  const int irank = indices_t.rank();
  if (bd < 0) bd += irank;
  if (bd < 0 || bd > irank) {
    return ctx->InvalidArg("Expected batch_dims in the range [" + std::to_string(-irank) + ", " +
                           std::to_string(irank) + "], but got " + std::to_string(batch_dims));
  }
  if (bd > axis) {
    return ctx->InvalidArg("batch_dims (" + std::to_string(bd) + ") must be less than or equal to axis (" +
                           std::to_string(axis) + ")");
  }
  int64_t batch = 1;
  for (int d = 0; d < bd; ++d) {
    if (params.dim(d) != indices_t.dim(d)) {
      return ctx->InvalidArg("params.shape[" + std::to_string(d) + "]: " + std::to_string(params.dim(d)) +
                             " should be equal to indices.shape[" + std::to_string(d) +
                             "]: " + std::to_string(indices_t.dim(d)));
    }
    batch *= params.dim(d);
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> indices, IntValues(indices_t));
  const int64_t limit = params.dim(static_cast<int>(axis));
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= limit) {
      return ctx->InvalidArg("indices[" + std::to_string(i) + "] = " +
                             std::to_string(indices[i]) + " is not in [0, " +
                             std::to_string(limit) + ")");
    }
  }
  std::vector<int64_t> dims;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) {
    dims.push_back(params.dim(d));
    if (d >= bd) outer *= params.dim(d);
  }
  for (int d = static_cast<int>(bd); d < irank; ++d) dims.push_back(indices_t.dim(d));
  for (int d = static_cast<int>(axis) + 1; d < rank; ++d) {
    dims.push_back(params.dim(d));
    inner *= params.dim(d);
  }
  auto shape = ShapeFrom(dims);
  if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
  Tensor* out = ctx->allocate_output(0, params.dtype(), *shape);
  const int64_t k = batch == 0 ? 0 : static_cast<int64_t>(indices.size()) / batch;  // per batch
  return VisitBySize(params.dtype(), [&](auto tag) -> Status {
    using E = decltype(tag);
    const E* in = static_cast<const E*>(params.raw_data());
    E* y = static_cast<E*>(out->raw_data());
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t slab = b * outer + o;
        for (int64_t j = 0; j < k; ++j) {
          CopyN(in + (slab * limit + indices[b * k + j]) * inner, y + (slab * k + j) * inner, inner);
        }
      }
    }
    return Status();
  });
}

namespace {

class GatherKernel : public OpKernel {
 public:
  GatherKernel(const OpKernelConstruction& c, Status* s) : v2_(c.node().op() == "GatherV2") {
    if (c.HasAttr("batch_dims")) *s = c.GetAttr("batch_dims", &batch_dims_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor params = ctx->input(0), indices_t = ctx->input(1);
    int64_t axis = 0;
    if (v2_) {
      if (ctx->input(2).num_elements() != 1) return ctx->InvalidArg("axis must be scalar");
      ASSIGN_OR_RETURN(std::vector<int64_t> a, IntValues(ctx->input(2)));
      axis = a[0];
    }
    return GatherAxis(ctx, params, indices_t, axis, batch_dims_);
  }

 private:
  bool v2_;
  int64_t batch_dims_ = 0;
};

class SelectKernel : public OpKernel {
 public:
  SelectKernel(const OpKernelConstruction& c, Status* s) : v2_(c.node().op() == "SelectV2") {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor cond = ctx->input(0), x = ctx->input(1), y = ctx->input(2);
    std::vector<TensorShape> shapes = {cond.shape(), x.shape(), y.shape()};
    if (!v2_) {
      if (!(x.shape() == y.shape())) {
        return ctx->InvalidArg("'then' and 'else' must have the same size.  but received: " +
                               x.shape().DebugString() + " vs. " + y.shape().DebugString());
      }
      if (cond.rank() == 1 && x.rank() >= 1 && !(cond.shape() == x.shape())) {
        // A vector condition picks whole rows: view it as [n, 1, 1, ...].
        if (cond.dim(0) != x.dim(0)) {
          return ctx->InvalidArg("Number of batches of 'then' must match size of 'cond', but "
                                 "saw: " + std::to_string(x.dim(0)) + " vs. " +
                                 std::to_string(cond.dim(0)));
        }
        std::vector<int64_t> cd(x.rank(), 1);
        cd[0] = cond.dim(0);
        shapes[0] = TensorShape::FromDims(cd).value();
      } else if (cond.rank() != 0 && !(cond.shape() == x.shape())) {
        return ctx->InvalidArg("'cond' and 'then' must have the same shape: " +
                               cond.shape().DebugString() + " vs. " + x.shape().DebugString());
      }
    }
    auto plan = MakeBroadcastPlan(shapes);
    if (!plan.ok()) return ctx->InvalidArg(plan.status().message());
    Tensor* out = ctx->allocate_output(0, x.dtype(), plan->out_shape);
    const bool* c = cond.flat<bool>().data();
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* a = static_cast<const E*>(x.raw_data());
      const E* b = static_cast<const E*>(y.raw_data());
      E* z = static_cast<E*>(out->raw_data());
      ForEachBroadcast(*plan, 0, plan->out_shape.num_elements(), [&](int64_t i, const auto& off) {
        z[i] = c[off[0]] ? a[off[1]] : b[off[2]];
      });
      return Status();
    });
  }

 private:
  bool v2_;
};

class OneHotKernel : public OpKernel {
 public:
  OneHotKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.output_types()[0]) {
    *s = c.GetAttr("axis", &axis_);
    if (s->ok() && axis_ < -1) *s = c.Error("Expected axis to be -1 or between [0, rank)");
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor indices_t = ctx->input(0), depth_t = ctx->input(1);
    const Tensor on = ctx->input(2), off = ctx->input(3);
    if (depth_t.num_elements() != 1 || on.num_elements() != 1 || off.num_elements() != 1) {
      return ctx->InvalidArg("depth, on_value and off_value must be scalars");
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> depth_v, IntValues(depth_t));
    const int64_t depth = depth_v[0];
    if (depth < 0) return ctx->InvalidArg("depth must be non-negative, got: " + std::to_string(depth));
    std::vector<int64_t> indices;
    if (indices_t.dtype() == DT_UINT8) {
      for (uint8_t v : indices_t.flat<uint8_t>()) indices.push_back(v);
    } else {
      ASSIGN_OR_RETURN(indices, IntValues(indices_t));
    }
    const int rank = indices_t.rank();
    const int64_t axis = axis_ == -1 ? rank : axis_;
    if (axis > rank) {
      return ctx->InvalidArg("Expected axis to be -1 or between [0, " + std::to_string(rank + 1) +
                             ").  But received: " + std::to_string(axis_));
    }
    std::vector<int64_t> dims = indices_t.shape().dims();
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= dims[d];
    const int64_t inner = outer == 0 ? 0 : indices_t.num_elements() / std::max<int64_t>(outer, 1);
    dims.insert(dims.begin() + axis, depth);
    auto shape = ShapeFrom(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, dtype_, *shape);
    return VisitBySize(dtype_, [&](auto tag) -> Status {
      using E = decltype(tag);
      const E on_v = *static_cast<const E*>(on.raw_data());
      const E off_v = *static_cast<const E*>(off.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      // Output [outer, depth, inner]; an out-of-range index leaves its row off.
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t d = 0; d < depth; ++d) {
          for (int64_t i = 0; i < inner; ++i) {
            y[(o * depth + d) * inner + i] = indices[o * inner + i] == d ? on_v : off_v;
          }
        }
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
  int64_t axis_ = -1;
};

REGISTER_KERNEL("GatherV2", GatherKernel);
REGISTER_KERNEL("Gather", GatherKernel);
REGISTER_KERNEL("Select", SelectKernel);
REGISTER_KERNEL("SelectV2", SelectKernel);
REGISTER_KERNEL("OneHot", OneHotKernel);

}  // namespace
}  // namespace savedmodel::kernels
