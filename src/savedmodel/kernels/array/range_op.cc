// Range: start, limit, delta (scalars) -> [ceil((limit - start) / delta)]
#include <cmath>
#include <cstdint>
#include <string>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

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
        // In double: limit - start overflows C for int64 INT64_MIN..INT64_MAX, and a
        // count beyond int64 must be refused before it is cast.
        const double n = std::ceil(
            std::abs((static_cast<double>(limit) - static_cast<double>(start)) /
                     static_cast<double>(delta)));
        if (!(n <= static_cast<double>(kMaxTensorElements))) {
          return ctx->InvalidArg("Requires ((limit - start) / delta) <= 2^40");
        }
        int64_t size = static_cast<int64_t>(n);
        if constexpr (kIsInt<C>) {
          // Exact in integers (double rounds spans past 2^53); unsigned arithmetic
          // wraps to the right distance where limit - start overflows C.
          const uint64_t span = limit > start ? uint64_t(limit) - uint64_t(start)
                                              : uint64_t(start) - uint64_t(limit);
          const uint64_t step = delta > 0 ? uint64_t(delta) : uint64_t(0) - uint64_t(delta);
          const uint64_t exact = span / step + (span % step != 0);
          if (exact > uint64_t(kMaxTensorElements)) {
            return ctx->InvalidArg("Requires ((limit - start) / delta) <= 2^40");
          }
          size = static_cast<int64_t>(exact);
        }
        Tensor* out = ctx->allocate_output(0, dtype_, TensorShape{size});
        T* y = out->flat<T>().data();
        C v = start;
        for (int64_t i = 0; i < size; ++i) {
          y[i] = FromCalc<T>(v);
          // Not past the last element: start + size * delta may overflow C.
          if (i + 1 < size) v = static_cast<C>(v + delta);
        }
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
};

REGISTER_KERNEL("Range", RangeKernel);

}  // namespace
}  // namespace savedmodel::kernels
