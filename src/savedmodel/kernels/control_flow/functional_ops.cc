// Functional control flow (TF2's control flow v2): If / StatelessIf, Case /
// StatelessCase and While / StatelessWhile. Their branches and bodies are
// library functions, instantiated once when the kernel is built and called
// through the FunctionLibraryRuntime on every Run. The stateless forms differ
// only in what TensorFlow may optimise, so they share the kernels.
#include <string>
#include <vector>

#include "savedmodel/kernels/function_runtime.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

std::string TypesString(const std::vector<DataType>& types) {
  std::string s = "[";
  for (size_t i = 0; i < types.size(); ++i) s += (i ? ", " : "") + DataTypeString(types[i]);
  return s + "]";
}

// Instantiates attr `attr`'s function for `args` and checks that it returns
// `results` (unchecked when null).
Status InstantiateChecked(const OpKernelConstruction& c, const tensorflow::NameAttrList& fn,
                          const std::vector<DataType>& args, const std::vector<DataType>* results,
                          std::shared_ptr<const FunctionHandle>* out) {
  if (c.functions() == nullptr) {
    return c.Error("calls function '" + fn.name() + "' but the graph has no function library");
  }
  auto handle = c.functions()->Instantiate(fn, args);
  if (!handle.ok()) return c.Error(handle.status().message());
  if (results != nullptr && (*handle)->result_types() != *results) {
    return c.Error("function '" + fn.name() + "' returns " + TypesString((*handle)->result_types()) +
                   " where the node expects " + TypesString(*results));
  }
  *out = std::move(handle).value();
  return Status::OK();
}

// TensorFlow's truth value of a predicate: a scalar is true when non-zero
// (a string when non-empty); any other shape when it has elements.
StatusOr<bool> ToBool(const Tensor& t) {
  if (t.rank() != 0) return t.num_elements() > 0;
  switch (t.dtype()) {
    case DT_BOOL: return t.scalar<bool>();
    case DT_FLOAT: return t.scalar<float>() != 0;
    case DT_DOUBLE: return t.scalar<double>() != 0;
    case DT_INT32: return t.scalar<int32_t>() != 0;
    case DT_INT64: return t.scalar<int64_t>() != 0;
    case DT_INT16: return t.scalar<int16_t>() != 0;
    case DT_INT8: return t.scalar<int8_t>() != 0;
    case DT_UINT8: return t.scalar<uint8_t>() != 0;
    case DT_STRING: return !t.scalar<std::string>().empty();
    default:
      return InvalidArgument(DataTypeString(t.dtype()) + " cannot be converted to a boolean");
  }
}

std::vector<Value> InputValues(OpKernelContext* ctx, int first) {
  std::vector<Value> args;
  args.reserve(ctx->num_inputs() - first);
  for (int i = first; i < ctx->num_inputs(); ++i) {
    Value v;
    if (ctx->input_resource(i)) {
      v.resource = ctx->input_resource(i);
    } else {
      v.tensor = ctx->input(i);
    }
    args.push_back(std::move(v));
  }
  return args;
}

void SetOutputs(OpKernelContext* ctx, std::vector<Value> results) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].resource) {
      ctx->set_output_resource(static_cast<int>(i), std::move(results[i].resource));
    } else {
      ctx->set_output(static_cast<int>(i), std::move(results[i].tensor));
    }
  }
}

Status CallError(OpKernelContext* ctx, const Status& s) {
  return Status(s.code(), "node '" + ctx->node().name() + "' (op " + ctx->node().op() + "): " + s.message());
}

