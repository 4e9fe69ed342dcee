// One optimizer step on a variable and its slot variables, for TF1 reference
// variables (Apply*, which output the var ref) and resource variables
// (ResourceApply*, no outputs).
//   var, slots, grad: one shape S; hyperparameters: scalars of the same dtype.
//   GradientDescent(var, alpha, delta):        var -= alpha * delta
//   Momentum(var, accum, lr, grad, momentum):  accum = accum * momentum + grad
//       var -= lr * accum; use_nesterov: var -= grad * lr + accum * momentum * lr
//   Adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
//       lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
//       m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
//       var -= lr_t * m / (sqrt(v) + epsilon)
//       use_nesterov: var -= lr_t * (grad * (1 - beta1) + beta1 * m) / (sqrt(v) + epsilon)
// m and v in Adam's var update are the values after this step's update, as in
// TensorFlow. Every variable is locked for the whole step (use_locking is
// accepted and always honoured: the lock is cheap next to the arithmetic).
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/state/resource_variable.h"

namespace savedmodel::kernels {
namespace {

constexpr int64_t kMinChunk = kMinParallelWork;

// Each algorithm lists its inputs in OpDef order: the first kSlots are
// variables, kGrad is the gradient, every other input is a scalar
// hyperparameter. Step() updates elements [b, e) of the slots in place, with
// h[i] the value of scalar input i.
struct GradientDescent {
  static constexpr int kSlots = 1;
  static constexpr int kGrad = 2;
  static constexpr std::array<const char*, 3> kNames = {"var", "alpha", "delta"};
  template <typename T>
  static void Step(T* const* s, const T* g, const Calc<T>* h, bool, int64_t b, int64_t e) {
    const Calc<T> alpha = h[1];
    for (int64_t i = b; i < e; ++i) s[0][i] = FromCalc<T>(ToCalc(s[0][i]) - alpha * ToCalc(g[i]));
  }
};

struct Momentum {
  static constexpr int kSlots = 2;
  static constexpr int kGrad = 3;
  static constexpr std::array<const char*, 5> kNames = {"var", "accum", "lr", "grad", "momentum"};
  template <typename T>
  static void Step(T* const* s, const T* g, const Calc<T>* h, bool nesterov, int64_t b, int64_t e) {
    using C = Calc<T>;
    const C lr = h[2], momentum = h[4];
    T* var = s[0];
    T* accum = s[1];
    for (int64_t i = b; i < e; ++i) {
      const C grad = ToCalc(g[i]);
      const C a = ToCalc(accum[i]) * momentum + grad;
      accum[i] = FromCalc<T>(a);
      const C delta = nesterov ? grad * lr + a * momentum * lr : a * lr;
      var[i] = FromCalc<T>(ToCalc(var[i]) - delta);
    }
  }
};

struct Adam {
  static constexpr int kSlots = 3;
  static constexpr int kGrad = 9;
  static constexpr std::array<const char*, 10> kNames = {
      "var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"};
  template <typename T>
  static void Step(T* const* s, const T* g, const Calc<T>* h, bool nesterov, int64_t b, int64_t e) {
    using C = Calc<T>;
    const C beta1_power = h[3], beta2_power = h[4], lr = h[5], beta1 = h[6], beta2 = h[7],
            epsilon = h[8];
    const C lr_t = lr * std::sqrt(C(1) - beta2_power) / (C(1) - beta1_power);
    T* var = s[0];
    T* m = s[1];
    T* v = s[2];
    for (int64_t i = b; i < e; ++i) {
      const C grad = ToCalc(g[i]);
      C mi = ToCalc(m[i]), vi = ToCalc(v[i]);
      mi += (grad - mi) * (C(1) - beta1);
      vi += (grad * grad - vi) * (C(1) - beta2);
      m[i] = FromCalc<T>(mi);
      v[i] = FromCalc<T>(vi);
      const C step = nesterov ? (grad * (C(1) - beta1) + beta1 * mi) * lr_t : mi * lr_t;
      var[i] = FromCalc<T>(ToCalc(var[i]) - step / (std::sqrt(vi) + epsilon));
    }
  }
};

// Runs fn with every variable's lock held, passing the tensors in `vars`
// order. Locks are taken in address order so two steps sharing variables
// cannot deadlock, and a variable passed twice is locked once (std::mutex is
// not recursive).
template <size_t N>
Status WithLocked(const std::array<Variable*, N>& vars,
                  const std::function<Status(const std::array<Tensor*, N>&)>& fn) {
  std::array<Variable*, N> order = vars;
  std::sort(order.begin(), order.end(), std::less<Variable*>());
  const size_t distinct = std::unique(order.begin(), order.end()) - order.begin();
  std::array<Tensor*, N> held{};
  std::function<Status(size_t)> lock_from = [&](size_t k) -> Status {
    if (k == distinct) {
      std::array<Tensor*, N> tensors{};
      for (size_t i = 0; i < N; ++i) {
        tensors[i] = held[std::find(order.begin(), order.begin() + distinct, vars[i]) - order.begin()];
      }
      return fn(tensors);
    }
    return order[k]->Update([&](Tensor& t) -> Status {
      held[k] = &t;
      return lock_from(k + 1);
    });
  };
  return lock_from(0);
}

template <typename Algo, bool kResource>
class ApplyKernel : public TypedKernel<ApplyKernel<Algo, kResource>> {
  friend class TypedKernel<ApplyKernel>;

