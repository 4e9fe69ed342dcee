// Symbolic differentiation, like tf.gradients: adds ordinary gradient nodes
// (under the "gradients" name scope) that compute d(y)/d(x) for each x.
//
// A gradient function is registered per op type and builds the forward ops
// that map the gradients of a node's outputs to gradients of its inputs,
// reducing over broadcast dimensions explicitly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "savedmodel/train/graph_builder.h"

namespace savedmodel::train {

struct GradContext {
  GraphBuilder& b;
  const tensorflow::NodeDef& node;
  std::vector<Output> inputs;   // the node's data inputs
  std::vector<Output> outputs;  // the node's outputs
};

// Returns one gradient per data input; an invalid Output means "no gradient".
// `grads` has one entry per output (invalid where no gradient flows).
using GradFn = std::function<std::vector<Output>(GradContext&, const std::vector<Output>& grads)>;

void RegisterGradient(const std::string& op, GradFn fn);
// Ops that pass no gradient (integer outputs, shapes, argmax, ...).
void RegisterNoGradient(const std::string& op);
// True when `op` has a gradient function or is declared gradient-free.
bool HasGradientEntry(const std::string& op);
// True when `op` has a gradient function (not merely declared gradient-free).
bool HasGradientFunction(const std::string& op);
std::vector<std::string> GradientOps();

// d(y)/d(xs) with an initial gradient of ones shaped like y. Each result is
// invalid when y does not depend on that x. Errors (an op on the path with no
// gradient function) go to b.status() and the returned vector is empty.
std::vector<Output> AddGradients(GraphBuilder& b, const Output& y, const std::vector<Output>& xs);

}  // namespace savedmodel::train
