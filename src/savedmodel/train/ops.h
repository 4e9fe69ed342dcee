// The ops a model is written with, in the spirit of TensorFlow's C++ ops API:
// thin functions over GraphBuilder that name nodes as TensorFlow does.
//
//   GraphBuilder b;
//   auto x = Placeholder(b, DT_FLOAT, {-1, 784}, "myInput");
//   auto W = Variable(b, Zeros(b, DT_FLOAT, {784, 10}), "W");
//   auto y = Identity(b, Softmax(b, Add(b, MatMul(b, x, W.snapshot), bias)), "myOutput");
#pragma once

#include <string>
#include <vector>

#include "savedmodel/train/graph_builder.h"

namespace savedmodel::train {

Output Placeholder(GraphBuilder& b, DataType dtype, const std::vector<int64_t>& shape,
                   const std::string& name = "Placeholder");
Output Const(GraphBuilder& b, const Tensor& value, const std::string& name = "Const");
template <typename T>
Output Scalar(GraphBuilder& b, T value, const std::string& name = "Const") {
  return Const(b, Tensor::Scalar<T>(value), name);
}
// tf.zeros: a Const of zeros (TensorFlow uses Fill above 1000 elements; the value is the same).
Output Zeros(GraphBuilder& b, DataType dtype, const std::vector<int64_t>& shape,
             const std::string& name = "zeros");

// tf.Variable(initial_value, name=...): VariableV2 "name", "name/Assign",
// "name/read"; recorded for the variables / trainable_variables collections.
// The shape comes from a Const initial value; for an initializer op (e.g.
// RandomUniformInit) pass `shape`.
VariableInfo Variable(GraphBuilder& b, const Output& initial_value, const std::string& name = "Variable",
                      bool trainable = true, const std::vector<int64_t>& shape = {});
// tf.random_uniform(shape, minval, maxval) as an initializer (float32).
Output RandomUniformInit(GraphBuilder& b, const std::vector<int64_t>& shape, float minval, float maxval,
                         int64_t seed = 0, const std::string& name = "random_uniform");

Output Identity(GraphBuilder& b, const Output& x, const std::string& name = "Identity");
Output MatMul(GraphBuilder& b, const Output& a, const Output& x, bool transpose_a = false,
              bool transpose_b = false, const std::string& name = "MatMul");
Output Add(GraphBuilder& b, const Output& x, const Output& y, const std::string& name = "add");
Output Sub(GraphBuilder& b, const Output& x, const Output& y, const std::string& name = "sub");
Output Mul(GraphBuilder& b, const Output& x, const Output& y, const std::string& name = "mul");
Output Div(GraphBuilder& b, const Output& x, const Output& y, const std::string& name = "truediv");
Output Neg(GraphBuilder& b, const Output& x, const std::string& name = "Neg");
Output Log(GraphBuilder& b, const Output& x, const std::string& name = "Log");
Output Exp(GraphBuilder& b, const Output& x, const std::string& name = "Exp");
Output Square(GraphBuilder& b, const Output& x, const std::string& name = "Square");
Output Relu(GraphBuilder& b, const Output& x, const std::string& name = "Relu");
Output Sigmoid(GraphBuilder& b, const Output& x, const std::string& name = "Sigmoid");
Output Tanh(GraphBuilder& b, const Output& x, const std::string& name = "Tanh");
Output Softmax(GraphBuilder& b, const Output& logits, const std::string& name = "Softmax");
Output LogSoftmax(GraphBuilder& b, const Output& logits, const std::string& name = "LogSoftmax");
Output BiasAdd(GraphBuilder& b, const Output& x, const Output& bias, const std::string& name = "BiasAdd");
// tf.reduce_sum / reduce_mean over `axes` (all axes when empty).
Output ReduceSum(GraphBuilder& b, const Output& x, const std::vector<int32_t>& axes = {},
                 bool keep_dims = false, const std::string& name = "Sum");
Output ReduceMean(GraphBuilder& b, const Output& x, const std::vector<int32_t>& axes = {},
                  bool keep_dims = false, const std::string& name = "Mean");
Output ArgMax(GraphBuilder& b, const Output& x, int32_t axis, const std::string& name = "ArgMax");
Output Equal(GraphBuilder& b, const Output& x, const Output& y, const std::string& name = "Equal");
Output Cast(GraphBuilder& b, const Output& x, DataType to, const std::string& name = "Cast");
Output Reshape(GraphBuilder& b, const Output& x, const std::vector<int32_t>& shape,
               const std::string& name = "Reshape");
Output Shape(GraphBuilder& b, const Output& x, const std::string& name = "Shape");
Output OneHot(GraphBuilder& b, const Output& indices, int32_t depth, const std::string& name = "one_hot");
// tf.group: a NoOp depending on every target. Returns the node name.
std::string Group(GraphBuilder& b, const std::vector<std::string>& targets, const std::string& name = "group_deps");
// tf.global_variables_initializer(): NoOp "init" over every variable's Assign.
std::string GlobalVariablesInitializer(GraphBuilder& b, const std::string& name = "init");

}  // namespace savedmodel::train
