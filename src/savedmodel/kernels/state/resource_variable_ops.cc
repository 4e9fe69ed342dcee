// Resource variables (VarHandleOp and the ops reading/writing through the
// handle), as TF >= 1.x Keras layers and all TF2 models create them.
#include "savedmodel/format/bundle/mapped_shard.h"
#include "savedmodel/kernels/array/gather.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/state/accumulate.h"
#include "savedmodel/kernels/state/resource_variable.h"

namespace savedmodel {
namespace {


class VarHandleKernel : public OpKernel {
 public:
  VarHandleKernel(const OpKernelConstruction& c, Status* s) {
    std::string shared_name, container;
    *s = c.GetAttr("dtype", &dtype_);
    if (s->ok()) *s = c.GetAttr("shared_name", &shared_name);
    if (s->ok()) *s = c.GetAttr("container", &container);
    name_ = shared_name.empty() ? c.name() : shared_name;
    key_ = "resource_variable:" + container + "/" + name_;
  }
  Status Compute(OpKernelContext* ctx) const override {
    auto* mgr = ctx->resources();
    // Taken before LookupOrCreate: its factory runs under the manager's lock.
    auto storage = mgr->LookupOrCreateVariable(key_);
    ASSIGN_OR_RETURN(auto v, mgr->LookupOrCreate<ResourceVariable>(key_, [&]() {
      return StatusOr<std::shared_ptr<ResourceBase>>(
          std::make_shared<ResourceVariable>(name_, dtype_, storage));
    }));
    if (v->dtype() != dtype_) {
      return ctx->Error("variable '" + name_ + "' already exists with type " + DataTypeString(v->dtype()));
    }
    ctx->set_output_resource(0, v);
    return Status::OK();
  }

 private:
  DataType dtype_;
  std::string name_, key_;
};
REGISTER_KERNEL("VarHandleOp", VarHandleKernel);

StatusOr<std::shared_ptr<ResourceVariable>> VariableInput(OpKernelContext* ctx) {
  auto v = std::dynamic_pointer_cast<ResourceVariable>(ctx->input_resource(0));
  if (!v) return ctx->Error("input 0 is not a resource variable handle");
  return v;
}

class ReadVariableKernel : public OpKernel {
 public:
  ReadVariableKernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("dtype", &dtype_); }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto v, VariableInput(ctx));
    Tensor t = v->var().value();
    if (!t.IsInitialized()) {
      return FailedPrecondition("Error while reading resource variable " + v->name() +
                                ": the variable was uninitialized (node '" + ctx->node().name() + "')");
    }
    if (t.dtype() != dtype_) {
      return ctx->Error("variable '" + v->name() + "' holds " + DataTypeString(t.dtype()) +
                        ", read as " + DataTypeString(dtype_));
    }
    // Moved: a Tensor copy copies its shape, a heap allocation per read.
    ctx->set_output(0, std::move(t));
    return Status::OK();
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("ReadVariableOp", ReadVariableKernel);

// ResourceGather(resource, indices): rows of the variable's value (axis 0,
// after `batch_dims` leading dims), as an embedding lookup reads them.
class ResourceGatherKernel : public OpKernel {
 public:
  ResourceGatherKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("dtype", &dtype_);
    if (s->ok() && c.HasAttr("batch_dims")) *s = c.GetAttr("batch_dims", &batch_dims_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto v, VariableInput(ctx));
    Tensor params = v->var().value();
    if (!params.IsInitialized()) {
      return FailedPrecondition("Error while reading resource variable " + v->name() +
                                ": the variable was uninitialized (node '" + ctx->node().name() + "')");
    }
    if (params.dtype() != dtype_) {
      return ctx->Error("variable '" + v->name() + "' holds " + DataTypeString(params.dtype()) + ", read as " +
                        DataTypeString(dtype_));
    }
    if (params.rank() == 0) return ctx->InvalidArg("params must be at least 1 dimensional");
    return kernels::GatherAxis(ctx, params, ctx->input(1), batch_dims_, batch_dims_);
  }

 private:
  DataType dtype_;
  int64_t batch_dims_ = 0;
};
REGISTER_KERNEL("ResourceGather", ResourceGatherKernel);

class AssignVariableKernel : public OpKernel {
 public:
  AssignVariableKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto v, VariableInput(ctx));
    Tensor value = ctx->input(1);
    if (value.dtype() != v->dtype()) {
      return ctx->Error("assigning " + DataTypeString(value.dtype()) + " to variable '" + v->name() +
                        "' of type " + DataTypeString(v->dtype()));
    }
    // Copy, so that a buffer someone else may still write (a fed tensor, one
    // over the caller's memory) never becomes the variable's. A view of a
    // restored checkpoint has no such writer, and is taken as it is: loading
    // does not copy every weight once more.
    v->var().set_value(bundle::IsCheckpointView(value) ? value : value.DeepCopy());
    return Status::OK();
  }
};
REGISTER_KERNEL("AssignVariableOp", AssignVariableKernel);

template <bool kAdd>
class AssignUpdateVariableKernel : public OpKernel {
 public:
  AssignUpdateVariableKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("dtype", &dtype_);
    if (s->ok() && !AccumulateSupports(dtype_)) *s = c.UnsupportedType(dtype_);
  }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(auto v, VariableInput(ctx));
    Tensor delta = ctx->input(1);
    return v->var().Update([&](Tensor& t) -> Status {
      if (!t.IsInitialized()) return FailedPrecondition("variable '" + v->name() + "' is uninitialized");
      if (t.dtype() != dtype_ || !(t.shape() == delta.shape())) {
        return ctx->Error("update of " + delta.shape().DebugString() + " does not match variable '" +
                          v->name() + "' of shape " + t.shape().DebugString());
      }
      Accumulate<kAdd>(t, delta);
      return Status::OK();
    });
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("AssignAddVariableOp", AssignUpdateVariableKernel<true>);
REGISTER_KERNEL("AssignSubVariableOp", AssignUpdateVariableKernel<false>);

class VarIsInitializedKernel : public OpKernel {
 public:
  VarIsInitializedKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    auto v = std::dynamic_pointer_cast<ResourceVariable>(ctx->input_resource(0));
    ctx->set_output(0, Tensor::Scalar<bool>(v && v->var().initialized()));
    return Status::OK();
  }
};
REGISTER_KERNEL("VarIsInitializedOp", VarIsInitializedKernel);

class DestroyResourceKernel : public OpKernel {
 public:
  DestroyResourceKernel(const OpKernelConstruction&, Status*) {}
  // Resources die with the model; destroying one early is not needed for serving.
  Status Compute(OpKernelContext*) const override { return Status::OK(); }
};
REGISTER_KERNEL("DestroyResourceOp", DestroyResourceKernel);
// Copy-on-read is an eager-mode aliasing concern; our variables never alias readers.
REGISTER_KERNEL("DisableCopyOnRead", DestroyResourceKernel);

}  // namespace
}  // namespace savedmodel