// Inputs: the selector, then the branch arguments; outputs: the chosen
// branch's results.
class BranchKernel : public OpKernel {
 public:
  BranchKernel(const OpKernelConstruction& c, Status* s) {
    std::vector<tensorflow::NameAttrList> fns;
    if (c.HasAttr("branches")) {
      if (!(*s = c.GetAttr("branches", &fns)).ok()) return;
      if (fns.empty()) {
        *s = c.Error("Case needs at least one branch");
        return;
      }
    } else {
      fns.resize(2);
      if (!(*s = c.GetAttr("then_branch", &fns[0])).ok()) return;
      if (!(*s = c.GetAttr("else_branch", &fns[1])).ok()) return;
    }
    const std::vector<DataType> args(c.input_types().begin() + 1, c.input_types().end());
    for (const auto& fn : fns) {
      std::shared_ptr<const FunctionHandle> h;
      if (!(*s = InstantiateChecked(c, fn, args, &c.output_types(), &h)).ok()) return;
      branches_.push_back(std::move(h));
    }
    is_case_ = c.HasAttr("branches");
  }

  Status Compute(OpKernelContext* ctx) const override {
    const Tensor selector = ctx->input(0);
    size_t branch;
    if (is_case_) {
      if (selector.dtype() != DT_INT32 || selector.rank() != 0) {
        return ctx->InvalidArg("branch_index must be a scalar int32, got " + DataTypeString(selector.dtype()) +
                               " of shape " + selector.shape().DebugString());
      }
      // An index out of range selects the last (default) branch, as in TensorFlow.
      const int32_t index = selector.scalar<int32_t>();
      branch = index < 0 || static_cast<size_t>(index) >= branches_.size() ? branches_.size() - 1
                                                                            : static_cast<size_t>(index);
    } else {
      auto truth = ToBool(selector);
      if (!truth.ok()) return ctx->InvalidArg(truth.status().message());
      branch = *truth ? 0 : 1;
    }
    auto results = branches_[branch]->Call(InputValues(ctx, 1));
    if (!results.ok()) return CallError(ctx, results.status());
    SetOutputs(ctx, std::move(results).value());
    return Status::OK();
  }

 private:
  std::vector<std::shared_ptr<const FunctionHandle>> branches_;
  bool is_case_ = false;
};
REGISTER_KERNEL("If", BranchKernel);
REGISTER_KERNEL("StatelessIf", BranchKernel);
REGISTER_KERNEL("Case", BranchKernel);
REGISTER_KERNEL("StatelessCase", BranchKernel);

// Loop variables in, loop variables out: `body` runs while `cond` holds.
class WhileKernel : public OpKernel {
 public:
  WhileKernel(const OpKernelConstruction& c, Status* s) {
    tensorflow::NameAttrList cond, body;
    if (!(*s = c.GetAttr("cond", &cond)).ok()) return;
    if (!(*s = c.GetAttr("body", &body)).ok()) return;
    if (!(*s = InstantiateChecked(c, cond, c.input_types(), nullptr, &cond_)).ok()) return;
    if (cond_->result_types().size() != 1) {
      *s = c.Error("cond function '" + cond.name() + "' must return one value, returns " +
                   std::to_string(cond_->result_types().size()));
      return;
    }
    *s = InstantiateChecked(c, body, c.input_types(), &c.input_types(), &body_);
  }

  Status Compute(OpKernelContext* ctx) const override {
    std::vector<Value> vars = InputValues(ctx, 0);
    for (;;) {
      auto pred = cond_->Call(vars);
      if (!pred.ok()) return CallError(ctx, pred.status());
      auto truth = ToBool((*pred)[0].tensor);
      if (!truth.ok()) return ctx->InvalidArg("cond: " + truth.status().message());
      if (!*truth) break;
      auto next = body_->Call(vars);
      if (!next.ok()) return CallError(ctx, next.status());
      vars = std::move(next).value();
    }
    SetOutputs(ctx, std::move(vars));
    return Status::OK();
  }

 private:
  std::shared_ptr<const FunctionHandle> cond_, body_;
};
REGISTER_KERNEL("While", WhileKernel);
REGISTER_KERNEL("StatelessWhile", WhileKernel);

}  // namespace
}  // namespace savedmodel
