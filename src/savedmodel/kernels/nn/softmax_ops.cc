// Softmax and LogSoftmax over the last axis, and the two softmax
// cross-entropy losses.
//   Softmax / LogSoftmax: logits: [..., classes] -> same shape
//   SoftmaxCrossEntropyWithLogits: features: [batch, classes], labels: [batch, classes]
//       (each may broadcast a dim of 1) -> loss: [batch], backprop: [batch, classes]
//   SparseSoftmaxCrossEntropyWithLogits: features: [batch, classes], labels: [batch]
//       -> loss: [batch], backprop: [batch, classes]
// Every row subtracts its max before exp, so large logits never overflow.
#include <cmath>
#include <string>
#include <type_traits>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/elementwise_f32.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

int64_t MinRows(int64_t classes) { return std::max<int64_t>(1, kMinParallelWork / std::max<int64_t>(classes, 1)); }

// For one row of logits: max and log(sum(exp(x - max))), in C.
template <typename T, typename C = Calc<T>>
void RowStats(const T* x, int64_t n, C* max, C* log_sum) {
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, ToCalc(x[j]));
  C sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(ToCalc(x[j]) - m);
  *max = m;
  *log_sum = std::log(sum);
}

class SoftmaxKernel : public TypedKernel<SoftmaxKernel> {
  friend class TypedKernel<SoftmaxKernel>;

 public:
  SoftmaxKernel(const OpKernelConstruction& c, Status* s) : log_(c.node().op() == "LogSoftmax") {
    *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kIsFloat<T>;
    });
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using C = Calc<T>;
    const Tensor logits = ctx->input(0);
    if (logits.rank() < 1) {
      return ctx->InvalidArg("logits must have >= 1 dimension, got " +
                             logits.shape().DebugString());
    }
    Tensor* out = ctx->allocate_output_uninitialized(0, logits.dtype(), logits.shape());
    const int64_t classes = logits.dim(logits.rank() - 1);
    if (classes == 0) return Status();
    const int64_t rows = logits.num_elements() / classes;
    const T* x = logits.flat<T>().data();
    T* y = out->flat<T>().data();
    ParallelFor(ctx->pool(), rows, MinRows(classes), [&](int64_t r0, int64_t r1) {
      // Float rows as TensorFlow computes them (one exp per element, times
      // 1 / sum), with a vectorized exp as Eigen's, TensorFlow's own.
      if constexpr (std::is_same_v<T, float>) {
        f32::SoftmaxRows(x + r0 * classes, y + r0 * classes, r1 - r0, classes, log_);
        return;
      }
      for (int64_t r = r0; r < r1; ++r) {
        const T* xr = x + r * classes;
        T* yr = y + r * classes;
        C max, log_sum;
        RowStats(xr, classes, &max, &log_sum);
        for (int64_t j = 0; j < classes; ++j) {
          const C shifted = ToCalc(xr[j]) - max - log_sum;
          yr[j] = FromCalc<T>(log_ ? shifted : std::exp(shifted));
        }
      }
    });
    return Status();
  }

 private:
  bool log_;
};

class SoftmaxXentKernel : public TypedKernel<SoftmaxXentKernel> {
  friend class TypedKernel<SoftmaxXentKernel>;

