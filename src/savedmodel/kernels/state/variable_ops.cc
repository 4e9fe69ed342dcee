// TF1 reference variables: VariableV2 and the ops that write through refs.
#include "savedmodel/format/bundle/mapped_shard.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/state/accumulate.h"

namespace savedmodel {
namespace {

// VariableV2 outputs a reference to the model's variable named by shared_name
// (or the node name), created on first use and shared by every Run.
class VariableKernel : public OpKernel {
 public:
  VariableKernel(const OpKernelConstruction& c, Status* s) {
    std::string shared_name, container;
    if (c.HasAttr("shared_name")) *s = c.GetAttr("shared_name", &shared_name);
    if (s->ok() && c.HasAttr("container")) *s = c.GetAttr("container", &container);
    name_ = container + "/" + (shared_name.empty() ? c.name() : shared_name);
  }
  Status Compute(OpKernelContext* ctx) const override {
    ctx->set_output_ref(0, ctx->resources()->LookupOrCreateVariable(name_));
    return Status::OK();
  }

 private:
  std::string name_;
};
REGISTER_KERNEL("VariableV2", VariableKernel);
REGISTER_KERNEL("Variable", VariableKernel);

class IsVariableInitializedKernel : public OpKernel {
 public:
  IsVariableInitializedKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const auto& ref = ctx->input_ref(0);
    ctx->set_output(0, Tensor::Scalar<bool>(ref && ref->initialized()));
    return Status::OK();
  }
};
REGISTER_KERNEL("IsVariableInitialized", IsVariableInitializedKernel);

Status NeedRef(OpKernelContext* ctx) {
  if (!ctx->input_ref(0)) return ctx->Error("input 0 must be a variable reference");
  return Status::OK();
}

// Assign: ref = value. With validate_shape the shapes must match once the
// variable holds a value, as in TensorFlow.
class AssignKernel : public OpKernel {
 public:
  AssignKernel(const OpKernelConstruction& c, Status* s) {
    if (c.HasAttr("validate_shape")) *s = c.GetAttr("validate_shape", &validate_shape_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    RETURN_IF_ERROR(NeedRef(ctx));
    Tensor value = ctx->input(1);
    const auto& var = ctx->input_ref(0);
    Status status = var->Update([&](Tensor& t) {
      if (validate_shape_ && t.IsInitialized() && !(t.shape() == value.shape())) {
        return ctx->Error("Assign requires shapes of both tensors to match. lhs shape= " +
                          t.shape().DebugString() + " rhs shape= " + value.shape().DebugString());
      }
      // Copy, so that a buffer someone else may still write never becomes the
      // variable's; a view of a restored checkpoint has no such writer (see
      // AssignVariableOp).
      t = bundle::IsCheckpointView(value) ? value : value.DeepCopy();
      return Status::OK();
    });
    RETURN_IF_ERROR(status);
    ctx->set_output_ref(0, var);
    return Status::OK();
  }

 private:
  bool validate_shape_ = true;
};
REGISTER_KERNEL("Assign", AssignKernel);

// AssignAdd / AssignSub: ref += value, ref -= value (same shapes), in place.
template <bool kAdd>
class AssignUpdateKernel : public OpKernel {
 public:
  AssignUpdateKernel(const OpKernelConstruction& c, Status* s) : dtype_(BaseType(c.input_types()[0])) {
    if (!AccumulateSupports(dtype_)) *s = c.UnsupportedType(dtype_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    RETURN_IF_ERROR(NeedRef(ctx));
    Tensor delta = ctx->input(1);
    const auto& var = ctx->input_ref(0);
    Status status = var->Update([&](Tensor& t) {
      if (!t.IsInitialized()) {
        return FailedPrecondition("Attempting to use uninitialized value " + ctx->node().def.input(0));
      }
      if (!(t.shape() == delta.shape())) {
        return ctx->Error("shapes differ: variable " + t.shape().DebugString() + " vs value " +
                          delta.shape().DebugString());
      }
      Accumulate<kAdd>(t, delta);
      return Status::OK();
    });
    RETURN_IF_ERROR(status);
    ctx->set_output_ref(0, var);
    return Status::OK();
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("AssignAdd", AssignUpdateKernel<true>);
REGISTER_KERNEL("AssignSub", AssignUpdateKernel<false>);

}  // namespace
}  // namespace savedmodel