  static constexpr int kSlots = Algo::kSlots;
  static constexpr int kInputs = static_cast<int>(Algo::kNames.size());

 public:
  ApplyKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("T", &dtype_);
    if (s->ok() && c.HasAttr("use_nesterov")) *s = c.GetAttr("use_nesterov", &nesterov_);
    if (!s->ok()) return;
    if (static_cast<int>(c.input_types().size()) != kInputs) {
      *s = c.Error("expected " + std::to_string(kInputs) + " inputs");
      return;
    }
    *s = this->SelectRun(c, dtype_, [](auto t) {
      using T = typename decltype(t)::type;
      return kIsFloat<T>;
    });
  }

 private:
  StatusOr<Variable*> SlotVariable(OpKernelContext* ctx, int i) const {
    const std::string name = Algo::kNames[i];
    if constexpr (kResource) {
      auto* rv = dynamic_cast<ResourceVariable*>(ctx->input_resource(i).get());
      if (rv == nullptr) return ctx->Error("input " + name + " is not a resource variable handle");
      if (rv->dtype() != dtype_) {
        return ctx->Error("variable '" + rv->name() + "' has type " + DataTypeString(rv->dtype()) +
                          ", op has " + DataTypeString(dtype_));
      }
      return &rv->var();
    } else {
      const auto& ref = ctx->input_ref(i);
      if (!ref) return ctx->Error("input " + name + " must be a variable reference");
      return ref.get();
    }
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    using C = Calc<T>;
    std::array<Variable*, kSlots> vars{};
    for (int i = 0; i < kSlots; ++i) {
      ASSIGN_OR_RETURN(vars[i], SlotVariable(ctx, i));
    }
    std::array<C, kInputs> h{};
    for (int i = kSlots; i < kInputs; ++i) {
      if (i == Algo::kGrad) continue;
      const Tensor t = ctx->input(i);
      if (t.rank() != 0) {
        return ctx->InvalidArg(std::string(Algo::kNames[i]) + " is not a scalar: " +
                               t.shape().DebugString());
      }
      h[i] = ToCalc(t.flat<T>()[0]);
    }
    const Tensor grad = ctx->input(Algo::kGrad);

    RETURN_IF_ERROR(WithLocked<kSlots>(vars, [&](const std::array<Tensor*, kSlots>& held) -> Status {
      for (int i = 0; i < kSlots; ++i) {
        if (!held[i]->IsInitialized()) {
          return FailedPrecondition("Attempting to use uninitialized variables: " +
                                    ctx->node().def.input(i) + " (node '" + ctx->node().name() + "')");
        }
        if (held[i]->dtype() != dtype_) {
          return ctx->Error(std::string(Algo::kNames[i]) + " holds " +
                            DataTypeString(held[i]->dtype()) + ", op has " + DataTypeString(dtype_));
        }
        if (i > 0 && !(held[i]->shape() == held[0]->shape())) {
          return ctx->InvalidArg(std::string("var and ") + Algo::kNames[i] +
                                 " do not have the same shape: " + held[0]->shape().DebugString() +
                                 " vs " + held[i]->shape().DebugString());
        }
      }
      if (!(grad.shape() == held[0]->shape())) {
        return ctx->InvalidArg(std::string("var and ") + Algo::kNames[Algo::kGrad] +
                               " do not have the same shape: " + held[0]->shape().DebugString() +
                               " vs " + grad.shape().DebugString());
      }
      // Fresh buffers: Runs that read a slot earlier may still hold the old one.
      std::array<Tensor, kSlots> next;
      std::array<T*, kSlots> ptrs{};
      for (int i = 0; i < kSlots; ++i) {
        next[i] = held[i]->DeepCopy();
        ptrs[i] = next[i].template flat<T>().data();
      }
      const T* g = grad.flat<T>().data();
      ParallelFor(ctx->pool(), grad.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
        Algo::template Step<T>(ptrs.data(), g, h.data(), nesterov_, b, e);
      });
      for (int i = 0; i < kSlots; ++i) *held[i] = std::move(next[i]);
      return Status();
    }));
    if constexpr (!kResource) ctx->set_output_ref(0, ctx->input_ref(0));
    return Status();
  }

  DataType dtype_ = DT_INVALID;
  bool nesterov_ = false;
};

using ApplyGradientDescentKernel = ApplyKernel<GradientDescent, false>;
using ApplyMomentumKernel = ApplyKernel<Momentum, false>;
using ApplyAdamKernel = ApplyKernel<Adam, false>;
using ResourceApplyGradientDescentKernel = ApplyKernel<GradientDescent, true>;
using ResourceApplyMomentumKernel = ApplyKernel<Momentum, true>;
using ResourceApplyAdamKernel = ApplyKernel<Adam, true>;
REGISTER_KERNEL("ApplyGradientDescent", ApplyGradientDescentKernel);
REGISTER_KERNEL("ApplyMomentum", ApplyMomentumKernel);
REGISTER_KERNEL("ApplyAdam", ApplyAdamKernel);
REGISTER_KERNEL("ResourceApplyGradientDescent", ResourceApplyGradientDescentKernel);
REGISTER_KERNEL("ResourceApplyMomentum", ResourceApplyMomentumKernel);
REGISTER_KERNEL("ResourceApplyAdam", ResourceApplyAdamKernel);

}  // namespace
}  // namespace savedmodel::kernels
