// Helper ops that TensorFlow's gradient functions put into training graphs.
//   BroadcastGradientArgs(s0: [r0], s1: [r1]) -> the axes each operand of a
//       broadcasting binary op was stretched along, to sum its gradient over
//   ConcatOffset(axis: scalar, shape_0..shape_{N-1}: [rank]) -> N offsets [rank]
//   ReluGrad(dy, x) -> dy where x > 0, else 0            (same shapes)
//   SigmoidGrad(y, dy) -> dy * y * (1 - y)               (y = sigmoid(x))
//   TanhGrad(y, dy) -> dy * (1 - y^2)                    (y = tanh(x))
//   BiasAddGrad(dy: NHWC [..., C] or NCHW [N, C, ...]) -> [C], dy summed per channel
#include <algorithm>
#include <string>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/nn/data_format.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

constexpr int64_t kMinChunk = kMinParallelWork;

std::string JoinDims(const std::vector<int64_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out;
}

// TensorFlow's rule (BCast): align the shapes at their last axis, padding the
// shorter with 1s. An axis where every operand is 1 is reduced for both; an
// axis where some operand is not 1 is reduced for the operands that are 1. Two
// identical shapes reduce nothing, even along their 1-sized axes: TF takes a
// fast path there, and graphs built by TF rely on the empty result.
// Axes are numbered in the padded (longest) shape, ascending.
Status BroadcastReduceAxes(const std::vector<int64_t>& s0, const std::vector<int64_t>& s1,
                           std::vector<int64_t>* r0, std::vector<int64_t>* r1) {
  if (s0 == s1) return Status();
  const size_t rank = std::max(s0.size(), s1.size());
  for (size_t axis = 0; axis < rank; ++axis) {
    const size_t from_end = rank - axis;
    const int64_t d0 = from_end <= s0.size() ? s0[s0.size() - from_end] : 1;
    const int64_t d1 = from_end <= s1.size() ? s1[s1.size() - from_end] : 1;
    if (d0 != 1 && d1 != 1 && d0 != d1) {
      return InvalidArgument("Incompatible shapes: [" + JoinDims(s0) + "] vs. [" + JoinDims(s1) + "]");
    }
    const auto a = static_cast<int64_t>(axis);
    if (d0 == 1) r0->push_back(a);
    if (d1 == 1) r1->push_back(a);
  }
  return Status();
}

