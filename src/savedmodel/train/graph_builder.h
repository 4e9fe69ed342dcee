// GraphBuilder: builds a GraphDef op by op, as TensorFlow's Python graph and
// C++ Scope do. Names follow TensorFlow's rules (a taken name gets "_1", "_2",
// ...; name scopes prefix "scope/"), every node carries the attrs its OpDef
// requires (type attrs and list lengths inferred from the inputs, defaults
// filled in), and each node is validated against its OpDef as it is added.
//
// Errors are sticky, like tensorflow::Scope: the first failure is kept in
// status() and later ops become no-ops returning an invalid Output, so model
// code reads as straight-line calls with one check at the end.
// Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/graph/op_registry.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel::train {

// One output of a node in the graph being built.
struct Output {
  std::string node;
  int index = 0;
  DataType dtype = DT_INVALID;  // ref types included (float_ref for a VariableV2)

  bool valid() const { return !node.empty(); }
  // "node:index", the name Session::Run takes.
  std::string name() const { return node + ":" + std::to_string(index); }
  // How another node refers to it in NodeDef.input: "node" or "node:index".
  std::string input_name() const { return index == 0 ? node : name(); }
};

// An op input: one tensor, or a list for list-typed args (AddN, Pack, ...).
using Input = std::variant<Output, std::vector<Output>>;

// A TF1 variable as the "variables" collection records it (VariableDef).
struct VariableInfo {
  Output variable;       // the VariableV2 ref, "W:0"
  std::string initializer;  // "W/Assign"
  Output snapshot;       // "W/read:0"
  Output initial_value;  // "W/initial_value:0"
  bool trainable = true;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(const OpRegistry& registry = OpRegistry::Global());

  // Adds op `op` named `name` (made unique under the current name scope; empty
  // means the op's name; a name ending in '/' is used exactly, without the
  // slash) and returns all its outputs. Attrs not given are
  // inferred from the inputs where the OpDef ties them to inputs, else take
  // their defaults.
  std::vector<Output> AddOp(const std::string& op, const std::vector<Input>& inputs,
                            const std::map<std::string, tensorflow::AttrValue>& attrs = {},
                            const std::string& name = "",
                            const std::vector<std::string>& control_inputs = {});
  // Output 0 of AddOp (an invalid Output for ops without outputs or on error).
  Output Op(const std::string& op, const std::vector<Input>& inputs,
            const std::map<std::string, tensorflow::AttrValue>& attrs = {},
            const std::string& name = "", const std::vector<std::string>& control_inputs = {});
  // The node's name, for ops used only for their effect (NoOp, SaveV2).
  std::string Target(const std::string& op, const std::vector<Input>& inputs,
                     const std::map<std::string, tensorflow::AttrValue>& attrs = {},
                     const std::string& name = "",
                     const std::vector<std::string>& control_inputs = {});

  // RAII name scope: ops created while it lives get "scope/" prefixed. A scope
  // name already used becomes "scope_1", as tf.name_scope does.
  class NameScope {
   public:
    NameScope(GraphBuilder* b, const std::string& name);
    ~NameScope();
    const std::string& prefix() const { return prefix_; }

   private:
    GraphBuilder* b_;
    std::string saved_;
    std::string prefix_;
  };

  // Adds every node of `graph` as it is (defaults filled, names reserved), as
  // tf.import_graph_def with no prefix does, so ops and gradients can be built
  // on top of a graph written elsewhere. Fails on a name already taken.
  Status AddGraph(const tensorflow::GraphDef& graph);

  // A unique node name for `base` under the current scope.
  std::string UniqueName(const std::string& base);

  const tensorflow::GraphDef& graph_def() const { return graph_; }
  tensorflow::GraphDef* mutable_graph_def() { return &graph_; }
  const OpRegistry& registry() const { return registry_; }
  Status status() const { return status_; }
  void UpdateStatus(const Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }
  // Forgets the kept error, for callers that report each failure at once
  // (Python raises per op, as TensorFlow does). A failed op adds no node, so
  // the graph is as it was before it.
  void ClearStatus() { status_ = Status::OK(); }
  // The output a tensor name ("node" or "node:3") refers to, with its dtype
  // resolved from the node's OpDef; NotFound / InvalidArgument naming it.
  StatusOr<Output> FindOutput(const std::string& tensor_name) const;
  // The NodeDef named `name`, or null.
  const tensorflow::NodeDef* FindNode(const std::string& name) const;
  // Marks `name` as used, so later ops named like it get "_1".
  void ReserveName(const std::string& name);

  // Variables created through train::Variable, in creation order.
  const std::vector<VariableInfo>& variables() const { return variables_; }
  void AddVariable(VariableInfo v) { variables_.push_back(std::move(v)); }

 private:
  const OpRegistry& registry_;
  tensorflow::GraphDef graph_;
  std::map<std::string, int> name_counts_;  // lower-cased, as TensorFlow compares
  std::map<std::string, int> node_index_;
  std::string scope_;
  Status status_;
  std::vector<VariableInfo> variables_;
};

// AttrValue helpers.
tensorflow::AttrValue AttrType(DataType dt);
tensorflow::AttrValue AttrInt(int64_t v);
tensorflow::AttrValue AttrFloat(float v);
tensorflow::AttrValue AttrBool(bool v);
tensorflow::AttrValue AttrString(const std::string& v);
tensorflow::AttrValue AttrShape(const std::vector<int64_t>& dims);  // -1 = unknown
tensorflow::AttrValue AttrTensor(const Tensor& t);
tensorflow::AttrValue AttrInts(const std::vector<int64_t>& v);
tensorflow::AttrValue AttrStrings(const std::vector<std::string>& v);
tensorflow::AttrValue AttrTypes(const std::vector<DataType>& v);

}  // namespace savedmodel::train
