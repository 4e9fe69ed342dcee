// Elementwise unary ops, activations included.
//   x: any shape -> y: same shape (bool for IsNan/IsInf/IsFinite)
// Each op is a struct naming the element types it takes and the scalar
// function, evaluated in Calc<T> (16-bit floats go through float); the Relu
// family also names its vectorized float32 loop (elementwise_f32.h), which
// the scalar one is kept beside as the reference.
#include <cmath>
#include <limits>
#include <type_traits>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

constexpr int64_t kMinChunk = kMinParallelWork;

template <typename T>
inline constexpr bool kFloatOrComplex = kIsFloat<T> || kIsComplex<T>;
template <typename T>
inline constexpr bool kSignedReal = kIsFloat<T> || (kIsInt<T> && std::is_signed_v<T>);

struct NegOp {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  template <typename C> static C F(C x) { return WrapNeg(x); }
};
struct AbsOp {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C x) {
    if constexpr (kIsInt<C>) return x < 0 ? WrapNeg(x) : x;  // |MIN| wraps to MIN
    else return std::fabs(x);
  }
};
struct SquareOp {
  template <typename T> static constexpr bool kSupports = kIsNumber<T>;
  template <typename C> static C F(C x) { return WrapMul(x, x); }
};
struct SignOp {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C x) {
    if constexpr (kIsFloat<C>) {
      if (std::isnan(x)) return x;
    }
    return static_cast<C>((C(0) < x) - (x < C(0)));
  }
};
#define SM_FLOAT_UNARY(Name, expr)                                        \
  struct Name {                                                           \
    template <typename T> static constexpr bool kSupports = kIsFloat<T>;  \
    template <typename C> static C F(C x) { return expr; }                \
  }
#define SM_FLOAT_COMPLEX_UNARY(Name, expr)                                      \
  struct Name {                                                                 \
    template <typename T> static constexpr bool kSupports = kFloatOrComplex<T>; \
    template <typename C> static C F(C x) { return expr; }                      \
  }
SM_FLOAT_COMPLEX_UNARY(ExpOp, std::exp(x));
SM_FLOAT_COMPLEX_UNARY(LogOp, std::log(x));
SM_FLOAT_UNARY(Log1pOp, std::log1p(x));
SM_FLOAT_COMPLEX_UNARY(SqrtOp, std::sqrt(x));
SM_FLOAT_COMPLEX_UNARY(RsqrtOp, C(1) / std::sqrt(x));
SM_FLOAT_COMPLEX_UNARY(SinOp, std::sin(x));
SM_FLOAT_COMPLEX_UNARY(CosOp, std::cos(x));
SM_FLOAT_COMPLEX_UNARY(TanhOp, std::tanh(x));
SM_FLOAT_UNARY(FloorOp, std::floor(x));
SM_FLOAT_UNARY(CeilOp, std::ceil(x));
// Sigmoid without overflow: exp of a non-positive argument only.
SM_FLOAT_UNARY(SigmoidOp, x >= 0 ? C(1) / (C(1) + std::exp(-x)) : std::exp(x) / (C(1) + std::exp(x)));
SM_FLOAT_UNARY(EluOp, x > 0 ? x : std::expm1(x));
SM_FLOAT_UNARY(SoftsignOp, x / (C(1) + std::fabs(x)));
SM_FLOAT_UNARY(ErfOp, std::erf(x));
SM_FLOAT_UNARY(ErfcOp, std::erfc(x));
SM_FLOAT_UNARY(SeluOp, x > 0 ? C(1.0507009873554804934193349852946) * x
                             : C(1.7580993408473768599402175208123) * std::expm1(x));
// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), finite for every x.
// Softplus as TensorFlow computes it: x itself above -threshold, exp(x) below
// threshold, log(exp(x) + 1) between, with threshold = log(epsilon) + 2 of the
// element type, and 16-bit types rounded after each step.
struct SoftplusOp {
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename T> static T Typed(T in) {
    using C = Calc<T>;
    static const C threshold = static_cast<C>(std::log(Epsilon<T>()) + 2.0);
    const C x = ToCalc(in);
    if (x > -threshold) return in;
    const C e = RoundTo<T>(std::exp(x));
    if (x < threshold) return FromCalc<T>(e);
    return FromCalc<T>(std::log(RoundTo<T>(e + C(1))));
  }
};
#undef SM_FLOAT_UNARY
#undef SM_FLOAT_COMPLEX_UNARY

struct ReciprocalOp {
  template <typename T> static constexpr bool kSupports = kFloatOrComplex<T>;
  template <typename C> static C F(C x) { return C(1) / x; }
};
// Round half to even (banker's rounding); integers are already round.
struct RoundOp {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C x) {
    if constexpr (kIsFloat<C>) return std::nearbyint(x);  // default FE_TONEAREST mode
    else return x;
  }
};
// NaN passes through Relu and Relu6, as in TensorFlow (Eigen's max/min).
struct ReluOp {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  static constexpr f32::UnaryOp kF32 = f32::UnaryOp::kRelu;
  template <typename C> static C F(C x) { return x < C(0) ? C(0) : x; }
};
struct Relu6Op {
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  static constexpr f32::UnaryOp kF32 = f32::UnaryOp::kRelu6;
  template <typename C> static C F(C x) { return x < C(0) ? C(0) : (x > C(6) ? C(6) : x); }
};
struct LogicalNotOp {
  template <typename T> static constexpr bool kSupports = std::is_same_v<T, bool>;
  static bool F(bool x) { return !x; }
};
struct IsNanOp {
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename C> static bool F(C x) { return std::isnan(x); }
};
struct IsInfOp {
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename C> static bool F(C x) { return std::isinf(x); }
};
struct IsFiniteOp {
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename C> static bool F(C x) { return std::isfinite(x); }
};

