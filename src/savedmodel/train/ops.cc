#include "savedmodel/train/ops.h"

namespace savedmodel::train {

Output Placeholder(GraphBuilder& b, DataType dtype, const std::vector<int64_t>& shape,
                   const std::string& name) {
  return b.Op("Placeholder", {}, {{"dtype", AttrType(dtype)}, {"shape", AttrShape(shape)}}, name);
}

Output Const(GraphBuilder& b, const Tensor& value, const std::string& name) {
  return b.Op("Const", {}, {{"dtype", AttrType(value.dtype())}, {"value", AttrTensor(value)}}, name);
}

Output Zeros(GraphBuilder& b, DataType dtype, const std::vector<int64_t>& shape, const std::string& name) {
  auto t = Tensor::Create(dtype, shape);
  if (!t.ok()) {
    b.UpdateStatus(t.status());
    return {};
  }
  return Const(b, *t, name);
}

VariableInfo Variable(GraphBuilder& b, const Output& initial_value, const std::string& name, bool trainable,
                      const std::vector<int64_t>& shape) {
  VariableInfo v;
  v.trainable = trainable;
  GraphBuilder::NameScope scope(&b, name);
  v.initial_value = initial_value;
  const tensorflow::NodeDef* init = b.FindNode(initial_value.node);
  std::vector<int64_t> dims;
  // The variable's shape comes from its initial value; Const values carry it.
  if (!shape.empty()) {
    dims = shape;
  } else if (init != nullptr && init->op() == "Const") {
    for (const auto& d : init->attr().at("value").tensor().tensor_shape().dim()) dims.push_back(d.size());
  } else {
    b.UpdateStatus(InvalidArgument("Variable '" + name + "': give its shape when the initial value is not a Const"));
    return v;
  }
  v.variable = b.Op("VariableV2", {},
                    {{"dtype", AttrType(BaseType(initial_value.dtype))}, {"shape", AttrShape(dims)},
                     {"container", AttrString("")}, {"shared_name", AttrString("")}},
                    scope.prefix() + "/");
  auto assign = b.AddOp("Assign", {v.variable, initial_value},
                        {{"validate_shape", AttrBool(true)}, {"use_locking", AttrBool(true)}}, "Assign");
  if (!assign.empty()) v.initializer = assign[0].node;
  v.snapshot = b.Op("Identity", {v.variable}, {}, "read");
  if (b.status().ok()) b.AddVariable(v);
  return v;
}

Output RandomUniformInit(GraphBuilder& b, const std::vector<int64_t>& shape, float minval, float maxval,
                         int64_t seed, const std::string& name) {
  GraphBuilder::NameScope scope(&b, name);
  std::vector<int32_t> dims(shape.begin(), shape.end());
  Output u = b.Op("RandomUniform", {Const(b, Tensor::FromVector<int32_t>(dims), "shape")},
                  {{"dtype", AttrType(DT_FLOAT)}, {"seed", AttrInt(seed)}, {"seed2", AttrInt(0)}}, "RandomUniform");
  Output range = Scalar<float>(b, maxval - minval, "range");
  return b.Op("AddV2", {b.Op("Mul", {u, range}, {}, "mul"), Scalar<float>(b, minval, "min")}, {}, scope.prefix() + "/");
}

Output Identity(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Identity", {x}, {}, name); }

Output MatMul(GraphBuilder& b, const Output& a, const Output& x, bool ta, bool tb, const std::string& name) {
  return b.Op("MatMul", {a, x}, {{"transpose_a", AttrBool(ta)}, {"transpose_b", AttrBool(tb)}}, name);
}
Output Add(GraphBuilder& b, const Output& x, const Output& y, const std::string& name) {
  return b.Op("AddV2", {x, y}, {}, name);
}
Output Sub(GraphBuilder& b, const Output& x, const Output& y, const std::string& name) {
  return b.Op("Sub", {x, y}, {}, name);
}
Output Mul(GraphBuilder& b, const Output& x, const Output& y, const std::string& name) {
  return b.Op("Mul", {x, y}, {}, name);
}
Output Div(GraphBuilder& b, const Output& x, const Output& y, const std::string& name) {
  return b.Op("RealDiv", {x, y}, {}, name);
}
Output Neg(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Neg", {x}, {}, name); }
Output Log(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Log", {x}, {}, name); }
Output Exp(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Exp", {x}, {}, name); }
Output Square(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Square", {x}, {}, name); }
Output Relu(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Relu", {x}, {}, name); }
Output Sigmoid(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Sigmoid", {x}, {}, name); }
Output Tanh(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Tanh", {x}, {}, name); }
Output Softmax(GraphBuilder& b, const Output& x, const std::string& name) { return b.Op("Softmax", {x}, {}, name); }
Output LogSoftmax(GraphBuilder& b, const Output& x, const std::string& name) {
  return b.Op("LogSoftmax", {x}, {}, name);
}
Output BiasAdd(GraphBuilder& b, const Output& x, const Output& bias, const std::string& name) {
  return b.Op("BiasAdd", {x, bias}, {}, name);
}

namespace {
Output Reduce(GraphBuilder& b, const char* op, const Output& x, const std::vector<int32_t>& axes,
              bool keep_dims, const std::string& name) {
  Output idx;
  if (axes.empty()) {
    // All axes: tf.reduce_* builds range(rank(x)); a Range over Rank keeps it shape-agnostic.
    GraphBuilder::NameScope scope(&b, name);
    auto rank = b.Op("Rank", {x}, {}, "Rank");
    idx = b.Op("Range", {Scalar<int32_t>(b, 0, "range/start"), rank, Scalar<int32_t>(b, 1, "range/delta")},
               {}, "range");
  } else {
    idx = Const(b, Tensor::FromVector<int32_t>(axes), "Const");
  }
  return b.Op(op, {x, idx}, {{"keep_dims", AttrBool(keep_dims)}}, name);
}
}  // namespace

Output ReduceSum(GraphBuilder& b, const Output& x, const std::vector<int32_t>& axes, bool keep_dims,
                 const std::string& name) {
  return Reduce(b, "Sum", x, axes, keep_dims, name);
}
Output ReduceMean(GraphBuilder& b, const Output& x, const std::vector<int32_t>& axes, bool keep_dims,
                  const std::string& name) {
  return Reduce(b, "Mean", x, axes, keep_dims, name);
}

Output ArgMax(GraphBuilder& b, const Output& x, int32_t axis, const std::string& name) {
  return b.Op("ArgMax", {x, Scalar<int32_t>(b, axis, name + "/dimension")},
              {{"output_type", AttrType(DT_INT64)}}, name);
}
Output Equal(GraphBuilder& b, const Output& x, const Output& y, const std::string& name) {
  return b.Op("Equal", {x, y}, {}, name);
}
Output Cast(GraphBuilder& b, const Output& x, DataType to, const std::string& name) {
  return b.Op("Cast", {x}, {{"DstT", AttrType(to)}, {"Truncate", AttrBool(false)}}, name);
}
Output Reshape(GraphBuilder& b, const Output& x, const std::vector<int32_t>& shape, const std::string& name) {
  return b.Op("Reshape", {x, Const(b, Tensor::FromVector<int32_t>(shape), name + "/shape")}, {}, name);
}
Output Shape(GraphBuilder& b, const Output& x, const std::string& name) {
  return b.Op("Shape", {x}, {{"out_type", AttrType(DT_INT32)}}, name);
}
Output OneHot(GraphBuilder& b, const Output& indices, int32_t depth, const std::string& name) {
  GraphBuilder::NameScope scope(&b, name);
  return b.Op("OneHot",
              {indices, Scalar<int32_t>(b, depth, "depth"), Scalar<float>(b, 1.0f, "on_value"),
               Scalar<float>(b, 0.0f, "off_value")},
              {{"axis", AttrInt(-1)}}, scope.prefix() + "/");
}

std::string Group(GraphBuilder& b, const std::vector<std::string>& targets, const std::string& name) {
  return b.Target("NoOp", {}, {}, name, targets);
}

std::string GlobalVariablesInitializer(GraphBuilder& b, const std::string& name) {
  std::vector<std::string> assigns;
  for (const auto& v : b.variables()) assigns.push_back(v.initializer);
  return Group(b, assigns, name);
}

}  // namespace savedmodel::train