 public:
  SoftmaxXentKernel(const OpKernelConstruction& c, Status* s) { *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kIsFloat<T>;
    }); }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using C = Calc<T>;
    Tensor features = ctx->input(0), labels = ctx->input(1);
    // A vector of logits is one row.
    if (features.rank() == 1) {
      ASSIGN_OR_RETURN(features, features.Reshaped({1, features.dim(0)}));
    }
    if (labels.rank() == 1) {
      ASSIGN_OR_RETURN(labels, labels.Reshaped({1, labels.dim(0)}));
    }
    if (features.rank() != 2 || labels.rank() != 2) {
      return ctx->InvalidArg("logits and labels must be either 2-dimensional, or broadcasted to "
                             "be 2-dimensional");
    }
    int64_t dims[2];
    for (int d = 0; d < 2; ++d) {
      const int64_t f = features.dim(d), l = labels.dim(d);
      if (f != l && f != 1 && l != 1) {
        return ctx->InvalidArg("logits and labels must be broadcastable: logits_size=" +
                               features.shape().DebugString() +
                               " labels_size=" + labels.shape().DebugString());
      }
      dims[d] = f == 1 ? l : f;
    }
    const int64_t batch = dims[0], classes = dims[1];
    // Batch and classes may come from different inputs: check their product.
    auto backprop_shape = TensorShape::FromDims(std::vector<int64_t>{batch, classes});
    if (!backprop_shape.ok()) return ctx->InvalidArg(backprop_shape.status().message());
    Tensor* loss = ctx->allocate_output(0, features.dtype(), TensorShape{batch});
    Tensor* backprop = ctx->allocate_output(1, features.dtype(), *backprop_shape);
    // Strides that read a broadcast dim of 1 repeatedly.
    const int64_t frs = features.dim(0) == 1 ? 0 : features.dim(1);
    const int64_t fcs = features.dim(1) == 1 ? 0 : 1;
    const int64_t lrs = labels.dim(0) == 1 ? 0 : labels.dim(1);
    const int64_t lcs = labels.dim(1) == 1 ? 0 : 1;
    const T* f = features.flat<T>().data();
    const T* l = labels.flat<T>().data();
    T* lo = loss->flat<T>().data();
    T* bp = backprop->flat<T>().data();
    ParallelFor(ctx->pool(), batch, MinRows(classes), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* fr = f + r * frs;
        const T* lr = l + r * lrs;
        C max = -std::numeric_limits<C>::infinity();
        for (int64_t j = 0; j < classes; ++j) max = std::max(max, ToCalc(fr[j * fcs]));
        C sum = 0;
        for (int64_t j = 0; j < classes; ++j) sum += std::exp(ToCalc(fr[j * fcs]) - max);
        const C log_sum = std::log(sum);
        C total = 0;
        for (int64_t j = 0; j < classes; ++j) {
          const C z = ToCalc(fr[j * fcs]) - max;
          const C label = ToCalc(lr[j * lcs]);
          total += label * (log_sum - z);
          bp[r * classes + j] = FromCalc<T>(std::exp(z - log_sum) - label);
        }
        lo[r] = FromCalc<T>(total);
      }
    });
    return Status();
  }
};

class SparseSoftmaxXentKernel : public TypedKernel<SparseSoftmaxXentKernel> {
  friend class TypedKernel<SparseSoftmaxXentKernel>;

 public:
  SparseSoftmaxXentKernel(const OpKernelConstruction& c, Status* s)
      : label_type_(c.input_types()[1]) {
    *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kIsFloat<T>;
    });
    if (s->ok() && label_type_ != DT_INT32 && label_type_ != DT_INT64) {
      *s = c.UnsupportedType(label_type_);
    }
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using C = Calc<T>;
    const Tensor features = ctx->input(0), labels = ctx->input(1);
    if (features.rank() != 2) {
      return ctx->InvalidArg("logits must be 2-D, but got shape " + features.shape().DebugString());
    }
    if (labels.rank() != 1 || labels.dim(0) != features.dim(0)) {
      return ctx->InvalidArg("logits and labels must have the same first dimension, got logits "
                             "shape " + features.shape().DebugString() + " and labels shape " +
                             labels.shape().DebugString());
    }
    const int64_t batch = features.dim(0), classes = features.dim(1);
    std::vector<int64_t> label(batch);
    for (int64_t r = 0; r < batch; ++r) {
      label[r] = label_type_ == DT_INT32 ? labels.flat<int32_t>()[r] : labels.flat<int64_t>()[r];
    }
    for (int64_t r = 0; r < batch; ++r) {
      if (label[r] < 0 || label[r] >= classes) {
        std::string all;
        for (int64_t v : label) all += (all.empty() ? "" : " ") + std::to_string(v);
        return ctx->InvalidArg("Received a label value of " + std::to_string(label[r]) +
                               " which is outside the valid range of [0, " +
                               std::to_string(classes) + ").  Label values: " + all);
      }
    }
    Tensor* loss = ctx->allocate_output(0, features.dtype(), TensorShape{batch});
    Tensor* backprop = ctx->allocate_output(1, features.dtype(), features.shape());
    const T* f = features.flat<T>().data();
    T* lo = loss->flat<T>().data();
    T* bp = backprop->flat<T>().data();
    ParallelFor(ctx->pool(), batch, MinRows(classes), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* fr = f + r * classes;
        C max, log_sum;
        RowStats(fr, classes, &max, &log_sum);
        for (int64_t j = 0; j < classes; ++j) {
          const C z = ToCalc(fr[j]) - max;
          bp[r * classes + j] = FromCalc<T>(std::exp(z - log_sum) - (j == label[r] ? C(1) : C(0)));
        }
        lo[r] = FromCalc<T>(log_sum - (ToCalc(fr[label[r]]) - max));
      }
    });
    return Status();
  }

 private:
  DataType label_type_;
};

REGISTER_KERNEL("Softmax", SoftmaxKernel);
REGISTER_KERNEL("LogSoftmax", SoftmaxKernel);
REGISTER_KERNEL("SoftmaxCrossEntropyWithLogits", SoftmaxXentKernel);
REGISTER_KERNEL("SparseSoftmaxCrossEntropyWithLogits", SparseSoftmaxXentKernel);

}  // namespace
}  // namespace savedmodel::kernels
