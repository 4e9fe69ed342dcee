#include "savedmodel/train/freeze.h"

#include <algorithm>
#include <map>
#include <set>

#include "savedmodel/exec/session.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/graph/function_inline.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/train/saved_model_builder.h"

namespace savedmodel::train {
namespace {

std::string NodeOf(const std::string& input) {
  std::string n = !input.empty() && input[0] == '^' ? input.substr(1) : input;
  size_t colon = n.rfind(':');
  return colon == std::string::npos ? n : n.substr(0, colon);
}

// "node:3" -> ("node", 3) as saved_model_aot_compile's _parse_tensor_name
// reads it; a name without an index is output 0.
StatusOr<std::pair<std::string, int64_t>> ParseTensorName(const std::string& name) {
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return std::pair<std::string, int64_t>(name, 0);
  std::string digits = name.substr(colon + 1);
  if (digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("tensor name '" + name + "' does not end in ':<output index>'");
  }
  return std::pair<std::string, int64_t>(name.substr(0, colon), std::stoll(digits));
}

// TensorShape's str() in Python, for messages: (None, 1), (3,), (), <unknown>.
std::string PyShapeString(const tensorflow::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return "<unknown>";
  std::string dims;
  for (const auto& d : shape.dim()) {
    dims += (dims.empty() ? "" : ", ") + (d.size() < 0 ? std::string("None") : std::to_string(d.size()));
  }
  return "(" + dims + (shape.dim_size() == 1 ? ",)" : ")");
}

tensorflow::NodeDef ConstNode(const std::string& name, const Tensor& value, bool compact) {
  tensorflow::NodeDef n;
  n.set_name(name);
  n.set_op("Const");
  (*n.mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(value.dtype()));
  TensorToProto(value, (*n.mutable_attr())["value"].mutable_tensor(), !compact && value.dtype() != DT_STRING);
  return n;
}

// The nodes tf.zeros(shape, dtype, name=node) adds to a graph: one Const
// holding a single zero when the tensor has under 1000 elements, otherwise a
// Fill of a zero scalar ("<node>/Const") to "<node>/shape_as_tensor".
StatusOr<std::vector<tensorflow::NodeDef>> ZerosNodes(const std::string& key, const std::string& node,
                                                      const tensorflow::TensorInfo& info) {
  const auto& shape = info.tensor_shape();
  bool defined = !shape.unknown_rank();
  std::vector<int64_t> dims;
  for (const auto& d : shape.dim()) {
    defined = defined && d.size() >= 0;
    dims.push_back(d.size());
  }
  if (!defined) {
    return InvalidArgument("Expected fully defined input shape for signature_def '" + key + "', tensor name: '" +
                           node + "'; but shape is: " + PyShapeString(shape) + ".");
  }
  ASSIGN_OR_RETURN(TensorShape full, TensorShapeFromProto(shape));
  ASSIGN_OR_RETURN(Tensor zero, Tensor::Allocate(static_cast<DataType>(info.dtype()), TensorShape{}));
  if (full.num_elements() < 1000) {
    tensorflow::NodeDef c = ConstNode(node, zero, /*compact=*/true);
    *(*c.mutable_attr())["value"].mutable_tensor()->mutable_tensor_shape() = shape;
    return std::vector<tensorflow::NodeDef>{std::move(c)};
  }
  bool wide = std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d > INT32_MAX; });
  Tensor shape_tensor = wide ? Tensor::FromVector<int64_t>(dims)
                             : Tensor::FromVector<int32_t>(std::vector<int32_t>(dims.begin(), dims.end()));
  tensorflow::NodeDef fill;
  fill.set_name(node);
  fill.set_op("Fill");
  fill.add_input(node + "/shape_as_tensor");
  fill.add_input(node + "/Const");
  (*fill.mutable_attr())["T"].set_type(info.dtype());
  (*fill.mutable_attr())["index_type"].set_type(wide ? tensorflow::DT_INT64 : tensorflow::DT_INT32);
  return std::vector<tensorflow::NodeDef>{fill, ConstNode(node + "/shape_as_tensor", shape_tensor, false),
                                          ConstNode(node + "/Const", zero, true)};
}

