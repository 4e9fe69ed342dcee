// AddN: element-wise sum of N same-shaped tensors.
//   inputs: N x [shape] -> [shape]
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

template <typename T>
void SumInto(const std::vector<Tensor>& in, Tensor* out) {
  auto o = out->flat<T>();
  for (const Tensor& t : in) {
    auto x = t.flat<T>();
    for (size_t i = 0; i < o.size(); ++i) {
      if constexpr (std::is_integral_v<T>) {
        // Wrap on overflow like TensorFlow, without signed-overflow UB.
        using U = std::make_unsigned_t<T>;
        o[i] = static_cast<T>(static_cast<U>(o[i]) + static_cast<U>(x[i]));
      } else {
        o[i] += x[i];
      }
    }
  }
}

class AddNKernel : public OpKernel {
 public:
  AddNKernel(const OpKernelConstruction& c, Status* s) : dtype_(c.output_types()[0]) {
    switch (dtype_) {
      case DT_FLOAT: case DT_DOUBLE: case DT_INT32: case DT_INT64: break;
      default: *s = c.UnsupportedType(dtype_);
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    std::vector<Tensor> in;
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      in.push_back(ctx->input(i));
      if (!(in.back().shape() == in[0].shape())) {
        return ctx->Error("Inputs to operation AddN must have the same size and shape.  Input 0: " +
                          in[0].shape().DebugString() + " != input " + std::to_string(i) + ": " +
                          in.back().shape().DebugString());
      }
    }
    Tensor* out = ctx->allocate_output(0, dtype_, in[0].shape());
    switch (dtype_) {
      case DT_FLOAT: SumInto<float>(in, out); break;
      case DT_DOUBLE: SumInto<double>(in, out); break;
      case DT_INT32: SumInto<int32_t>(in, out); break;
      default: SumInto<int64_t>(in, out); break;
    }
    return Status::OK();
  }

 private:
  DataType dtype_;
};
REGISTER_KERNEL("AddN", AddNKernel);

}  // namespace
}  // namespace savedmodel
