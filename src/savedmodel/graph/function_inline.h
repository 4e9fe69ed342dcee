// Function inlining: TF2 SavedModels keep their computation in the graph's
// function library and call it from thin `StatefulPartitionedCall` /
// `PartitionedCall` nodes (and, in older graphs, nodes whose op is a function
// name). InlineFunctionCalls replaces each call by the function's body, as
// TensorFlow's inliner does before execution, so the runtime only ever sees
// plain ops:
//   - body nodes are renamed "<call>/<node>"; references to the function's
//     arguments become the call's inputs; "node:output_arg:i" references become
//     flat output indices; `$attr` placeholders take the call's attr values;
//   - the call node itself becomes an IdentityN of the function's results (so
//     "call:0" keeps naming the first result, as signatures expect), or a NoOp
//     for functions without results, with control edges from the function's
//     control outputs (the stateful ops that must run whenever it is called);
//   - the call's control inputs gate every body node.
// Calls inside inlined bodies are inlined in turn, up to a fixed depth (a
// recursive function fails with InvalidArgument rather than looping).
#pragma once

#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/graph/op_registry.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel {

// The call ops InlineFunctionCalls removes (they have no kernels of their own).
const std::vector<std::string>& InlinedCallOps();

// Inlines every function call in `graph` (its library is kept). Errors name
// the call node and function; `graph` is unchanged on error.
Status InlineFunctionCalls(tensorflow::GraphDef* graph, const OpRegistry& registry = OpRegistry::Global());

}  // namespace savedmodel