// The nodes `roots` reach through data and control inputs, in graph order, as
// graph_util.extract_sub_graph keeps them; versions and library are copied.
StatusOr<tensorflow::GraphDef> ExtractSubgraph(const tensorflow::GraphDef& graph,
                                               const std::vector<std::string>& roots) {
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& n : graph.node()) by_name[n.name()] = &n;
  std::set<std::string> keep;
  std::vector<std::string> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    auto it = by_name.find(name);
    if (it == by_name.end()) return NotFound("node '" + name + "' is not in the graph");
    if (!keep.insert(name).second) continue;
    for (const auto& in : it->second->input()) stack.push_back(NodeOf(in));
  }
  tensorflow::GraphDef out;
  *out.mutable_versions() = graph.versions();
  *out.mutable_library() = graph.library();
  for (const auto& n : graph.node()) {
    if (keep.count(n.name())) *out.add_node() = n;
  }
  return out;
}

void CollectFunctionRefs(const tensorflow::AttrValue& v, std::vector<std::string>* out) {
  if (v.has_func()) out->push_back(v.func().name());
  for (const auto& f : v.list().func()) out->push_back(f.name());
}

// Drops library functions no node reaches (after inlining, usually all of
// them), as grappler's output keeps only the functions still called.
void PruneLibrary(tensorflow::GraphDef* graph) {
  std::map<std::string, const tensorflow::FunctionDef*> fns;
  for (const auto& f : graph->library().function()) fns[f.signature().name()] = &f;
  std::set<std::string> used;
  std::vector<std::string> stack;
  auto visit_node = [&](const tensorflow::NodeDef& n) {
    stack.push_back(n.op());
    for (const auto& [_, v] : n.attr()) CollectFunctionRefs(v, &stack);
  };
  for (const auto& n : graph->node()) visit_node(n);
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    auto it = fns.find(name);
    if (it == fns.end() || !used.insert(name).second) continue;
    for (const auto& n : it->second->node_def()) visit_node(n);
    for (const auto& [_, v] : it->second->attr()) CollectFunctionRefs(v, &stack);
  }
  tensorflow::FunctionDefLibrary lib;
  for (const auto& f : graph->library().function()) {
    if (used.count(f.signature().name())) *lib.add_function() = f;
  }
  for (const auto& g : graph->library().gradient()) {
    if (used.count(g.function_name())) *lib.add_gradient() = g;
  }
  *graph->mutable_library() = std::move(lib);
}

// Resource variables of `graph` in graph order, each with whether anything
// but a read reaches it (saved_model_aot_compile's
// _get_variable_nodes_from_graph_def: reads pass through Identity/IdentityN).
std::vector<std::pair<const tensorflow::NodeDef*, bool>> ResourceVariables(const tensorflow::GraphDef& graph) {
  static const std::set<std::string> kReadOnly = {"ReadVariableOp", "IsVariableInitializedOp", "ResourceGather",
                                                  "ResourceGatherNd", "VariableShape"};
  std::map<std::string, std::vector<const tensorflow::NodeDef*>> children;
  for (const auto& n : graph.node()) {
    for (const auto& in : n.input()) {
      if (!in.empty() && in[0] != '^') children[NodeOf(in)].push_back(&n);
    }
  }
  std::vector<std::pair<const tensorflow::NodeDef*, bool>> out;
  for (const auto& v : graph.node()) {
    if (v.op() != "VarHandleOp") continue;
    bool modified = false;
    std::set<std::string> seen;
    std::vector<const tensorflow::NodeDef*> queue = children[v.name()];
    while (!queue.empty() && !modified) {
      const tensorflow::NodeDef* n = queue.back();
      queue.pop_back();
      if (!seen.insert(n->name()).second) continue;
      if (n->op() == "Identity" || n->op() == "IdentityN") {
        const auto& more = children[n->name()];
        queue.insert(queue.end(), more.begin(), more.end());
      } else if (!kReadOnly.count(n->op())) {
        modified = true;
      }
    }
    out.push_back({&v, modified});
  }
  return out;
}

