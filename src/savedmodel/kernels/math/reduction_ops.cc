// Reductions over the axes given by a second input.
//   input: [d0, ..., dn], axis: int32/int64 scalar or vector (negative counts from
//   the end) -> input's shape without the reduced dims (kept as 1 with keep_dims)
// Reducing nothing (an empty axis dim) gives the op's identity: Sum 0, Prod 1,
// Max lowest (-inf), Min highest (+inf), All true, Any false; Mean gives NaN
// (0/0) for floats.
//
// The input is viewed as alternating groups of kept and reduced dims (adjacent
// dims merge, 1s drop out). The two common shapes run in parallel: [kept,
// reduced] reduces contiguous rows; [reduced, kept] accumulates columns.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

constexpr int64_t kPairwiseBlock = 256;

// Sum of row[0, n) in C: left to right up to kPairwiseBlock elements, else the
// two halves summed separately and then added.
template <typename C, typename T>
C PairwiseSum(const T* row, int64_t n) {
  if (n <= kPairwiseBlock) {
    C a = C(0);
    for (int64_t j = 0; j < n; ++j) a += static_cast<C>(ToCalc(row[j]));
    return a;
  }
  const int64_t half = n / 2;
  return PairwiseSum<C>(row, half) + PairwiseSum<C>(row + half, n - half);
}

template <typename Op>
concept HasPairwise = Op::kPairwise;

// The type a reduction accumulates in: 16-bit floats in float; bool in uint8_t
// (vector<bool> packs bits, which threads cannot write independently).
struct DefaultAcc {
  template <typename T>
  using Acc = std::conditional_t<std::is_same_v<T, bool>, uint8_t, Calc<T>>;
};

struct SumOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  template <typename C> static C Init() { return C(0); }
  template <typename C> static C Reduce(C a, C b) { return WrapAdd(a, b); }
  // Floating-point sums of long rows are added pairwise (TensorFlow's Eigen
  // reduces in a tree too): one running float sum stops growing once it
  // dwarfs each term (2^27 ones add up to 2^24), while pairwise error grows
  // with log n. Rows up to kPairwiseBlock keep the plain left-to-right order.
  static constexpr bool kPairwise = true;
};
// TensorFlow's Mean sums 8- and 16-bit integers without wrapping (a wider
// accumulator), unlike Sum, which wraps in the element type.
struct MeanOp : SumOp {
  template <typename T>
  using Acc = std::conditional_t<kIsInt<T> && (sizeof(T) < 4),
                                 std::conditional_t<std::is_signed_v<T>, int32_t, uint32_t>,
                                 DefaultAcc::Acc<T>>;
};
struct ProdOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  template <typename C> static C Init() { return C(1); }
  template <typename C> static C Reduce(C a, C b) { return WrapMul(a, b); }
};
// Max and Min propagate NaN, like the Maximum and Minimum ops.
struct MaxOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C Init() {
    if constexpr (std::numeric_limits<C>::has_infinity) return -std::numeric_limits<C>::infinity();
    else return std::numeric_limits<C>::lowest();
  }
  template <typename C> static C Reduce(C a, C b) {
    if constexpr (kIsFloat<C>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? b : a;
  }
};
struct MinOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C Init() {
    if constexpr (std::numeric_limits<C>::has_infinity) return std::numeric_limits<C>::infinity();
    else return std::numeric_limits<C>::max();
  }
  template <typename C> static C Reduce(C a, C b) {
    if constexpr (kIsFloat<C>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return b < a ? b : a;
  }
};
struct AllOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = std::is_same_v<T, bool>;
  template <typename C> static C Init() { return true; }
  template <typename C> static C Reduce(C a, C b) { return a && b; }
};
struct AnyOp : DefaultAcc {
  template <typename T> static constexpr bool kSupports = std::is_same_v<T, bool>;
  template <typename C> static C Init() { return false; }
  template <typename C> static C Reduce(C a, C b) { return a || b; }
};

template <typename Op>
class ReductionKernel : public TypedKernel<ReductionKernel<Op>> {
  friend class TypedKernel<ReductionKernel>;

