// Gradients of activations, softmax and losses.
#include "grad_util.h"

namespace savedmodel::train::grad {
namespace {

Output LastAxisSum(GraphBuilder& b, const Output& x, const std::string& name) {
  return b.Op("Sum", {x, Scalar<int32_t>(b, -1, name + "/axis")}, {{"keep_dims", AttrBool(true)}}, name);
}

const Registrar kRelu("Relu", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{c.b.Op("ReluGrad", {g[0], c.outputs[0]}, {}, "ReluGrad")};
});

// softmax: dx = (dy - sum(dy * y, -1)) * y
const Registrar kSoftmax("Softmax", [](GradContext& c, const std::vector<Output>& g) {
  GraphBuilder& b = c.b;
  const Output& y = c.outputs[0];
  Output s = LastAxisSum(b, Mul(b, g[0], y), "Sum");
  return std::vector<Output>{Mul(b, Sub(b, g[0], s), y, "mul_1")};
});

// log_softmax: dx = dy - exp(y) * sum(dy, -1)
const Registrar kLogSoftmax("LogSoftmax", [](GradContext& c, const std::vector<Output>& g) {
  GraphBuilder& b = c.b;
  return std::vector<Output>{Sub(b, g[0], Mul(b, Exp(b, c.outputs[0]), LastAxisSum(b, g[0], "Sum")))};
});

const Registrar kBiasAdd("BiasAdd", [](GradContext& c, const std::vector<Output>& g) {
  auto fmt = c.node.attr().find("data_format");
  std::map<std::string, tensorflow::AttrValue> attrs;
  if (fmt != c.node.attr().end()) attrs["data_format"] = fmt->second;
  return std::vector<Output>{g[0], c.b.Op("BiasAddGrad", {g[0]}, attrs, "BiasAddGrad")};
});

// Both cross-entropy ops output (loss [batch], backprop [batch, classes]);
// d logits = dloss[:, None] * backprop. Labels get no gradient here.
GradFn XentGrad() {
  return [](GradContext& c, const std::vector<Output>& g) {
    GraphBuilder& b = c.b;
    Output dloss = b.Op("ExpandDims", {g[0], Scalar<int32_t>(b, -1, "dim")}, {}, "ExpandDims");
    return std::vector<Output>{Mul(b, dloss, c.outputs[1]), Output{}};
  };
}
const Registrar kXent("SoftmaxCrossEntropyWithLogits", XentGrad());
const Registrar kSparseXent("SparseSoftmaxCrossEntropyWithLogits", XentGrad());

const Registrar kReshape("Reshape", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{c.b.Op("Reshape", {g[0], ShapeOf(c.b, c.inputs[0])}, {}, "Reshape"), Output{}};
});

}  // namespace
}  // namespace savedmodel::train::grad