std::string AttrString(const tensorflow::NodeDef& n, const std::string& name) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? "" : it->second.s();
}

// The value a variable node holds in the session. The names are the ones the
// VariableV2 and VarHandleOp kernels give their storage in the ResourceMgr.
StatusOr<Tensor> VariableValue(Session& session, const tensorflow::NodeDef& node) {
  std::string name = AttrString(node, "shared_name");
  if (name.empty()) name = node.name();
  std::string key = AttrString(node, "container") + "/" + name;
  if (node.op() == "VarHandleOp") key = "resource_variable:" + key;
  Tensor value = session.resources()->LookupOrCreateVariable(key)->value();
  if (!value.IsInitialized()) {
    return FailedPrecondition("variable '" + node.name() + "' (" + node.op() +
                              ") has no value: it was not restored from the checkpoint");
  }
  return value;
}

Status SetType(tensorflow::NodeDef* n, const std::string& attr, int index, tensorflow::DataType dtype) {
  auto it = n->mutable_attr()->find(attr);
  if (it != n->mutable_attr()->end() && it->second.has_list() && index < it->second.list().type_size()) {
    it->second.mutable_list()->set_type(index, dtype);
    return Status::OK();
  }
  if (it != n->mutable_attr()->end() && it->second.value_case() == tensorflow::AttrValue::kType && index == 0) {
    it->second.set_type(dtype);
    return Status::OK();
  }
  return InvalidArgument("input " + std::to_string(index) + " of node '" + n->name() + "' has no type in attr '" +
                         attr + "' to change");
}