 public:
  ReductionKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("keep_dims", &keep_dims_);
    if (!s->ok()) return;
    const DataType dt = c.input_types()[0];
    *s = this->SelectRun(c, dt, [](auto t) {
      using T = typename decltype(t)::type;
      return Op::template kSupports<T>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    // vector<bool> packs bits, which threads cannot write independently.
    using C = typename Op::template Acc<T>;
    const Tensor input = ctx->input(0);
    const int rank = input.rank();
    auto axes = IntValues(ctx->input(1));
    if (!axes.ok()) return ctx->InvalidArg(axes.status().message());
    std::vector<bool> reduced(rank, false);
    for (int64_t a : *axes) {
      if (a < -rank || a >= rank) {
        return ctx->InvalidArg("Invalid reduction dimension (" + std::to_string(a) +
                               " for input with " + std::to_string(rank) + " dimension(s)");
      }
      const int d = static_cast<int>(a < 0 ? a + rank : a);
      if (reduced[d]) {
        return ctx->InvalidArg(
            "Invalid reduction arguments: Axes contains duplicate dimension: " + std::to_string(d));
      }
      reduced[d] = true;
    }
    std::vector<int64_t> out_dims;
    int64_t count = 1;  // elements folded into each output
    std::vector<int64_t> groups;
    std::vector<bool> group_reduced;
    for (int d = 0; d < rank; ++d) {
      const int64_t n = input.dim(d);
      if (reduced[d]) {
        count *= n;
        if (keep_dims_) out_dims.push_back(1);
      } else {
        out_dims.push_back(n);
      }
      if (n == 1) continue;
      if (!groups.empty() && group_reduced.back() == reduced[d]) {
        groups.back() *= n;
      } else {
        groups.push_back(n);
        group_reduced.push_back(reduced[d]);
      }
    }
    Tensor* out = ctx->allocate_output(0, input.dtype(), TensorShape::FromDims(out_dims).value());
    const int64_t out_n = out->num_elements();
    // The accumulator may be wider than T (double for float): bounded like a tensor.
    Status acc_ok = CheckTensorBytes(static_cast<size_t>(out_n) * sizeof(C));
    if (!acc_ok.ok()) {
      return acc_ok.WithContext("node '" + ctx->node().name() + "' (op " + ctx->node().op() + ")");
    }
    std::vector<C> acc(out_n, Op::template Init<C>());
    const T* x = input.flat<T>().data();
    const int ng = static_cast<int>(groups.size());
    if (input.num_elements() == 0) {
      // Nothing to fold: outputs keep the identity.
    } else if (ng == 0 || (ng == 1 && !group_reduced[0])) {
      for (int64_t i = 0; i < out_n; ++i) acc[i] = Op::Reduce(acc[i], static_cast<C>(ToCalc(x[i])));
    } else if (group_reduced.back() && ng <= 2) {
      // [kept?, reduced]: one contiguous row per output.
      const int64_t inner = groups.back();
      ParallelFor(ctx->pool(), out_n, std::max<int64_t>(1, kMinParallelWork / inner),
                  [&](int64_t o0, int64_t o1) {
                    for (int64_t o = o0; o < o1; ++o) {
                      C a = acc[o];
                      const T* row = x + o * inner;
                      if constexpr (HasPairwise<Op> && std::is_floating_point_v<C>) {
                        a = Op::Reduce(a, PairwiseSum<C>(row, inner));
                      } else {
                        for (int64_t j = 0; j < inner; ++j) a = Op::Reduce(a, static_cast<C>(ToCalc(row[j])));
                      }
                      acc[o] = a;
                    }
                  });
    } else if (ng == 2 && group_reduced[0]) {
      // [reduced, kept]: each output is a column; threads own column ranges.
      const int64_t rows = groups[0], cols = groups[1];
      ParallelFor(ctx->pool(), cols, std::max<int64_t>(1, kMinParallelWork / rows),
                  [&](int64_t c0, int64_t c1) {
                    for (int64_t r = 0; r < rows; ++r) {
                      const T* row = x + r * cols;
                      for (int64_t c = c0; c < c1; ++c) acc[c] = Op::Reduce(acc[c], static_cast<C>(ToCalc(row[c])));
                    }
                  });
    } else {
      // General: walk the input in order, tracking the output index.
      std::vector<int64_t> out_stride(ng, 0), coord(ng, 0);
      int64_t s = 1;
      for (int g = ng - 1; g >= 0; --g) {
        if (!group_reduced[g]) {
          out_stride[g] = s;
          s *= groups[g];
        }
      }
      int64_t o = 0;
      const int64_t n = input.num_elements();
      for (int64_t i = 0; i < n; ++i) {
        acc[o] = Op::Reduce(acc[o], static_cast<C>(ToCalc(x[i])));
        for (int g = ng - 1; g >= 0; --g) {
          o += out_stride[g];
          if (++coord[g] < groups[g]) break;
          o -= coord[g] * out_stride[g];
          coord[g] = 0;
        }
      }
    }
    T* y = out->flat<T>().data();
    for (int64_t i = 0; i < out_n; ++i) {
      if constexpr (std::is_same_v<Op, MeanOp>) {
        if constexpr (kIsInt<C> || kIsComplex<T>) {
          // TensorFlow gives 0 for the mean of no elements here (NaN only for real floats).
          y[i] = count == 0 ? T(0) : static_cast<T>(acc[i] / static_cast<C>(count));
        } else {
          y[i] = FromCalc<T>(acc[i] / static_cast<C>(count));
        }
      } else {
        y[i] = FromCalc<T>(static_cast<Calc<T>>(acc[i]));
      }
    }
    return Status();
  }

  bool keep_dims_ = false;
};

// ArgMax / ArgMin: input: [d0, ..., dn], dimension: scalar -> input's shape
// without that dim, as output_type. Ties go to the first index.
template <bool kMax>
class ArgKernel : public TypedKernel<ArgKernel<kMax>> {
  friend class TypedKernel<ArgKernel>;

