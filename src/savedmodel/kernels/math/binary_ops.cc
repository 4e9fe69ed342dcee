// Elementwise binary ops with broadcasting.
//   x: [..., broadcastable], y: [..., broadcastable] -> z: broadcast shape
// Each op is a struct: which element types it takes, the scalar function
// (run in Calc<T>, so 16-bit floats go through float), an optional check of
// y's values for integer errors TensorFlow reports instead of crashing, and
// optionally kF32, its vectorized float32 loop (elementwise_f32.h), used when
// the broadcast is a walk over rows (same shapes, a scalar, a row or a column
// against a matrix). The scalar loops stay for every other case and are the
// reference the vectorized ones are tested against.
#include <cmath>
#include <string>
#include <type_traits>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

// Cheap elementwise work: only split big tensors across threads.
constexpr int64_t kMinChunk = kMinParallelWork;

struct NoCheck {
  template <typename T>
  static Status Check(std::span<const T>) { return Status(); }
};

// Integer x / 0 is a hardware trap; TensorFlow reports it instead.
struct DivisorCheck {
  template <typename T>
  static Status Check(std::span<const T> y) {
    if constexpr (kIsInt<T>) {
      for (const T& v : y) {
        if (v == 0) return InvalidArgument("Integer division by zero");
      }
    }
    return Status();
  }
};

template <typename T>
inline constexpr bool kNumOrString = kIsNumber<T> || std::is_same_v<T, std::string>;

struct AddOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kAdd;
  template <typename C> static C F(const C& a, const C& b) { return WrapAdd(a, b); }
};
// Add (but not AddV2) also concatenates strings.
struct AddStringOp : AddOp {
  template <typename T> static constexpr bool kSupports = kNumOrString<T>;
  template <typename C> static C F(const C& a, const C& b) {
    if constexpr (std::is_same_v<C, std::string>) return a + b;
    else return WrapAdd(a, b);
  }
};
struct SubOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kSub;
  template <typename C> static C F(C a, C b) { return WrapSub(a, b); }
};
struct MulOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kMul;
  template <typename C> static C F(C a, C b) { return WrapMul(a, b); }
};

// Truncating integer division (C semantics), as TensorFlow's Div and
// TruncateDiv do; the divisor was checked for zero. MIN / -1 wraps.
template <typename C>
C TruncDiv(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == -1) return WrapNeg(a);
  }
  return static_cast<C>(a / b);
}
template <typename C>
C FloorDivInt(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == -1) return WrapNeg(a);
    C q = static_cast<C>(a / b);
    // Round toward -inf when the signs differ and there is a remainder.
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  } else {
    return static_cast<C>(a / b);
  }
}
template <typename C>
C FloorModInt(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == -1) return 0;
    C r = static_cast<C>(a % b);
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
    return r;
  } else {
    return static_cast<C>(a % b);
  }
}

struct DivOp : DivisorCheck {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kDiv;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) return TruncDiv(a, b);
    else return a / b;
  }
};
struct FloorDivOp : DivisorCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) return FloorDivInt(a, b);
    else return std::floor(a / b);
  }
};
struct TruncateDivOp : DivisorCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) return TruncDiv(a, b);
    else return std::trunc(a / b);
  }
};
struct FloorModOp : DivisorCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) {
      return FloorModInt(a, b);
    } else {
      // Result takes the divisor's sign, like Python's %.
      C r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
};
// Mod: C's truncated remainder (fmod for floats).
struct ModOp : DivisorCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) {
      if constexpr (std::is_signed_v<C>) {
        if (b == -1) return 0;
      }
      return static_cast<C>(a % b);
    } else {
      return std::fmod(a, b);
    }
  }
};
struct DivNoNanOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsFloat<T> || kIsComplex<T>;
  template <typename C> static C F(C a, C b) { return b == C(0) ? C(0) : a / b; }
};

// Maximum and Minimum propagate NaN from either side (TensorFlow uses Eigen's
// PropagateNaN max/min).
struct MaximumOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kMaximum;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsFloat<C>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? b : a;
  }
};
struct MinimumOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kMinimum;
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsFloat<C>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return b < a ? b : a;
  }
};
struct SquaredDifferenceOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  static constexpr f32::BinaryOp kF32 = f32::BinaryOp::kSquaredDifference;
  template <typename C> static C F(C a, C b) {
    C d = WrapSub(a, b);
    return WrapMul(d, d);
  }
  // 16-bit floats: TensorFlow rounds the difference before squaring it.
  template <typename T>
    requires kIsHalfLike<T>
  static T Typed(const T& a, const T& b) {
    const Calc<T> d = RoundTo<T>(ToCalc(a) - ToCalc(b));
    return FromCalc<T>(d * d);
  }
};