// convert_variables_to_constants on `graph`: every variable node not in
// `keep` becomes a Const of its value, and the ops that consumed it are
// rewritten to take a tensor instead of a handle or reference.
Status ConvertVariablesToConstants(Session& session, const std::set<std::string>& keep,
                                   tensorflow::GraphDef* graph) {
  std::map<std::string, int> index;
  std::map<std::string, std::vector<std::pair<int, int>>> consumers;  // node -> (consumer, input position)
  for (int i = 0; i < graph->node_size(); ++i) {
    const auto& n = graph->node(i);
    index[n.name()] = i;
    for (int k = 0; k < n.input_size(); ++k) {
      if (!n.input(k).empty() && n.input(k)[0] != '^') consumers[NodeOf(n.input(k))].push_back({i, k});
    }
  }
  auto attr = [](const tensorflow::NodeDef& n, const char* name) -> StatusOr<tensorflow::AttrValue> {
    auto it = n.attr().find(name);
    if (it == n.attr().end()) return InvalidArgument("node '" + n.name() + "' has no attr '" + name + "'");
    return it->second;
  };
  auto copy_class = [](const tensorflow::NodeDef& from, tensorflow::NodeDef* to) {
    auto it = from.attr().find("_class");
    if (it != from.attr().end()) (*to->mutable_attr())["_class"] = it->second;
  };
  std::set<int> rewritten;
  // Follows a converted value downstream (a worklist, not recursion: an
  // Identity chain may be long); `dtype` is the variable's type.
  auto propagate = [&](const std::string& variable, tensorflow::DataType dtype) -> Status {
    std::vector<std::string> work = {variable};
    while (!work.empty()) {
      const std::string from = work.back();
      work.pop_back();
      for (auto [c, pos] : consumers[from]) {
        tensorflow::NodeDef* n = graph->mutable_node(c);
        const std::string op = n->op();
        const int needed = op == "ReadVariableOp" ? 1 : op == "ResourceGather" || op == "ResourceGatherNd" ? 2 : 0;
        if (n->input_size() < needed) {
          return InvalidArgument("node '" + n->name() + "' (op " + op + ") has " + std::to_string(n->input_size()) +
                                 " inputs, needs " + std::to_string(needed));
        }
        if (op == "ReadVariableOp") {
          tensorflow::NodeDef id;
          id.set_name(n->name());
          id.set_op("Identity");
          id.add_input(n->input(0));
          ASSIGN_OR_RETURN((*id.mutable_attr())["T"], attr(*n, "dtype"));
          copy_class(*n, &id);
          *n = std::move(id);
        } else if (op == "Identity" || op == "Enter" || op == "Exit" || op == "NextIteration" || op == "Switch" ||
                   op == "_SwitchN") {
          RETURN_IF_ERROR(SetType(n, "T", pos, dtype));
          n->mutable_attr()->erase("_output_shapes");
          if (rewritten.insert(c).second) work.push_back(n->name());
        } else if (op == "ResourceGather") {
          auto batch_dims = n->attr().find("batch_dims");
          if (batch_dims != n->attr().end() && batch_dims->second.i() != 0) {
            return InvalidArgument("batch_dims must be 0 for freeze_graph, but got node(" + n->name() +
                                   ").attr('batch_dims') = " + std::to_string(batch_dims->second.i()) + ".");
          }
          ASSIGN_OR_RETURN(const tensorflow::AttrValue tindices, attr(*n, "Tindices"));
          const std::string axis_name = n->name() + "/axis";
          tensorflow::NodeDef gather;
          gather.set_name(n->name());
          gather.set_op("GatherV2");
          gather.add_input(n->input(0));
          gather.add_input(n->input(1));
          gather.add_input(axis_name);
          ASSIGN_OR_RETURN((*gather.mutable_attr())["Tparams"], attr(*n, "dtype"));
          (*gather.mutable_attr())["Tindices"] = tindices;
          (*gather.mutable_attr())["Taxis"] = tindices;
          copy_class(*n, &gather);
          *n = std::move(gather);
          if (!index.count(axis_name)) {
            ASSIGN_OR_RETURN(Tensor axis, Tensor::Allocate(static_cast<DataType>(tindices.type()), TensorShape{}));
            index[axis_name] = graph->node_size();
            *graph->add_node() = ConstNode(axis_name, axis, false);
          }
        } else if (op == "ResourceGatherNd") {
          tensorflow::NodeDef gather;
          gather.set_name(n->name());
          gather.set_op("GatherNd");
          gather.add_input(n->input(0));
          gather.add_input(n->input(1));
          ASSIGN_OR_RETURN((*gather.mutable_attr())["Tparams"], attr(*n, "dtype"));
          ASSIGN_OR_RETURN((*gather.mutable_attr())["Tindices"], attr(*n, "Tindices"));
          copy_class(*n, &gather);
          *n = std::move(gather);
        } else if (op == "If" || op == "StatelessIf" || op == "While" || op == "StatelessWhile" || op == "Case" ||
                   op == "PartitionedCall" || op == "StatefulPartitionedCall") {
          return Unimplemented("freezing variable '" + variable + "': it flows into node '" + n->name() + "' (op " +
                               op + "), whose function bodies are not rewritten");
        }
      }
    }
    return Status::OK();
  };
  const int original_nodes = graph->node_size();
  for (int i = 0; i < original_nodes; ++i) {
    tensorflow::NodeDef* n = graph->mutable_node(i);
    if ((n->op() != "VariableV2" && n->op() != "Variable" && n->op() != "VarHandleOp") || keep.count(n->name())) {
      continue;
    }
    ASSIGN_OR_RETURN(Tensor value, VariableValue(session, *n));
    auto dtype = n->attr().find("dtype");
    if (dtype == n->attr().end()) return InvalidArgument("variable node '" + n->name() + "' has no dtype attr");
    tensorflow::DataType type = dtype->second.type();
    const std::string name = n->name();
    *n = ConstNode(name, value, false);
    (*n->mutable_attr())["dtype"].set_type(type);
    RETURN_IF_ERROR(propagate(name, type));
  }
  return Status::OK();
}

}  // namespace