template <typename Op, typename T>
inline auto ApplyOne(T x) {
  if constexpr (requires { Op::template Typed<T>(x); }) {
    return Op::template Typed<T>(x);  // ops that round the way TensorFlow's do
  } else if constexpr (!kIsHalfLike<T>) {
    return Op::F(x);
  } else {
    auto r = Op::F(ToCalc(x));
    if constexpr (std::is_same_v<decltype(r), bool>) return r;
    else return FromCalc<T>(r);
  }
}

template <typename Op>
class UnaryKernel : public TypedKernel<UnaryKernel<Op>> {
  friend class TypedKernel<UnaryKernel>;

 public:
  UnaryKernel(const OpKernelConstruction& c, Status* s) {
    const DataType dt = c.input_types()[0];
    *s = this->SelectRun(c, dt, [](auto t) {
      using T = typename decltype(t)::type;
      return Op::template kSupports<T>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using Out = decltype(ApplyOne<Op, T>(T{}));
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output_uninitialized(0, DataTypeOf<Out>::value, x.shape());
    const T* xs = x.flat<T>().data();
    Out* ys = out->flat<Out>().data();
    ParallelFor(ctx->pool(), x.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float> && requires { Op::kF32; }) {
        f32::Unary(Op::kF32, xs + b, ys + b, e - b);
      } else {
        for (int64_t i = b; i < e; ++i) ys[i] = ApplyOne<Op, T>(xs[i]);
      }
    });
    return Status();
  }
};

// LeakyRelu: x for x > 0, alpha * x otherwise.
class LeakyReluKernel : public OpKernel {
 public:
  LeakyReluKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    *s = c.GetAttr("alpha", &alpha_);
    if (s->ok() && !(dtype_ == DT_FLOAT || dtype_ == DT_DOUBLE || dtype_ == DT_HALF ||
                     dtype_ == DT_BFLOAT16)) {
      *s = c.UnsupportedType(dtype_);
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    Tensor* out = ctx->allocate_output_uninitialized(0, dtype_, x.shape());
    return VisitType(dtype_, [&](auto tag) -> Status {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, float>) {
        const float* xs = x.flat<float>().data();
        float* ys = out->flat<float>().data();
        ParallelFor(ctx->pool(), x.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
          f32::Unary(f32::UnaryOp::kLeakyRelu, xs + b, ys + b, e - b, alpha_);
        });
      } else if constexpr (kIsFloat<T>) {
        using C = Calc<T>;
        const C alpha = static_cast<C>(alpha_);
        const T* xs = x.flat<T>().data();
        T* ys = out->flat<T>().data();
        ParallelFor(ctx->pool(), x.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            C v = ToCalc(xs[i]);
            ys[i] = FromCalc<T>(v > C(0) ? v : alpha * v);
          }
        });
      }
      return Status();
    });
  }

 private:
  DataType dtype_;
  float alpha_ = 0.2f;
};

REGISTER_KERNEL("Neg", UnaryKernel<NegOp>);
REGISTER_KERNEL("Abs", UnaryKernel<AbsOp>);
REGISTER_KERNEL("Exp", UnaryKernel<ExpOp>);
REGISTER_KERNEL("Log", UnaryKernel<LogOp>);
REGISTER_KERNEL("Log1p", UnaryKernel<Log1pOp>);
REGISTER_KERNEL("Square", UnaryKernel<SquareOp>);
REGISTER_KERNEL("Sqrt", UnaryKernel<SqrtOp>);
REGISTER_KERNEL("Rsqrt", UnaryKernel<RsqrtOp>);
REGISTER_KERNEL("Reciprocal", UnaryKernel<ReciprocalOp>);
REGISTER_KERNEL("Sign", UnaryKernel<SignOp>);
REGISTER_KERNEL("Floor", UnaryKernel<FloorOp>);
REGISTER_KERNEL("Ceil", UnaryKernel<CeilOp>);
REGISTER_KERNEL("Round", UnaryKernel<RoundOp>);
REGISTER_KERNEL("Sin", UnaryKernel<SinOp>);
REGISTER_KERNEL("Cos", UnaryKernel<CosOp>);
REGISTER_KERNEL("Tanh", UnaryKernel<TanhOp>);
REGISTER_KERNEL("Sigmoid", UnaryKernel<SigmoidOp>);
REGISTER_KERNEL("Relu", UnaryKernel<ReluOp>);
REGISTER_KERNEL("Relu6", UnaryKernel<Relu6Op>);
REGISTER_KERNEL("Elu", UnaryKernel<EluOp>);
REGISTER_KERNEL("Selu", UnaryKernel<SeluOp>);
REGISTER_KERNEL("Softplus", UnaryKernel<SoftplusOp>);
REGISTER_KERNEL("Softsign", UnaryKernel<SoftsignOp>);
REGISTER_KERNEL("Erf", UnaryKernel<ErfOp>);
REGISTER_KERNEL("Erfc", UnaryKernel<ErfcOp>);
REGISTER_KERNEL("LeakyRelu", LeakyReluKernel);
REGISTER_KERNEL("LogicalNot", UnaryKernel<LogicalNotOp>);
REGISTER_KERNEL("IsNan", UnaryKernel<IsNanOp>);
REGISTER_KERNEL("IsInf", UnaryKernel<IsInfOp>);
REGISTER_KERNEL("IsFinite", UnaryKernel<IsFiniteOp>);

}  // namespace
}  // namespace savedmodel::kernels
