// _FusedConv2D: the op TensorFlow's grappler remapper makes of Conv2D followed
// by BiasAdd or FusedBatchNorm (inference) and optionally an activation; the
// graph passes here make it too. float, NHWC, HWIO filter.
//   inputs: input, filter, args (num_args of them), host_args (unused on CPU)
//   fused_ops           args
//   [BiasAdd, <act>]    bias [out_c]
//   [FusedBatchNorm, <act>]  scale, offset, mean, variance [out_c]; attr epsilon
// <act> is absent, Relu, Relu6, Elu or LeakyRelu (attr leakyrelu_alpha) - the
// set TensorFlow's CPU kernel accepts; other lists are Unimplemented.
//
// The epilogue runs on each chunk of output rows right after its matrix
// product, while the chunk is in cache, and computes exactly what BiasAdd,
// FusedBatchNorm and the activation kernels compute one after another.
#include <cmath>
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/nn/conv2d_gemm.h"
#include "savedmodel/kernels/nn/conv_util.h"

namespace savedmodel::kernels {
namespace {

enum class Act { kNone, kRelu, kRelu6, kElu, kLeakyRelu };

// Per row of out_c values: y = act(y * scale + shift) (scale absent for
// BiasAdd), through the same vector loops BiasAdd and the Relu family use.
void Epilogue(Act act, float* y, int64_t rows, int64_t oc, const float* scale, const float* shift, float alpha) {
  const int64_t n = rows * oc;
  if (n == 0) return;
  // BiasAdd then Relu, Relu6 or LeakyRelu as one pass over the chunk (bit for
  // bit the two kernels).
  if (scale == nullptr && act != Act::kElu) {
    const f32::BiasAct bias_act = act == Act::kRelu        ? f32::BiasAct::kRelu
                                  : act == Act::kRelu6     ? f32::BiasAct::kRelu6
                                  : act == Act::kLeakyRelu ? f32::BiasAct::kLeakyRelu
                                                           : f32::BiasAct::kNone;
    f32::BiasActivation(bias_act, y, oc, rows, oc, shift, alpha);
    return;
  }
  const f32::Operand out{y, oc, 1};
  if (scale) f32::BinaryRange(f32::BinaryOp::kMul, out, f32::Operand{scale, 0, 1}, y, oc, 0, n);
  f32::BinaryRange(f32::BinaryOp::kAdd, out, f32::Operand{shift, 0, 1}, y, oc, 0, n);
  switch (act) {
    case Act::kNone: break;
    case Act::kRelu: f32::Unary(f32::UnaryOp::kRelu, y, y, n); break;
    case Act::kRelu6: f32::Unary(f32::UnaryOp::kRelu6, y, y, n); break;
    case Act::kLeakyRelu: f32::Unary(f32::UnaryOp::kLeakyRelu, y, y, n, alpha); break;
    case Act::kElu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] > 0.0f ? y[i] : std::expm1(y[i]);
      break;
  }
}

class FusedConv2DKernel : public OpKernel {
 public:
  FusedConv2DKernel(const OpKernelConstruction& c, Status* s) {
    std::vector<std::string> ops;
    std::string filter_format = "HWIO";
    *s = conv_.Parse(c);
    if (s->ok()) *s = c.GetAttr("fused_ops", &ops);
    if (s->ok()) *s = c.GetAttr("num_args", &num_args_);
    if (s->ok() && c.HasAttr("epsilon")) *s = c.GetAttr("epsilon", &epsilon_);
    if (s->ok() && c.HasAttr("leakyrelu_alpha")) *s = c.GetAttr("leakyrelu_alpha", &alpha_);
    if (s->ok() && c.HasAttr("filter_format")) *s = c.GetAttr("filter_format", &filter_format);
    if (!s->ok()) return;
    if (c.input_types()[0] != DT_FLOAT) {
      *s = c.UnsupportedType(c.input_types()[0]);
      return;
    }
    const std::string where = "node '" + c.name() + "': _FusedConv2D ";
    if (conv_.nchw) {
      *s = Unimplemented(where + "supports only the NHWC data format");
      return;
    }
    if (filter_format != "HWIO") {
      *s = Unimplemented(where + "supports only the HWIO filter format, got " + filter_format);
      return;
    }
    std::string list;
    for (const std::string& op : ops) list += (list.empty() ? "" : ", ") + op;
    const std::string act = ops.size() == 2 ? ops[1] : "";
    const bool head_ok = !ops.empty() && ops.size() <= 2 && (ops[0] == "BiasAdd" || ops[0] == "FusedBatchNorm");
    if (act.empty()) act_ = Act::kNone;
    else if (act == "Relu") act_ = Act::kRelu;
    else if (act == "Relu6") act_ = Act::kRelu6;
    else if (act == "Elu") act_ = Act::kElu;
    else if (act == "LeakyRelu") act_ = Act::kLeakyRelu;
    if (!head_ok || (!act.empty() && act_ == Act::kNone)) {
      *s = Unimplemented(where + "does not support fused_ops [" + list +
                         "]; supported: BiasAdd or FusedBatchNorm, then optionally Relu, Relu6, Elu or LeakyRelu");
      return;
    }
    batch_norm_ = ops[0] == "FusedBatchNorm";
    const int64_t want = batch_norm_ ? 4 : 1;
    if (num_args_ != want) {
      *s = c.Error("fused_ops [" + list + "] take " + std::to_string(want) + " args, got num_args " +
                   std::to_string(num_args_));
    }
  }