struct PowOp {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  template <typename T>
  static Status Check(std::span<const T> y) {
    if constexpr (kIsInt<T> && std::is_signed_v<T>) {
      for (const T& v : y) {
        if (v < 0) return InvalidArgument("Integers to negative integer powers are not allowed");
      }
    }
    return Status();
  }
  template <typename C> static C F(C a, C b) {
    if constexpr (kIsInt<C>) {
      // Square-and-multiply; wraps on overflow like the repeated product would.
      C result = 1;
      using U = std::make_unsigned_t<C>;
      U e = static_cast<U>(b);
      while (e) {
        if (e & 1) result = WrapMul(result, a);
        a = WrapMul(a, a);
        e >>= 1;
      }
      return result;
    } else {
      return std::pow(a, b);
    }
  }
};

template <typename T>
inline constexpr bool kEqualityType =
    kIsNumber<T> || std::is_same_v<T, std::string> || std::is_same_v<T, bool>;

struct EqualOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kEqualityType<T>;
  template <typename C> static bool F(const C& a, const C& b) { return a == b; }
};
struct NotEqualOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kEqualityType<T>;
  template <typename C> static bool F(const C& a, const C& b) { return a != b; }
};
struct LessOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static bool F(C a, C b) { return a < b; }
};
struct LessEqualOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static bool F(C a, C b) { return a <= b; }
};
struct GreaterOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static bool F(C a, C b) { return a > b; }
};
struct GreaterEqualOp : NoCheck {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static bool F(C a, C b) { return a >= b; }
};
struct LogicalAndOp : NoCheck {
  template <typename T> static constexpr bool kSupports = std::is_same_v<T, bool>;
  template <typename C> static bool F(C a, C b) { return a && b; }
};
struct LogicalOrOp : NoCheck {
  template <typename T> static constexpr bool kSupports = std::is_same_v<T, bool>;
  template <typename C> static bool F(C a, C b) { return a || b; }
};

// One element: strings and plain types pass straight through, 16-bit floats
// convert to float and back (bool results need no conversion).
template <typename Op, typename T>
inline auto ApplyOne(const T& a, const T& b) {
  if constexpr (requires { Op::template Typed<T>(a, b); }) {
    return Op::template Typed<T>(a, b);  // ops that round the way TensorFlow's do
  } else if constexpr (std::is_same_v<T, std::string> || !kIsHalfLike<T>) {
    return Op::F(a, b);
  } else {
    auto r = Op::F(ToCalc(a), ToCalc(b));
    if constexpr (std::is_same_v<decltype(r), bool>) return r;
    else return FromCalc<T>(r);
  }
}

// The plan as rows x cols operands for f32::BinaryRange: false when it
// collapses to more than two dims.
bool AsRows(const BroadcastPlan& p, const float* x, const float* y, f32::Operand* a,
            f32::Operand* b, int64_t* cols) {
  const int64_t n = p.out_shape.num_elements();
  if (p.all_same || p.scalar[0] || p.scalar[1]) {
    // One row; a one-element input repeats (all_same covers a 1-element output).
    *a = {x, 0, p.scalar[0] && !p.all_same ? 0 : 1};
    *b = {y, 0, p.scalar[1] && !p.all_same ? 0 : 1};
    *cols = n;
    return true;
  }
  if (p.dims.size() != 2) return false;
  *a = {x, p.strides[0][0], p.strides[1][0]};
  *b = {y, p.strides[0][1], p.strides[1][1]};
  *cols = p.dims[1];
  return true;
}

template <typename Op>
class BinaryKernel : public TypedKernel<BinaryKernel<Op>> {
  friend class TypedKernel<BinaryKernel>;