class BroadcastGradientArgsKernel : public OpKernel {
 public:
  BroadcastGradientArgsKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    if (dtype_ != DT_INT32 && dtype_ != DT_INT64) *s = c.UnsupportedType(dtype_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    std::vector<int64_t> shapes[2];
    for (int i = 0; i < 2; ++i) {
      const Tensor t = ctx->input(i);
      if (t.rank() != 1) {
        return ctx->InvalidArg("In[" + std::to_string(i) + "] must be a vector." + t.shape().DebugString());
      }
      ASSIGN_OR_RETURN(shapes[i], IntValues(t));
    }
    std::vector<int64_t> r0, r1;
    Status s = BroadcastReduceAxes(shapes[0], shapes[1], &r0, &r1);
    if (!s.ok()) return ctx->InvalidArg(s.message());
    ctx->set_output(0, IntTensor(dtype_, r0, TensorShape{static_cast<int64_t>(r0.size())}));
    ctx->set_output(1, IntTensor(dtype_, r1, TensorShape{static_cast<int64_t>(r1.size())}));
    return Status();
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("BroadcastGradientArgs", BroadcastGradientArgsKernel);

// Where each input of a Concat starts in the output: zero everywhere but the
// concat axis, which holds the sum of the earlier inputs' sizes along it.
class ConcatOffsetKernel : public OpKernel {
 public:
  ConcatOffsetKernel(const OpKernelConstruction& c, Status* s) {
    for (size_t i = 1; i < c.input_types().size(); ++i) {
      const DataType dt = c.input_types()[i];
      if (dt != DT_INT32 && dt != DT_INT64) {
        *s = c.UnsupportedType(dt);
        return;
      }
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor axis_t = ctx->input(0);
    if (axis_t.rank() != 0) {
      return ctx->InvalidArg("Concat dim tensor should be a scalar integer, but got shape " +
                             axis_t.shape().DebugString());
    }
    const int n = ctx->num_inputs() - 1;
    std::vector<std::vector<int64_t>> shapes(n);
    for (int i = 0; i < n; ++i) {
      const Tensor t = ctx->input(i + 1);
      if (t.rank() != 1) {
        return ctx->InvalidArg("input " + std::to_string(i) + " should be a vector, but got shape " +
                               t.shape().DebugString());
      }
      ASSIGN_OR_RETURN(shapes[i], IntValues(t));
    }
    ASSIGN_OR_RETURN(auto axis_values, IntValues(axis_t));
    const int64_t rank = n > 0 ? static_cast<int64_t>(shapes[0].size()) : 0;
    const int64_t axis = axis_values[0] < 0 ? axis_values[0] + rank : axis_values[0];
    if (axis < 0 || axis >= rank) {
      return ctx->InvalidArg("Concat dim is out of range: " + std::to_string(axis_values[0]) + " vs. " +
                             std::to_string(rank));
    }
    int64_t offset = 0;
    for (int i = 0; i < n; ++i) {
      if (static_cast<int64_t>(shapes[i].size()) != rank) {
        return ctx->InvalidArg("input " + std::to_string(i) + " should contain " + std::to_string(rank) +
                               " elements, but got " + std::to_string(shapes[i].size()));
      }
      std::vector<int64_t> out(rank, 0);
      for (int64_t d = 0; d < rank; ++d) {
        if (d == axis) {
          out[d] = offset;
          offset += shapes[i][d];
        } else if (shapes[i][d] != shapes[0][d]) {
          return ctx->InvalidArg("All dimensions except " + std::to_string(axis) + " must match. Input " +
                                 std::to_string(i) + " has shape [" + JoinDims(shapes[i]) +
                                 "] and doesn't match input 0 with shape [" + JoinDims(shapes[0]) + "].");
        }
      }
      ctx->set_output(i, IntTensor(ctx->input(i + 1).dtype(), out, TensorShape{rank}));
    }
    return Status();
  }
};
REGISTER_KERNEL("ConcatOffset", ConcatOffsetKernel);

// Elementwise gradient ops of two same-shaped inputs; the output takes input
// 0's shape. F(a, b) sees the inputs in OpDef order.
struct ReluGradOp {
  static constexpr const char* kNames = "gradients and features";
  template <typename T> static constexpr bool kSupports = kIsReal<T>;
  template <typename C> static C F(C dy, C x) { return x > C(0) ? dy : C(0); }
};
struct SigmoidGradOp {
  static constexpr const char* kNames = "y and dy";
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename C> static C F(C y, C dy) { return dy * y * (C(1) - y); }
};
struct TanhGradOp {
  static constexpr const char* kNames = "y and dy";
  template <typename T> static constexpr bool kSupports = kIsFloat<T>;
  template <typename C> static C F(C y, C dy) { return dy * (C(1) - y * y); }
};

template <typename Op>
class BinaryGradKernel : public TypedKernel<BinaryGradKernel<Op>> {
  friend class TypedKernel<BinaryGradKernel>;

 public:
  BinaryGradKernel(const OpKernelConstruction& c, Status* s) {
    const DataType dt = c.input_types()[0];
    *s = this->SelectRun(c, dt, [](auto t) {
      using T = typename decltype(t)::type;
      return Op::template kSupports<T>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor a = ctx->input(0), b = ctx->input(1);
    if (!(a.shape() == b.shape())) {
      return ctx->InvalidArg(std::string(Op::kNames) + " must have the same shape: " +
                             a.shape().DebugString() + " vs " + b.shape().DebugString());
    }
    Tensor* out = ctx->allocate_output_uninitialized(0, a.dtype(), a.shape());
    const T* as = a.flat<T>().data();
    const T* bs = b.flat<T>().data();
    T* ys = out->flat<T>().data();
    ParallelFor(ctx->pool(), a.num_elements(), kMinChunk, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) ys[i] = FromCalc<T>(Op::F(ToCalc(as[i]), ToCalc(bs[i])));
    });
    return Status();
  }
};
using ReluGradKernel = BinaryGradKernel<ReluGradOp>;
using SigmoidGradKernel = BinaryGradKernel<SigmoidGradOp>;
using TanhGradKernel = BinaryGradKernel<TanhGradOp>;
REGISTER_KERNEL("ReluGrad", ReluGradKernel);
REGISTER_KERNEL("SigmoidGrad", SigmoidGradKernel);
REGISTER_KERNEL("TanhGrad", TanhGradKernel);

// Viewed as [outer, C, inner] (NHWC: inner = 1; NCHW: outer = N), each block of
// outer rows sums into its own partial [C] so threads never share a sum; the
// partials are added in block order, so results do not depend on threading.
class BiasAddGradKernel : public TypedKernel<BiasAddGradKernel> {
  friend class TypedKernel<BiasAddGradKernel>;

 public:
  BiasAddGradKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.input_types()[0]) {
    *s = GetDataFormatIsNchw(c, &nchw_);
    if (!s->ok()) return;
    *s = this->SelectRun(c, dtype_, [](auto t) {
      using T = typename decltype(t)::type;
      return kIsReal<T>;
    });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    // Floats sum in double: a conv gradient adds millions of terms per channel.
    using Acc = std::conditional_t<kIsFloat<T>, double, T>;
    const Tensor dy = ctx->input(0);
    if (dy.rank() < 2) {
      return ctx->InvalidArg("Input tensor must be at least 2D: " + dy.shape().DebugString());
    }
    const int channel_dim = nchw_ ? 1 : dy.rank() - 1;
    const int64_t channels = dy.dim(channel_dim);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < channel_dim; ++d) outer *= dy.dim(d);
    for (int d = channel_dim + 1; d < dy.rank(); ++d) inner *= dy.dim(d);
    // Every channel is written below, blocks or none.
    Tensor* out = ctx->allocate_output_uninitialized(0, dtype_, TensorShape{channels});
    if (channels == 0) return Status();
    const int64_t row = channels * inner;
    const int64_t rows_per_block = std::max<int64_t>(1, kMinChunk / std::max<int64_t>(row, 1));
    const int64_t blocks = row == 0 ? 0 : (outer + rows_per_block - 1) / rows_per_block;
    std::vector<Acc> partial(static_cast<size_t>(blocks * channels), Acc(0));
    const T* x = dy.flat<T>().data();
    ParallelFor(ctx->pool(), blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t blk = b0; blk < b1; ++blk) {
        Acc* sum = partial.data() + blk * channels;
        const int64_t r_end = std::min(outer, (blk + 1) * rows_per_block);
        for (int64_t r = blk * rows_per_block; r < r_end; ++r) {
          const T* p = x + r * row;
          for (int64_t c = 0; c < channels; ++c) {
            for (int64_t j = 0; j < inner; ++j) sum[c] = WrapAdd(sum[c], Acc(ToCalc(p[c * inner + j])));
          }
        }
      }
    });
    T* y = out->flat<T>().data();
    for (int64_t c = 0; c < channels; ++c) {
      Acc total = Acc(0);
      for (int64_t blk = 0; blk < blocks; ++blk) total = WrapAdd(total, partial[blk * channels + c]);
      y[c] = FromCalc<T>(static_cast<Calc<T>>(total));
    }
    return Status();
  }

  DataType dtype_;
  bool nchw_ = false;
};
REGISTER_KERNEL("BiasAddGrad", BiasAddGradKernel);

}  // namespace
}  // namespace savedmodel::kernels
