// Whole-file I/O ops: ReadFile(filename) -> contents and WriteFile(filename,
// contents). Both go through the session's Env, so an in-memory Env serves
// them and a confined Env (LoadOptions::confine_file_access) refuses paths
// outside the model's directory.
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

StatusOr<std::string> ScalarStringInput(OpKernelContext* ctx, int i, const char* name) {
  Tensor t = ctx->input(i);
  if (t.dtype() != DT_STRING || t.rank() != 0) {
    return ctx->InvalidArg(std::string("input ") + name + " must be a string scalar, got " +
                           DataTypeString(t.dtype()) + t.shape().DebugString());
  }
  return t.flat<std::string>()[0];
}

std::string Where(OpKernelContext* ctx) {
  return "node '" + ctx->node().name() + "' (op " + ctx->node().op() + ")";
}

class ReadFileKernel : public OpKernel {
 public:
  ReadFileKernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string path, ScalarStringInput(ctx, 0, "filename"));
    auto contents = env_->ReadFileToString(path);
    if (!contents.ok()) return contents.status().WithContext(Where(ctx));
    ctx->set_output(0, Tensor::Scalar<std::string>(std::move(contents).value()));
    return Status::OK();
  }

 private:
  Env* env_;
};
REGISTER_KERNEL("ReadFile", ReadFileKernel);

// As in TensorFlow, a missing parent directory is created.
class WriteFileKernel : public OpKernel {
 public:
  WriteFileKernel(const OpKernelConstruction& c, Status*) : env_(c.env()) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string path, ScalarStringInput(ctx, 0, "filename"));
    ASSIGN_OR_RETURN(std::string contents, ScalarStringInput(ctx, 1, "contents"));
    // Writing first: a confined Env may hide whether the parent exists, and
    // the refusal should name the file, not its directory.
    Status st = env_->WriteStringToFile(path, contents);
    const std::string dir(Dirname(path));
    if (st.code() == StatusCode::kNotFound && !dir.empty()) {
      st = env_->CreateDirs(dir);
      if (st.ok()) st = env_->WriteStringToFile(path, contents);
    }
    return st.WithContext(Where(ctx));
  }

 private:
  Env* env_;
};
REGISTER_KERNEL("WriteFile", WriteFileKernel);

}  // namespace
}  // namespace savedmodel