StatusOr<tensorflow::GraphDef> FreezeSignature(SavedModelBundle& bundle, const std::string& signature_key) {
  ASSIGN_OR_RETURN(const tensorflow::SignatureDef* sig, FindSignatureDef(bundle.meta_graph_def(), signature_key));
  const tensorflow::GraphDef& graph = bundle.meta_graph_def().graph_def();
  std::map<std::string, const tensorflow::NodeDef*> by_name;
  for (const auto& n : graph.node()) by_name[n.name()] = &n;

  std::set<std::string> inputs;
  for (const auto& [_, info] : sig->inputs()) inputs.insert(NodeOf(info.name()));
  // Nodes whose value becomes a constant: TF1 variables and resource reads.
  auto is_variable = [](const tensorflow::NodeDef& n) {
    return n.op() == "VariableV2" || n.op() == "Variable" || n.op() == "ReadVariableOp";
  };

  std::set<std::string> needed;
  std::vector<std::string> stack;
  for (const auto& [_, info] : sig->outputs()) stack.push_back(NodeOf(info.name()));
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    if (!needed.insert(name).second) continue;
    auto it = by_name.find(name);
    if (it == by_name.end()) return NotFound("freeze: node '" + name + "' is not in the graph");
    if (inputs.count(name) || is_variable(*it->second)) continue;
    for (const auto& in : it->second->input()) stack.push_back(NodeOf(in));
  }

  tensorflow::GraphDef frozen;
  *frozen.mutable_versions() = graph.versions();
  *frozen.mutable_library() = graph.library();
  // A signature input computed inside the graph (half_plus_two's x is an
  // Identity of parsed examples) becomes a Placeholder, as strip_unused does.
  std::map<std::string, const tensorflow::TensorInfo*> input_info;
  for (const auto& [_, info] : sig->inputs()) input_info[NodeOf(info.name())] = &info;
  for (const auto& n : graph.node()) {
    if (!needed.count(n.name())) continue;
    auto in = input_info.find(n.name());
    if (in != input_info.end() && n.op() != "Placeholder") {
      auto* p = frozen.add_node();
      p->set_name(n.name());
      p->set_op("Placeholder");
      (*p->mutable_attr())["dtype"].set_type(in->second->dtype());
      *(*p->mutable_attr())["shape"].mutable_shape() = in->second->tensor_shape();
      continue;
    }
    if (!is_variable(n)) {
      auto* copy = frozen.add_node();
      *copy = n;
      copy->clear_device();
      continue;
    }
    ASSIGN_OR_RETURN(auto value, bundle.session().Run({}, {n.name() + ":0"}));
    auto* c = frozen.add_node();
    c->set_name(n.name());
    c->set_op("Const");
    (*c->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(value[0].dtype()));
    TensorToProto(value[0], (*c->mutable_attr())["value"].mutable_tensor(), value[0].dtype() != DT_STRING);
  }
  return frozen;
}

namespace {

// A session on `mg`'s graph with its variables restored from `checkpoint`,
// as saver.import_meta_graph and restore leave TensorFlow's.
StatusOr<std::unique_ptr<Session>> RestoredSession(const tensorflow::MetaGraphDef& mg, const std::string& checkpoint) {
  tensorflow::GraphDef graph_def = mg.graph_def();
  RETURN_IF_ERROR(InlineFunctionCalls(&graph_def));
  ASSIGN_OR_RETURN(auto graph, Graph::Import(std::move(graph_def)));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  const auto& saver = mg.saver_def();
  if (!checkpoint.empty() && !saver.restore_op_name().empty()) {
    auto restored = session->Run({{saver.filename_tensor_name(), Tensor::Scalar<std::string>(checkpoint)}}, {},
                                 {saver.restore_op_name()});
    if (!restored.ok()) return restored.status().WithContext("restoring " + checkpoint);
  }
  return session;
}

}  // namespace

