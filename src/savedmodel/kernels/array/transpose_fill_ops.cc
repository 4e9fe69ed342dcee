// Transpose: x: [d0..dn], perm: [n+1] -> [d_perm[0] .. d_perm[n]]
// Fill: dims: [k], value: [] -> dims        ZerosLike / OnesLike: x -> same shape
// Range: start, limit, delta (scalars) -> [ceil((limit - start) / delta)]
#include <cmath>
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

class FillKernel : public OpKernel {
 public:
  FillKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor dims_t = ctx->input(0), value = ctx->input(1);
    if (dims_t.rank() != 1) {
      return ctx->InvalidArg("dims must be a vector, got shape " + dims_t.shape().DebugString());
    }
    if (value.rank() != 0) {
      return ctx->InvalidArg("value must be a scalar, got shape " + value.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, IntValues(dims_t));
    auto shape = ShapeFrom(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, value.dtype(), *shape);
    return VisitBySize(value.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E v = *static_cast<const E*>(value.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      std::fill(y, y + out->num_elements(), v);
      return Status();
    });
  }
};

class ZerosLikeKernel : public OpKernel {
 public:
  ZerosLikeKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    ctx->allocate_output(0, x.dtype(), x.shape());  // tensors start zeroed
    return Status();
  }
};

class OnesLikeKernel : public OpKernel {
 public:
  OnesLikeKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    *s = VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsNumber<T> || std::is_same_v<T, bool>) return Status();
      else return c.UnsupportedType(dtype_);
    });
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, dtype_, x.shape());
    return VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsNumber<T> || std::is_same_v<T, bool>) {
        auto y = out->flat<T>();
        std::fill(y.begin(), y.end(), ConvertElement<T>(1));
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
};

class RangeKernel : public OpKernel {
 public:
  RangeKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.output_types()[0]) {
    *s = VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsReal<T>) return Status();
      else return c.UnsupportedType(dtype_);
    });
  }
  Status Compute(OpKernelContext* ctx) const override {
    for (int i = 0; i < 3; ++i) {
      if (ctx->input(i).num_elements() != 1) {
        static const char* kNames[] = {"start", "limit", "delta"};
        return ctx->InvalidArg(std::string(kNames[i]) + " must be a scalar, not shape " +
                               ctx->input(i).shape().DebugString());
      }
    }
    return VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (kIsReal<T>) {
        using C = Calc<T>;
        const C start = ToCalc(ctx->input(0).flat<T>()[0]);
        const C limit = ToCalc(ctx->input(1).flat<T>()[0]);
        const C delta = ToCalc(ctx->input(2).flat<T>()[0]);
        auto str = [](C v) { return std::to_string(v); };
        if (delta == C(0)) return ctx->InvalidArg("Requires delta != 0: " + str(delta));
        if (delta > C(0) && start > limit) {
          return ctx->InvalidArg("Requires start <= limit when delta > 0: " + str(start) + "/" +
                                 str(limit));
        }
        if (delta < C(0) && start < limit) {
          return ctx->InvalidArg("Requires start >= limit when delta < 0: " + str(start) + "/" +
                                 str(limit));
        }
        int64_t size;
        if constexpr (kIsInt<C>) {
          // Through double: limit - start may overflow C.
          const double span = std::abs(static_cast<double>(limit) - static_cast<double>(start));
          const double step = std::abs(static_cast<double>(delta));
          size = static_cast<int64_t>(std::ceil(span / step));
        } else {
          const double n = std::ceil(std::abs((static_cast<double>(limit) - start) / delta));
          if (!(n <= static_cast<double>(kMaxTensorElements))) {
            return ctx->InvalidArg("Requires ((limit - start) / delta) <= 2^40");
          }
          size = static_cast<int64_t>(n);
        }
        if (size > kMaxTensorElements) return ctx->InvalidArg("Range has too many elements");
        Tensor* out = ctx->allocate_output(0, dtype_, TensorShape{size});
        T* y = out->flat<T>().data();
        C v = start;
        for (int64_t i = 0; i < size; ++i) {
          y[i] = FromCalc<T>(v);
          v = static_cast<C>(v + delta);
        }
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
};

REGISTER_KERNEL("Transpose", TransposeKernel);
REGISTER_KERNEL("Fill", FillKernel);
REGISTER_KERNEL("ZerosLike", ZerosLikeKernel);
REGISTER_KERNEL("OnesLike", OnesLikeKernel);
REGISTER_KERNEL("Range", RangeKernel);

}  // namespace
}  // namespace savedmodel::kernels