 public:
  ArgKernel(const OpKernelConstruction& c, Status* s) : out_type_(c.output_types()[0]) {
    const DataType dt = c.input_types()[0];
    *s = this->SelectRun(c, dt, [](auto t) {
      using T = typename decltype(t)::type;
      return kIsReal<T> || std::is_same_v<T, bool>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor input = ctx->input(0), dim = ctx->input(1);
    if (dim.num_elements() != 1) {
      return ctx->InvalidArg("dim must be a scalar, but received tensor of shape: " +
                             dim.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, IntValues(dim));
    const int rank = input.rank();
    int64_t axis = axis_v[0];
    if (axis < -rank || axis >= rank) {
      return ctx->InvalidArg("Expected dimension in the range [" + std::to_string(-rank) + ", " +
                             std::to_string(rank) + "), but got " + std::to_string(axis));
    }
    if (axis < 0) axis += rank;
    const int64_t n = input.dim(static_cast<int>(axis));
    if (n == 0) {
      return ctx->InvalidArg("Reduction axis " + std::to_string(axis) + " is empty in shape " +
                             input.shape().DebugString());
    }
    std::vector<int64_t> out_dims;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < rank; ++d) {
      if (d == axis) continue;
      out_dims.push_back(input.dim(d));
      (d < axis ? outer : inner) *= input.dim(d);
    }
    if (out_type_ != DT_INT16 && out_type_ != DT_UINT16 && out_type_ != DT_INT32 && out_type_ != DT_INT64) {
      return ctx->InvalidArg("output_type must be int16, uint16, int32 or int64, got " +
                             DataTypeString(out_type_));
    }
    Tensor* out = ctx->allocate_output(0, out_type_, TensorShape::FromDims(out_dims).value());
    const T* x = input.flat<T>().data();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* base = x + o * n * inner + i;
        auto best = ToCalc(base[0]);
        int64_t best_j = 0;
        for (int64_t j = 1; j < n; ++j) {
          const auto v = ToCalc(base[j * inner]);
          if (kMax ? v > best : v < best) {
            best = v;
            best_j = j;
          }
        }
        // output_type may be int16/uint16 too (TF >= 2.10): write the index at
        // the output's own width, never an int64 into a narrower buffer.
        const int64_t k = o * inner + i;
        switch (out_type_) {
          case DT_INT16: out->flat<int16_t>()[k] = static_cast<int16_t>(best_j); break;
          case DT_UINT16: out->flat<uint16_t>()[k] = static_cast<uint16_t>(best_j); break;
          case DT_INT32: out->flat<int32_t>()[k] = static_cast<int32_t>(best_j); break;
          default: out->flat<int64_t>()[k] = best_j; break;
        }
      }
    }
    return Status();
  }

  DataType out_type_;
};

REGISTER_KERNEL("Sum", ReductionKernel<SumOp>);
REGISTER_KERNEL("Mean", ReductionKernel<MeanOp>);
REGISTER_KERNEL("Prod", ReductionKernel<ProdOp>);
REGISTER_KERNEL("Max", ReductionKernel<MaxOp>);
REGISTER_KERNEL("Min", ReductionKernel<MinOp>);
REGISTER_KERNEL("All", ReductionKernel<AllOp>);
REGISTER_KERNEL("Any", ReductionKernel<AnyOp>);
REGISTER_KERNEL("ArgMax", ArgKernel<true>);
REGISTER_KERNEL("ArgMin", ArgKernel<false>);

}  // namespace
}  // namespace savedmodel::kernels
