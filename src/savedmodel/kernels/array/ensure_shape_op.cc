// EnsureShape(input) shape: passes input through when its shape is
// compatible with the (partial) `shape` attr, else InvalidArgument naming
// both, in TensorFlow's words.
#include <string>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {
namespace {

class EnsureShapeKernel : public OpKernel {
 public:
  EnsureShapeKernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("shape", &shape_); }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    if (!shape_.IsCompatibleWith(in.shape())) {
      std::string want = "[";
      for (size_t i = 0; i < shape_.dims().size(); ++i) {
        want += (i ? "," : "") + (shape_.dims()[i] < 0 ? std::string("?") : std::to_string(shape_.dims()[i]));
      }
      return ctx->InvalidArg("Shape of tensor " + ctx->node().def.input(0) + " " + in.shape().DebugString() +
                             " is not compatible with expected shape " + want + "].");
    }
    ctx->set_output(0, in);
    return Status::OK();
  }

 private:
  PartialShape shape_;
};
REGISTER_KERNEL("EnsureShape", EnsureShapeKernel);

}  // namespace
}  // namespace savedmodel::kernels
