// Graph: an immutable, validated view of a GraphDef. Every node's op is known,
// defaults are filled in, input/output dtypes are resolved and every input
// edge points at an existing output.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/core/types.h"
#include "savedmodel/graph/op_registry.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel {

// One end of a data edge: output `index` of node `node` (ids index Graph::nodes()).
struct OutputRef {
  int node = -1;
  int index = 0;
  friend bool operator==(const OutputRef& a, const OutputRef& b) {
    return a.node == b.node && a.index == b.index;
  }
};

struct Node {
  int id = 0;
  tensorflow::NodeDef def;  // with default attrs added
  std::vector<OutputRef> inputs;   // data inputs, in order
  std::vector<int> control_inputs;  // node ids
  std::vector<DataType> input_types;
  std::vector<DataType> output_types;
  // A Const's value, decoded once at import. Its kernel and every run share
  // this buffer, and def's `value` keeps only dtype and shape, so the bytes
  // are held once (not in the NodeDef, the Tensor and the kernel). Empty for
  // other ops and for a value that does not decode (the kernel reports it).
  std::optional<Tensor> const_value;

  const std::string& name() const { return def.name(); }
  const std::string& op() const { return def.op(); }
  int num_outputs() const { return static_cast<int>(output_types.size()); }
};

class Graph {
 public:
  // Validates and imports `graph_def`. Unknown ops fail with the op and node name.
  // Takes the GraphDef by value and moves its nodes in: a caller done with its
  // GraphDef passes it with std::move, and no NodeDef is copied.
  static StatusOr<std::unique_ptr<Graph>> Import(tensorflow::GraphDef graph_def,
                                                 const OpRegistry& registry = OpRegistry::Global());

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(int id) const { return nodes_[id]; }
  const Node* FindNode(std::string_view name) const;
  const tensorflow::FunctionDefLibrary& library() const { return library_; }

  // "name", "name:3" -> OutputRef; NotFound / InvalidArgument naming the tensor.
  StatusOr<OutputRef> ParseTensorName(std::string_view tensor_name) const;

 private:
  std::vector<Node> nodes_;
  std::unordered_map<std::string, int> by_name_;
  tensorflow::FunctionDefLibrary library_;
};

}  // namespace savedmodel
