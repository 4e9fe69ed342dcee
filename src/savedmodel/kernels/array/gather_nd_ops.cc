// Index-tuple ops.
//   GatherNd(params, indices [..., K]) -> indices.shape[:-1] + params.shape[K:]:
//       each K-tuple picks a slice of params.
//   ScatterNd(indices [..., K], updates, shape) -> zeros of `shape` with each
//       update added at its K-tuple (duplicates sum); updates must be
//       indices.shape[:-1] + shape[K:].
// An index outside the shape is an error naming it, as in TensorFlow's CPU
// kernels.
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

std::string Tuple(const std::vector<int64_t>& idx, int64_t at, int64_t k) {
  std::string s = "[";
  for (int64_t j = 0; j < k; ++j) s += (j ? ", " : "") + std::to_string(idx[at * k + j]);
  return s + "]";
}

// Flat slice offsets of each K-tuple into `shape` (slices of `slice` elements),
// or an error naming the first tuple outside it.
StatusOr<std::vector<int64_t>> SliceOffsets(OpKernelContext* ctx, const std::vector<int64_t>& idx, int64_t k,
                                            const TensorShape& shape, const char* what) {
  const int64_t n = k == 0 ? 0 : static_cast<int64_t>(idx.size()) / k;
  std::vector<int64_t> offsets(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t v = idx[i * k + j], dim = shape.dim(static_cast<int>(j));
      if (v < 0 || v >= dim) {
        return ctx->InvalidArg("indices[" + std::to_string(i) + "] = " + Tuple(idx, i, k) +
                               " does not index into " + what + " " + shape.DebugString());
      }
      off = off * dim + v;
    }
    offsets[i] = off;
  }
  return offsets;
}

class GatherNdKernel : public OpKernel {
 public:
  GatherNdKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor params = ctx->input(0), indices = ctx->input(1);
    if (indices.rank() < 1) return ctx->InvalidArg("indices must be at least a vector");
    const int64_t k = indices.dim(indices.rank() - 1);
    if (k > params.rank()) {
      return ctx->InvalidArg("index innermost dimension length must be <= params rank; saw: " + std::to_string(k) +
                             " vs. " + std::to_string(params.rank()));
    }
    std::vector<int64_t> dims(indices.shape().dims().begin(), indices.shape().dims().end() - 1);
    int64_t slice = 1;
    for (int d = static_cast<int>(k); d < params.rank(); ++d) dims.push_back(params.dim(d)), slice *= params.dim(d);
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, IntValues(indices));
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(params.dtype(), *shape));
    const int64_t n = shape->num_elements() == 0 || slice == 0 ? 0 : shape->num_elements() / slice;
    std::vector<int64_t> offsets(n, 0);
    if (k > 0) {
      ASSIGN_OR_RETURN(offsets, SliceOffsets(ctx, idx, k, params.shape(), "param shape"));
    } else if (n > 0 && params.num_elements() == 0) {
      return ctx->InvalidArg("Requested more than 0 entries, but params is empty.");
    }
    RETURN_IF_ERROR(VisitBySize(params.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* x = static_cast<const E*>(params.raw_data());
      E* y = static_cast<E*>(out.raw_data());
      for (int64_t i = 0; i < n; ++i) CopyN(x + offsets[i] * slice, y + i * slice, slice);
      return Status::OK();
    }));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("GatherNd", GatherNdKernel);

class ScatterNdKernel : public TypedKernel<ScatterNdKernel> {
  friend class TypedKernel<ScatterNdKernel>;

 public:
  ScatterNdKernel(const OpKernelConstruction& c, Status* s) {
    *s = SelectRun(c, c.input_types()[1], [](auto t) { return kIsNumber<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor indices = ctx->input(0), updates = ctx->input(1), shape_t = ctx->input(2);
    if (shape_t.rank() != 1) return ctx->InvalidArg("Shape must be a vector, got " + shape_t.shape().DebugString());
    ASSIGN_OR_RETURN(std::vector<int64_t> sdims, IntValues(shape_t));
    auto shape = TensorShape::FromDims(sdims);
    if (!shape.ok()) return ctx->InvalidArg("shape: " + shape.status().message());
    if (indices.rank() < 1) return ctx->InvalidArg("Indices shape must have rank at least one. Found:[]");
    const int64_t k = indices.dim(indices.rank() - 1);
    if (k > shape->rank()) {
      return ctx->InvalidArg("Output must be at least " + std::to_string(k) + "-dimensional, got " +
                             shape->DebugString());
    }
    // updates must be indices.shape[:-1] + shape[k:].
    std::vector<int64_t> want(indices.shape().dims().begin(), indices.shape().dims().end() - 1);
    int64_t slice = 1;
    for (int d = static_cast<int>(k); d < shape->rank(); ++d) want.push_back(shape->dim(d)), slice *= shape->dim(d);
    if (updates.shape().dims() != want) {
      return ctx->InvalidArg("Dimensions of updates " + updates.shape().DebugString() + " must be indices.shape[:-1] + "
                             "shape[indices.shape[-1]:] for indices " + indices.shape().DebugString() +
                             " and shape " + shape->DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, IntValues(indices));
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(updates.dtype(), *shape));
    std::vector<int64_t> offsets;
    if (k > 0) {
      ASSIGN_OR_RETURN(offsets, SliceOffsets(ctx, idx, k, *shape, "shape"));
    } else {
      offsets.assign(slice == 0 ? 0 : updates.num_elements() / slice, 0);
    }
    const T* u = updates.flat<T>().data();
    T* y = out.flat<T>().data();
    for (size_t i = 0; i < offsets.size(); ++i) {
      for (int64_t e = 0; e < slice; ++e) {
        T& dst = y[offsets[i] * slice + e];
        dst = FromCalc<T>(ToCalc(dst) + ToCalc(u[i * slice + e]));
      }
    }
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("ScatterNd", ScatterNdKernel);

}  // namespace
}  // namespace savedmodel::kernels
