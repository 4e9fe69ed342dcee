// _FusedMatMul: the op TensorFlow's grappler remapper makes of MatMul followed
// by BiasAdd and optionally an activation (the graph passes here make it too).
//   inputs: a [m, k] ([k, m] with transpose_a), b [k, n] ([n, k] with
//           transpose_b), args: bias [n] (num_args 1)
//   fused_ops: [BiasAdd] or [BiasAdd, <act>], <act> one of Relu, Relu6, Elu,
//              LeakyRelu (attr leakyrelu_alpha), Tanh, Sigmoid
// TensorFlow's CPU kernel takes float and the first four activations; Tanh and
// Sigmoid are its GPU kernel's, and are here as well since they fuse the same
// way. Other lists are Unimplemented.
//
// The bias and activation run on each block of the product as soon as Sgemm
// finishes it, on the same thread, while it is in cache, and compute exactly
// what the BiasAdd kernel and the activation's kernel compute one after another:
// bias alone and bias + Relu, Relu6 or LeakyRelu through the dispatched f32
// loops (elementwise_f32.h, AVX-512/AVX2/SSE2), the others through the scalar
// expressions of unary_ops.cc (Elu's expm1, tanh, the sigmoid: libm's, as the
// separate kernels compute them).
#include <cmath>
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/math/gemm.h"
#include "savedmodel/kernels/math/matmul_shape.h"

namespace savedmodel::kernels {
namespace {

enum class Act { kNone, kRelu, kRelu6, kElu, kLeakyRelu, kTanh, kSigmoid };

// y = act(y + bias) over rows x [c0, c1) of a row-major matrix with row stride
// ld, for the activations without a vectorized loop (Elu, Tanh, Sigmoid). The
// scalar expressions are those of the activation kernels (unary_ops.cc).
template <Act kAct>
void BiasActivation(float* y, int64_t ld, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                    const float* bias, float /*alpha*/) {
  for (int64_t r = r0; r < r1; ++r) {
    float* row = y + r * ld;
    for (int64_t j = c0; j < c1; ++j) {
      float v = row[j] + bias[j];
      if constexpr (kAct == Act::kElu) v = v > 0.0f ? v : std::expm1(v);
      if constexpr (kAct == Act::kTanh) v = std::tanh(v);
      if constexpr (kAct == Act::kSigmoid) {
        v = v >= 0.0f ? 1.0f / (1.0f + std::exp(-v)) : std::exp(v) / (1.0f + std::exp(v));
      }
      row[j] = v;
    }
  }
}

// The same through the vectorized loops, for the activations they have.
template <f32::BiasAct kAct>
void BiasActivationF32(float* y, int64_t ld, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                       const float* bias, float alpha) {
  f32::BiasActivation(kAct, y + r0 * ld + c0, ld, r1 - r0, c1 - c0, bias + c0, alpha);
}

using EpilogueFn = void (*)(float*, int64_t, int64_t, int64_t, int64_t, int64_t, const float*,
                            float);

EpilogueFn EpilogueFor(Act act) {
  switch (act) {
    case Act::kNone: return &BiasActivationF32<f32::BiasAct::kNone>;
    case Act::kRelu: return &BiasActivationF32<f32::BiasAct::kRelu>;
    case Act::kRelu6: return &BiasActivationF32<f32::BiasAct::kRelu6>;
    case Act::kElu: return &BiasActivation<Act::kElu>;
    case Act::kLeakyRelu: return &BiasActivationF32<f32::BiasAct::kLeakyRelu>;
    case Act::kTanh: return &BiasActivation<Act::kTanh>;
    case Act::kSigmoid: return &BiasActivation<Act::kSigmoid>;
  }
  return nullptr;
}

class FusedMatMulKernel : public OpKernel {
 public:
  FusedMatMulKernel(const OpKernelConstruction& c, Status* s) {
    std::vector<std::string> ops;
    *s = c.GetAttr("transpose_a", &ta_);
    if (s->ok()) *s = c.GetAttr("transpose_b", &tb_);
    if (s->ok()) *s = c.GetAttr("fused_ops", &ops);
    if (s->ok()) *s = c.GetAttr("num_args", &num_args_);
    if (s->ok() && c.HasAttr("leakyrelu_alpha")) *s = c.GetAttr("leakyrelu_alpha", &alpha_);
    if (!s->ok()) return;
    if (c.input_types()[0] != DT_FLOAT) {
      *s = c.UnsupportedType(c.input_types()[0]);
      return;
    }
    std::string list;
    for (const std::string& op : ops) list += (list.empty() ? "" : ", ") + op;
    bool known = !ops.empty() && ops.size() <= 2 && ops[0] == "BiasAdd";
    Act act = Act::kNone;
    if (known && ops.size() == 2) {
      const std::string& a = ops[1];
      if (a == "Relu") act = Act::kRelu;
      else if (a == "Relu6") act = Act::kRelu6;
      else if (a == "Elu") act = Act::kElu;
      else if (a == "LeakyRelu") act = Act::kLeakyRelu;
      else if (a == "Tanh") act = Act::kTanh;
      else if (a == "Sigmoid") act = Act::kSigmoid;
      else known = false;
    }
    if (!known) {
      *s = Unimplemented("node '" + c.name() + "': _FusedMatMul does not support fused_ops [" +
                         list +
                         "]; supported: BiasAdd, then optionally Relu, Relu6, Elu, LeakyRelu, "
                         "Tanh or Sigmoid");
      return;
    }
    if (num_args_ != 1) {
      *s = c.Error("fused_ops [" + list + "] take 1 arg (the bias), got num_args " +
                   std::to_string(num_args_));
      return;
    }
    epilogue_ = EpilogueFor(act);
  }

  Status Compute(OpKernelContext* ctx) const override {
    if (ctx->num_inputs() < 3) return ctx->Error("expected a, b and the bias");
    const Tensor &a = ctx->input(0), &b = ctx->input(1), &bias = ctx->input(2);  // no shape copies
    ASSIGN_OR_RETURN(const MatMulDims d, MatMulShape(*ctx, a, b, ta_, tb_));
    const int64_t m = d.m, k = d.k, n = d.n;
    if (bias.dtype() != DT_FLOAT || bias.rank() != 1 || bias.dim(0) != n) {
      return ctx->InvalidArg("bias must be a float vector of the product's " + std::to_string(n) +
                             " columns, got shape " + bias.shape().DebugString());
    }
    // Sgemm writes every element (k == 0 included), then the epilogue rewrites each.
    Tensor* out = ctx->allocate_output_uninitialized(0, DT_FLOAT, d.out);
    if (d.out.num_elements() == 0) return Status();
    float* y = out->flat<float>().data();
    const float* bias_data = bias.flat<float>().data();
    const EpilogueFn epilogue = epilogue_;
    const float alpha = alpha_;
    Sgemm(ctx->pool(), ta_, tb_, m, n, k, a.flat<float>().data(), ta_ ? m : k,
          b.flat<float>().data(), tb_ ? k : n, 0.0f, y, n,
          [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
            epilogue(y, n, r0, r1, c0, c1, bias_data, alpha);
          });
    return Status();
  }

 private:
  bool ta_ = false, tb_ = false;
  int64_t num_args_ = 0;
  float alpha_ = 0.2f;
  EpilogueFn epilogue_ = nullptr;
};

REGISTER_KERNEL("_FusedMatMul", FusedMatMulKernel);

}  // namespace
}  // namespace savedmodel::kernels
