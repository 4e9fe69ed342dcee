#include "savedmodel/graph/graph.h"

#include <charconv>

#include "savedmodel/format/tensor_proto.h"

namespace savedmodel {
namespace {

// Splits "name:3" into ("name", 3); "name" gives index 0.
Status SplitTensorName(std::string_view s, std::string_view* name, int* index) {
  size_t colon = s.rfind(':');
  *index = 0;
  *name = s;
  if (colon == std::string_view::npos) return Status::OK();
  std::string_view digits = s.substr(colon + 1);
  int value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || value < 0) {
    return InvalidArgument("malformed tensor name '" + std::string(s) + "'");
  }
  *name = s.substr(0, colon);
  *index = value;
  return Status::OK();
}

// Moves a Const's value out of its NodeDef into a Tensor (see Node::const_value).
// A value that does not decode stays in the def for the kernel to reject with
// the node's name, as for a Node built without Import; only running out of
// memory (a budget, see base/memory_budget.h) fails the import.
Status TakeConstValue(Node* n) {
  auto it = n->def.mutable_attr()->find("value");
  if (it == n->def.mutable_attr()->end() || !it->second.has_tensor()) return Status::OK();
  tensorflow::TensorProto* proto = it->second.mutable_tensor();
  auto value = TensorFromProto(*proto);
  if (!value.ok()) {
    if (value.status().code() != StatusCode::kResourceExhausted) return Status::OK();
    return value.status().WithContext("node '" + n->name() + "' (op Const)");
  }
  n->const_value = std::move(value).value();
  tensorflow::TensorProto header;
  header.set_dtype(proto->dtype());
  header.mutable_tensor_shape()->Swap(proto->mutable_tensor_shape());
  proto->Swap(&header);
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<Graph>> Graph::Import(tensorflow::GraphDef graph_def,
                                               const OpRegistry& registry) {
  auto g = std::make_unique<Graph>();
  g->library_.Swap(graph_def.mutable_library());
  g->nodes_.reserve(graph_def.node_size());
  for (auto& def : *graph_def.mutable_node()) {
    Node n;
    n.id = static_cast<int>(g->nodes_.size());
    n.def.Swap(&def);
    if (!g->by_name_.emplace(n.name(), n.id).second) {
      return InvalidArgument("graph has two nodes named '" + n.name() + "'");
    }
    if (registry.Find(n.op()) == nullptr) {
      return NotFound("Op type not registered '" + n.op() + "' in node '" + n.name() + "'");
    }
    registry.AddDefaultAttrs(&n.def);
    RETURN_IF_ERROR(registry.ResolveTypes(n.def, &n.input_types, &n.output_types));
    if (n.op() == "Const") RETURN_IF_ERROR(TakeConstValue(&n));
    g->nodes_.push_back(std::move(n));
  }
  for (Node& n : g->nodes_) {
    for (const std::string& input : n.def.input()) {
      if (!input.empty() && input[0] == '^') {
        const Node* src = g->FindNode(std::string_view(input).substr(1));
        if (src == nullptr) {
          return InvalidArgument("node '" + n.name() + "' has control input '" + input +
                                 "' from a node that is not in the graph");
        }
        n.control_inputs.push_back(src->id);
        continue;
      }
      auto ref = g->ParseTensorName(input);
      if (!ref.ok()) return ref.status().WithContext("input of node '" + n.name() + "'");
      n.inputs.push_back(*ref);
    }
    if (n.inputs.size() != n.input_types.size()) {
      return InvalidArgument("node '" + n.name() + "' (op " + n.op() + ") has " +
                             std::to_string(n.inputs.size()) + " data inputs but its op takes " +
                             std::to_string(n.input_types.size()));
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      DataType have = g->nodes_[n.inputs[i].node].output_types[n.inputs[i].index];
      DataType want = n.input_types[i];
      // A ref output feeds a non-ref input by value, as in TensorFlow.
      if (have != want && BaseType(have) != want) {
        return InvalidArgument("node '" + n.name() + "' input " + std::to_string(i) + " expects " +
                               DataTypeString(want) + " but '" + n.def.input(static_cast<int>(i)) +
                               "' is " + DataTypeString(have));
      }
    }
  }
  return g;
}

const Node* Graph::FindNode(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &nodes_[it->second];
}

StatusOr<OutputRef> Graph::ParseTensorName(std::string_view tensor_name) const {
  std::string_view name;
  int index;
  RETURN_IF_ERROR(SplitTensorName(tensor_name, &name, &index));
  const Node* n = FindNode(name);
  if (n == nullptr) {
    return NotFound("tensor '" + std::string(tensor_name) + "': no node named '" +
                    std::string(name) + "' in the graph");
  }
  if (index >= n->num_outputs()) {
    return InvalidArgument("tensor '" + std::string(tensor_name) + "': node '" + n->name() +
                           "' (op " + n->op() + ") has only " + std::to_string(n->num_outputs()) +
                           " outputs");
  }
  return OutputRef{n->id, index};
}

}  // namespace savedmodel