  Status Compute(OpKernelContext* ctx) const override {
    if (ctx->num_inputs() < 2 + num_args_) return ctx->Error("expected input, filter and the fused args");
    const Tensor& in = ctx->input(0);
    const Tensor& filter = ctx->input(1);
    auto d = Conv2DDimsOf(conv_, in.shape(), filter.shape());
    if (!d.ok()) return ctx->Error(d.status().message());
    for (int i = 0; i < num_args_; ++i) {
      const Tensor& arg = ctx->input(2 + i);
      if (arg.dtype() != DT_FLOAT || arg.rank() != 1 || arg.dim(0) != d->oc) {
        return ctx->InvalidArg("arg " + std::to_string(i) + " must be a float vector of the " +
                               std::to_string(d->oc) + " output channels, got " + arg.shape().DebugString());
      }
    }
    // Per channel y * a + b, as the FusedBatchNorm kernel computes it; BiasAdd
    // adds b alone, read in place (no copy per call).
    std::vector<float> a, b;
    const float* scale = nullptr;
    const float* shift = ctx->input(2).flat<float>().data();
    if (batch_norm_) {
      const float* bn_scale = ctx->input(2).flat<float>().data();
      const float* offset = ctx->input(3).flat<float>().data();
      const float* mean = ctx->input(4).flat<float>().data();
      const float* var = ctx->input(5).flat<float>().data();
      a.resize(d->oc);
      b.resize(d->oc);
      for (int64_t k = 0; k < d->oc; ++k) {
        a[k] = bn_scale[k] / std::sqrt(var[k] + epsilon_);
        b[k] = offset[k] - mean[k] * a[k];
      }
      scale = a.data();
      shift = b.data();
    }
    auto out_shape = TensorShape::FromDims(std::vector<int64_t>{d->batch, d->oh, d->ow, d->oc});
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    Tensor* out = ctx->allocate_output_uninitialized(0, DT_FLOAT, *out_shape);
    const int64_t oc = d->oc;
    const float alpha = alpha_;
    const Act act = act_;
    Conv2DGemm(ctx->pool(), *d, in.flat<float>().data(), filter.flat<float>().data(), out->flat<float>().data(),
               [&](int64_t, int64_t rows, float* y) { Epilogue(act, y, rows, oc, scale, shift, alpha); });
    return Status::OK();
  }

 private:
  ConvParams conv_;
  int64_t num_args_ = 0;
  float epsilon_ = 1e-4f, alpha_ = 0.2f;
  bool batch_norm_ = false;
  Act act_ = Act::kNone;
};
REGISTER_KERNEL("_FusedConv2D", FusedConv2DKernel);

}  // namespace
}  // namespace savedmodel::kernels