StatusOr<FrozenModel> FreezeModel(const tensorflow::MetaGraphDef& mg, const FreezeModelOptions& options) {
  auto sig_it = mg.signature_def().find(options.signature_key);
  if (sig_it == mg.signature_def().end()) {
    std::vector<std::string> keys;
    for (const auto& [k, _] : mg.signature_def()) keys.push_back("'" + k + "'");
    std::sort(keys.begin(), keys.end());
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    return InvalidArgument("Unable to find signature_def_key '" + options.signature_key +
                           "' in signature def map of `meta_graph_def`. Available keys: [" + list + "]");
  }
  const tensorflow::SignatureDef& sig = sig_it->second;
  if (sig.outputs().empty()) {
    return InvalidArgument("Signature key " + options.signature_key + " must have outputs, but saw none");
  }
  // Sorted by key: protobuf's map order is not stable.
  const std::map<std::string, tensorflow::TensorInfo> inputs(sig.inputs().begin(), sig.inputs().end());
  const std::map<std::string, tensorflow::TensorInfo> outputs(sig.outputs().begin(), sig.outputs().end());

  FrozenModel out;
  out.original_graph = mg.graph_def();
  tensorflow::GraphDef graph = mg.graph_def();

  // Placeholder inputs become zeros of their shape, so the frozen graph needs
  // no feeds; tfcompile overrides them through the config's feeds.
  std::set<std::string> zeroed;
  for (const auto& [key, info] : inputs) {
    ASSIGN_OR_RETURN(auto tensor, ParseTensorName(info.name()));
    if (!zeroed.insert(tensor.first).second) continue;
    auto node = std::find_if(graph.mutable_node()->begin(), graph.mutable_node()->end(),
                             [&](const tensorflow::NodeDef& n) { return n.name() == tensor.first; });
    if (node == graph.mutable_node()->end()) {
      return NotFound("signature input '" + key + "': node '" + tensor.first + "' is not in the graph");
    }
    if (node->op() != "Placeholder" && node->op() != "PlaceholderV2") continue;
    ASSIGN_OR_RETURN(auto zeros, ZerosNodes(key, tensor.first, info));
    *node = zeros[0];
    for (size_t i = 1; i < zeros.size(); ++i) *graph.add_node() = zeros[i];
  }
  std::vector<std::string> output_nodes;
  for (const auto& [_, info] : outputs) {
    ASSIGN_OR_RETURN(auto tensor, ParseTensorName(info.name()));
    output_nodes.push_back(tensor.first);
  }
  RETURN_IF_ERROR(InlineFunctionCalls(&graph));
  // Grappler, given the MetaGraphDef without its SaverDef, keeps what any
  // signature's inputs and outputs need (saver nodes go), so 'all' and the
  // read-only marks cover the variables every signature reaches.
  std::set<std::string> present;
  for (const auto& n : graph.node()) present.insert(n.name());
  std::vector<std::string> roots;
  for (const auto& [_, s] : mg.signature_def()) {
    for (const auto* infos : {&s.inputs(), &s.outputs()}) {
      for (const auto& [__, info] : *infos) {
        auto tensor = ParseTensorName(info.name());
        if (tensor.ok() && present.count(tensor->first)) roots.push_back(tensor->first);
      }
    }
  }
  ASSIGN_OR_RETURN(out.prefrozen_graph, ExtractSubgraph(graph, roots));
  PruneLibrary(&out.prefrozen_graph);

  auto variables = ResourceVariables(out.prefrozen_graph);
  std::sort(variables.begin(), variables.end(),
            [](const auto& a, const auto& b) { return a.first->name() < b.first->name(); });
  std::vector<std::pair<const tensorflow::NodeDef*, bool>> fed;
  if (!options.variables_to_feed) {
    fed = variables;
  } else {
    std::map<std::string, std::pair<const tensorflow::NodeDef*, bool>> by_name;
    for (const auto& v : variables) by_name[v.first->name()] = v;
    std::set<std::string> missing;
    for (const auto& name : *options.variables_to_feed) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        missing.insert(name);
      } else {
        fed.push_back(it->second);
      }
    }
    if (!missing.empty()) {
      std::string want, have;
      for (const auto& m : missing) want += (want.empty() ? "'" : ", '") + m + "'";
      for (const auto& v : variables) have += (have.empty() ? "'" : ", '") + v.first->name() + "'";
      return InvalidArgument("Asked to feed variables that were not found in graph: {" + want +
                             "}. Variables contained in the graph: [" + have + "]");
    }
  }

  ASSIGN_OR_RETURN(auto session, RestoredSession(mg, options.checkpoint_path));
  ASSIGN_OR_RETURN(out.frozen_graph, ExtractSubgraph(out.prefrozen_graph, output_nodes));
  std::set<std::string> keep;
  for (const auto& [node, _] : fed) keep.insert(node->name());
  RETURN_IF_ERROR(ConvertVariablesToConstants(*session, keep, &out.frozen_graph));
  PruneLibrary(&out.frozen_graph);

  std::set<std::string> frozen_nodes;
  for (const auto& n : out.frozen_graph.node()) frozen_nodes.insert(n.name());
  auto set_id = [](tensorflow::tf2xla::TensorId* id, const std::pair<std::string, int64_t>& t) {
    id->set_node_name(t.first);
    id->set_output_index(t.second);
  };
  // Names as saved_model_aot_compile's _signature_to_tf2xla_config makes them.
  auto c_name = [](const std::string& prefix, std::string name) {
    std::replace(name.begin(), name.end(), '/', '_');
    return prefix + name;
  };
  for (const auto& [key, info] : inputs) {
    ASSIGN_OR_RETURN(auto tensor, ParseTensorName(info.name()));
    if (!frozen_nodes.count(tensor.first)) {
      out.pruned_inputs.push_back(key);
      continue;
    }
    auto* feed = out.config.add_feed();
    set_id(feed->mutable_id(), tensor);
    *feed->mutable_shape() = info.tensor_shape();
    feed->set_name(c_name("feed_", key));
    feed->set_type(info.dtype());
  }
  for (const auto& [key, info] : outputs) {
    ASSIGN_OR_RETURN(auto tensor, ParseTensorName(info.name()));
    auto* fetch = out.config.add_fetch();
    set_id(fetch->mutable_id(), tensor);
    fetch->set_name(c_name("fetch_", key));
    *fetch->mutable_shape() = info.tensor_shape();
    fetch->set_type(info.dtype());
  }
  for (const auto& [node, modified] : fed) {
    auto* v = out.config.add_variable();
    v->set_node_name(node->name());
    v->set_name(c_name("param_", node->name()));
    auto shape = node->attr().find("shape");
    *v->mutable_shape() = shape == node->attr().end() ? tensorflow::TensorShapeProto() : shape->second.shape();
    auto dtype = node->attr().find("dtype");
    v->set_type(dtype == node->attr().end() ? tensorflow::DT_INVALID : dtype->second.type());
    v->set_readonly(!modified);
  }
  return out;
}

Status ResaveBundle(SavedModelBundle& bundle, const std::string& export_dir, const std::vector<std::string>& tags) {
  tensorflow::MetaGraphDef mg = bundle.meta_graph_def();
  std::map<std::string, tensorflow::SignatureDef> sigs(mg.signature_def().begin(), mg.signature_def().end());
  std::vector<AssetSource> assets;
  for (const auto& a : mg.asset_file_def()) {
    assets.push_back({a.tensor_info().name(), JoinPath(bundle.export_dir(), "assets", a.filename())});
  }
  mg.clear_asset_file_def();
  mg.mutable_collection_def()->erase("saved_model_assets");
  SavedModelBuilder builder(export_dir);
  RETURN_IF_ERROR(builder.AddMetaGraphAndVariables(bundle.session(), std::move(mg), tags, sigs, assets));
  return builder.Save();
}

}  // namespace savedmodel::train