 public:
  BinaryKernel(const OpKernelConstruction& c, Status* s) {
    const DataType dt = c.input_types()[0];
    *s = this->SelectRun(c, dt, [](auto t) {
      using T = typename decltype(t)::type;
      return Op::template kSupports<T>;
    });
    // Equal/NotEqual: when false, incompatible shapes give a scalar answer.
    if (s->ok() && c.HasAttr("incompatible_shape_error")) {
      *s = c.GetAttr("incompatible_shape_error", &incompatible_shape_error_);
    }
  }


 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using Out = decltype(ApplyOne<Op, T>(T{}, T{}));
    const Tensor x = ctx->input(0), y = ctx->input(1);
    auto plan = MakeBroadcastPlan({x.shape(), y.shape()});
    if (!plan.ok()) {
      if (!incompatible_shape_error_) {
        Tensor* out = ctx->allocate_output(0, DT_BOOL, TensorShape{});
        out->scalar<bool>() = std::is_same_v<Op, NotEqualOp>;
        return Status();
      }
      return ctx->InvalidArg(plan.status().message());
    }
    // An empty result divides nothing, so a zero divisor is no error then (as in TF).
    if (plan->out_shape.num_elements() > 0) {
      Status check = Op::template Check<T>(y.flat<T>());
      if (!check.ok()) return ctx->InvalidArg(check.message());
    }
    // Every path below writes every element.
    Tensor* out = ctx->allocate_output_uninitialized(0, DataTypeOf<Out>::value, plan->out_shape);
    const T* xs = x.flat<T>().data();
    const T* ys = y.flat<T>().data();
    Out* zs = out->flat<Out>().data();
    const BroadcastPlan& p = *plan;
    if constexpr (std::is_same_v<T, float> && requires { Op::kF32; }) {
      f32::Operand a, b;
      int64_t cols;
      if (AsRows(p, xs, ys, &a, &b, &cols)) {
        ParallelFor(ctx->pool(), p.out_shape.num_elements(), kMinChunk,
                    [&](int64_t begin, int64_t end) {
                      f32::BinaryRange(Op::kF32, a, b, zs, cols, begin, end);
                    });
        return Status();
      }
    }
    ParallelFor(ctx->pool(), p.out_shape.num_elements(), kMinChunk,
                [&](int64_t begin, int64_t end) {
                  if (p.all_same) {
                    for (int64_t i = begin; i < end; ++i) zs[i] = ApplyOne<Op, T>(xs[i], ys[i]);
                  } else if (p.scalar[1]) {
                    const T& b = ys[0];
                    for (int64_t i = begin; i < end; ++i) zs[i] = ApplyOne<Op, T>(xs[i], b);
                  } else if (p.scalar[0]) {
                    const T& a = xs[0];
                    for (int64_t i = begin; i < end; ++i) zs[i] = ApplyOne<Op, T>(a, ys[i]);
                  } else {
                    ForEachBroadcast(p, begin, end, [&](int64_t i, const auto& off) {
                      zs[i] = ApplyOne<Op, T>(xs[off[0]], ys[off[1]]);
                    });
                  }
                });
    return Status();
  }

  bool incompatible_shape_error_ = true;
};

REGISTER_KERNEL("Add", BinaryKernel<AddStringOp>);
REGISTER_KERNEL("AddV2", BinaryKernel<AddOp>);
REGISTER_KERNEL("Sub", BinaryKernel<SubOp>);
REGISTER_KERNEL("Mul", BinaryKernel<MulOp>);
REGISTER_KERNEL("RealDiv", BinaryKernel<DivOp>);
REGISTER_KERNEL("Div", BinaryKernel<DivOp>);
REGISTER_KERNEL("TruncateDiv", BinaryKernel<TruncateDivOp>);
REGISTER_KERNEL("FloorDiv", BinaryKernel<FloorDivOp>);
REGISTER_KERNEL("FloorMod", BinaryKernel<FloorModOp>);
REGISTER_KERNEL("Mod", BinaryKernel<ModOp>);
REGISTER_KERNEL("DivNoNan", BinaryKernel<DivNoNanOp>);
REGISTER_KERNEL("Maximum", BinaryKernel<MaximumOp>);
REGISTER_KERNEL("Minimum", BinaryKernel<MinimumOp>);
REGISTER_KERNEL("SquaredDifference", BinaryKernel<SquaredDifferenceOp>);
REGISTER_KERNEL("Pow", BinaryKernel<PowOp>);
REGISTER_KERNEL("Equal", BinaryKernel<EqualOp>);
REGISTER_KERNEL("NotEqual", BinaryKernel<NotEqualOp>);
REGISTER_KERNEL("Less", BinaryKernel<LessOp>);
REGISTER_KERNEL("LessEqual", BinaryKernel<LessEqualOp>);
REGISTER_KERNEL("Greater", BinaryKernel<GreaterOp>);
REGISTER_KERNEL("GreaterEqual", BinaryKernel<GreaterEqualOp>);
REGISTER_KERNEL("LogicalAnd", BinaryKernel<LogicalAndOp>);
REGISTER_KERNEL("LogicalOr", BinaryKernel<LogicalOrOp>);

}  // namespace
}  // namespace savedmodel::kernels
