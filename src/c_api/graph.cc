// TF_Graph and TF_Operation: graphs imported from GraphDefs or loaded from a
// SavedModel, looked up by name, iterated, and their nodes' attrs read.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "c_api/internal.h"
#include "savedmodel/format/tensor_proto.h"

namespace savedmodel::capi {
namespace {

// Graphs replaced by a later import, kept so that names and pointers handed out
// for them stay valid until TF_DeleteGraph (imports are rare; graphs small).
struct RetiredGraphs {
  std::mutex mu;
  std::multimap<const TF_Graph*, std::shared_ptr<const Graph>> graphs;
};
RetiredGraphs& Retired() {
  static auto* r = new RetiredGraphs;
  return *r;
}

// Under the graph's lock, since an import may be replacing graph->graph; the
// node stays valid afterwards because replaced graphs are retired, not freed.
const Node& NodeOf(const TF_Operation* op) {
  std::lock_guard<std::mutex> l(op->graph->mu);
  return op->graph->graph->node(op->id);
}

TF_Operation* OperationAt(TF_Graph* graph, int id) {
  std::lock_guard<std::mutex> l(graph->mu);
  return &graph->ops[static_cast<size_t>(id)];
}

// Fills `out` with a malloc'd copy of bytes, releasing what it held before.
void FillBuffer(const std::string& bytes, TF_Buffer* out) {
  if (out->data_deallocator != nullptr) {
    out->data_deallocator(const_cast<void*>(out->data), out->length);
  }
  void* copy = std::malloc(bytes.empty() ? 1 : bytes.size());
  if (copy == nullptr) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  out->data = copy;
  out->length = bytes.size();
  out->data_deallocator = [](void* data, size_t) { std::free(data); };
}

// The node's NodeDef as imported (a Const's value, moved out at import, put back).
tensorflow::NodeDef NodeDefOf(const Node& n) {
  tensorflow::NodeDef def = n.def;
  if (n.const_value.has_value()) {
    TensorToProto(*n.const_value, (*def.mutable_attr())["value"].mutable_tensor(), true);
  }
  return def;
}

StatusOr<const tensorflow::AttrValue*> FindAttr(TF_Operation* oper, const char* attr_name) {
  if (oper == nullptr || attr_name == nullptr) return InvalidArgument("null operation or attr name");
  const Node& n = NodeOf(oper);
  auto it = n.def.attr().find(attr_name);
  if (it == n.def.attr().end()) {
    if (std::string_view(attr_name) == "value" && n.const_value.has_value()) {
      static thread_local tensorflow::AttrValue value;
      value.Clear();
      TensorToProto(*n.const_value, value.mutable_tensor(), true);
      return &value;
    }
    return NotFound("Operation '" + n.name() + "' has no attr named '" + attr_name + "'.");
  }
  return &it->second;
}

Status WrongKind(TF_Operation* oper, const char* attr_name, const char* want) {
  return InvalidArgument("Attr '" + std::string(attr_name) + "' of operation '" +
                         NodeOf(oper).name() + "' is not " + want);
}

// Shape of output `index` as the graph records it; unknown rank when it does not.
PartialShape RecordedShape(const Node& n, int index) {
  auto shapes = n.def.attr().find("_output_shapes");
  if (shapes != n.def.attr().end() && index < shapes->second.list().shape_size()) {
    auto s = PartialShapeFromProto(shapes->second.list().shape(index));
    if (s.ok()) return *s;
  }
  if (index == 0 && (n.op() == "Placeholder" || n.op() == "PlaceholderV2")) {
    auto attr = n.def.attr().find("shape");
    if (attr != n.def.attr().end()) {
      auto s = PartialShapeFromProto(attr->second.shape());
      if (s.ok()) return *s;
    }
  }
  if (index == 0 && n.const_value.has_value()) {
    auto s = PartialShapeFromProto([&] {
      tensorflow::TensorShapeProto p;
      TensorShapeToProto(n.const_value->shape(), &p);
      return p;
    }());
    if (s.ok()) return *s;
  }
  return PartialShape::Unknown();
}

StatusOr<PartialShape> OutputShape(TF_Output output) {
  if (output.oper == nullptr) return InvalidArgument("null operation");
  const Node& n = NodeOf(output.oper);
  if (output.index < 0 || output.index >= n.num_outputs()) {
    return OutOfRange("Node '" + n.name() + "' (type: '" + n.op() + "', num of outputs: " +
                      std::to_string(n.num_outputs()) + ") does not have output " +
                      std::to_string(output.index));
  }
  return RecordedShape(n, output.index);
}

std::string Prefixed(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

// Gives every node and every input reference the prefix.
void ApplyPrefix(const std::string& prefix, tensorflow::GraphDef* def) {
  if (prefix.empty()) return;
  for (auto& node : *def->mutable_node()) {
    node.set_name(Prefixed(prefix, node.name()));
    for (auto& input : *node.mutable_input()) {
      input = input.starts_with("^") ? "^" + Prefixed(prefix, input.substr(1))
                                     : Prefixed(prefix, input);
    }
  }
}

Status Import(TF_Graph* graph, const TF_Buffer* buffer, const TF_ImportGraphDefOptions* options) {
  if (graph == nullptr || buffer == nullptr) return InvalidArgument("null graph or GraphDef buffer");
  if (buffer->length > static_cast<size_t>(INT32_MAX) || (buffer->length && !buffer->data)) {
    return InvalidArgument("Invalid GraphDef");
  }
  tensorflow::GraphDef incoming;
  if (!incoming.ParseFromArray(buffer->data, static_cast<int>(buffer->length))) {
    return InvalidArgument("Invalid GraphDef");
  }
  ApplyPrefix(options ? options->prefix : "", &incoming);
  std::lock_guard<std::mutex> l(graph->mu);
  if (graph->bundle) {
    return Unimplemented("importing into a graph that holds a loaded SavedModel");
  }
  tensorflow::GraphDef merged = graph->def;
  if (merged.node_size() == 0 && incoming.has_versions()) *merged.mutable_versions() = incoming.versions();
  std::set<std::string> names;
  for (const auto& n : merged.node()) names.insert(n.name());
  for (const auto& n : incoming.node()) {
    if (!names.insert(n.name()).second) {
      return InvalidArgument("Node name '" + n.name() + "' already exists in the Graph");
    }
  }
  for (auto& n : *incoming.mutable_node()) *merged.add_node() = std::move(n);
  std::set<std::string> functions;
  for (const auto& f : merged.library().function()) functions.insert(f.signature().name());
  for (const auto& f : incoming.library().function()) {
    if (functions.insert(f.signature().name()).second) *merged.mutable_library()->add_function() = f;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> imported, Graph::Import(merged));
  if (graph->graph) {
    std::lock_guard<std::mutex> r(Retired().mu);
    Retired().graphs.emplace(graph, graph->graph);
  }
  graph->def = std::move(merged);
  graph->graph = std::move(imported);
  while (graph->ops.size() < graph->graph->nodes().size()) {
    graph->ops.push_back(TF_Operation{graph, static_cast<int>(graph->ops.size())});
  }
  ++graph->version;
  return Status::OK();
}

}  // namespace

// Called by the SavedModel loader: the graph becomes the model's.
void AdoptBundle(TF_Graph* graph, std::shared_ptr<SavedModelBundle> bundle) {
  std::lock_guard<std::mutex> l(graph->mu);
  graph->graph = std::shared_ptr<const Graph>(bundle, &bundle->session().graph());
  graph->bundle = std::move(bundle);
  graph->ops.clear();
  for (size_t i = 0; i < graph->graph->nodes().size(); ++i) {
    graph->ops.push_back(TF_Operation{graph, static_cast<int>(i)});
  }
  ++graph->version;
}

bool GraphIsEmpty(TF_Graph* graph) {
  std::lock_guard<std::mutex> l(graph->mu);
  return graph->graph == nullptr || graph->graph->nodes().empty();
}

}  // namespace savedmodel::capi

using namespace savedmodel;        // NOLINT: C entry points below
using namespace savedmodel::capi;  // NOLINT

extern "C" {

TF_Graph* TF_NewGraph(void) { return new TF_Graph; }

void TF_DeleteGraph(TF_Graph* graph) {
  if (graph == nullptr) return;
  {
    std::lock_guard<std::mutex> r(Retired().mu);
    Retired().graphs.erase(graph);
  }
  delete graph;
}

TF_Operation* TF_GraphOperationByName(TF_Graph* graph, const char* oper_name) {
  if (graph == nullptr || oper_name == nullptr) return nullptr;
  std::lock_guard<std::mutex> l(graph->mu);
  if (!graph->graph) return nullptr;
  const Node* n = graph->graph->FindNode(oper_name);
  return n == nullptr ? nullptr : &graph->ops[static_cast<size_t>(n->id)];
}

TF_Operation* TF_GraphNextOperation(TF_Graph* graph, size_t* pos) {
  if (graph == nullptr || pos == nullptr) return nullptr;
  std::lock_guard<std::mutex> l(graph->mu);
  if (*pos >= graph->ops.size()) return nullptr;
  return &graph->ops[(*pos)++];
}

void TF_GraphToGraphDef(TF_Graph* graph, TF_Buffer* output_graph_def, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    if (graph == nullptr || output_graph_def == nullptr) return InvalidArgument("null argument");
    std::lock_guard<std::mutex> l(graph->mu);
    tensorflow::GraphDef def;
    if (graph->graph) {
      for (const Node& n : graph->graph->nodes()) *def.add_node() = NodeDefOf(n);
      *def.mutable_library() = graph->graph->library();
    }
    FillBuffer(def.SerializeAsString(), output_graph_def);
    return Status::OK();
  });
}

int TF_GraphGetTensorNumDims(TF_Graph*, TF_Output output, TF_Status* status) {
  int rank = -1;
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(PartialShape shape, OutputShape(output));
    rank = shape.rank();
    return Status::OK();
  });
  return rank;
}

void TF_GraphGetTensorShape(TF_Graph*, TF_Output output, int64_t* dims, int num_dims,
                            TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(PartialShape shape, OutputShape(output));
    if (shape.rank() < 0) {
      if (num_dims != -1) {
        return InvalidArgument("Expected rank is " + std::to_string(num_dims) +
                               " but actual rank is -1");
      }
      return Status::OK();
    }
    if (num_dims != shape.rank()) {
      return InvalidArgument("Expected rank is " + std::to_string(num_dims) +
                             " but actual rank is " + std::to_string(shape.rank()));
    }
    for (int i = 0; i < num_dims; ++i) dims[i] = shape.dims()[static_cast<size_t>(i)];
    return Status::OK();
  });
}

const char* TF_OperationName(TF_Operation* oper) { return NodeOf(oper).name().c_str(); }
const char* TF_OperationOpType(TF_Operation* oper) { return NodeOf(oper).op().c_str(); }
const char* TF_OperationDevice(TF_Operation* oper) { return NodeOf(oper).def.device().c_str(); }
int TF_OperationNumOutputs(TF_Operation* oper) { return NodeOf(oper).num_outputs(); }
int TF_OperationNumInputs(TF_Operation* oper) {
  return static_cast<int>(NodeOf(oper).inputs.size());
}
int TF_OperationNumControlInputs(TF_Operation* oper) {
  return static_cast<int>(NodeOf(oper).control_inputs.size());
}

TF_DataType TF_OperationOutputType(TF_Output oper_out) {
  const Node& n = NodeOf(oper_out.oper);
  if (oper_out.index < 0 || oper_out.index >= n.num_outputs()) return static_cast<TF_DataType>(0);
  return static_cast<TF_DataType>(n.output_types[static_cast<size_t>(oper_out.index)]);
}

TF_DataType TF_OperationInputType(TF_Input oper_in) {
  const Node& n = NodeOf(oper_in.oper);
  if (oper_in.index < 0 || static_cast<size_t>(oper_in.index) >= n.input_types.size()) {
    return static_cast<TF_DataType>(0);
  }
  return static_cast<TF_DataType>(n.input_types[static_cast<size_t>(oper_in.index)]);
}

TF_Output TF_OperationInput(TF_Input oper_in) {
  const Node& n = NodeOf(oper_in.oper);
  if (oper_in.index < 0 || static_cast<size_t>(oper_in.index) >= n.inputs.size()) {
    return TF_Output{nullptr, -1};
  }
  const OutputRef& ref = n.inputs[static_cast<size_t>(oper_in.index)];
  return TF_Output{OperationAt(oper_in.oper->graph, ref.node), ref.index};
}

TF_AttrMetadata TF_OperationGetAttrMetadata(TF_Operation* oper, const char* attr_name,
                                            TF_Status* status) {
  TF_AttrMetadata m{0, -1, TF_ATTR_STRING, -1};
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    using AV = tensorflow::AttrValue;
    switch (a->value_case()) {
      case AV::kS: m.type = TF_ATTR_STRING; m.total_size = static_cast<int64_t>(a->s().size()); break;
      case AV::kI: m.type = TF_ATTR_INT; break;
      case AV::kF: m.type = TF_ATTR_FLOAT; break;
      case AV::kB: m.type = TF_ATTR_BOOL; break;
      case AV::kType: m.type = TF_ATTR_TYPE; break;
      case AV::kShape:
        m.type = TF_ATTR_SHAPE;
        m.total_size = a->shape().unknown_rank() ? -1 : a->shape().dim_size();
        break;
      case AV::kTensor: m.type = TF_ATTR_TENSOR; break;
      case AV::kFunc: m.type = TF_ATTR_FUNC; break;
      case AV::kPlaceholder: m.type = TF_ATTR_PLACEHOLDER; break;
      case AV::kList: {
        const auto& l = a->list();
        m.is_list = 1;
        if (l.s_size()) {
          m.type = TF_ATTR_STRING;
          m.list_size = l.s_size();
          m.total_size = 0;
          for (const auto& s : l.s()) m.total_size += static_cast<int64_t>(s.size());
        } else if (l.i_size()) { m.type = TF_ATTR_INT; m.list_size = l.i_size();
        } else if (l.f_size()) { m.type = TF_ATTR_FLOAT; m.list_size = l.f_size();
        } else if (l.b_size()) { m.type = TF_ATTR_BOOL; m.list_size = l.b_size();
        } else if (l.type_size()) { m.type = TF_ATTR_TYPE; m.list_size = l.type_size();
        } else if (l.shape_size()) {
          m.type = TF_ATTR_SHAPE;
          m.list_size = l.shape_size();
          m.total_size = 0;
          for (const auto& s : l.shape()) m.total_size += s.unknown_rank() ? 0 : s.dim_size();
        } else if (l.tensor_size()) { m.type = TF_ATTR_TENSOR; m.list_size = l.tensor_size();
        } else if (l.func_size()) { m.type = TF_ATTR_FUNC; m.list_size = l.func_size();
        } else { m.list_size = 0; }
        break;
      }
      default: break;
    }
    return Status::OK();
  });
  return m;
}

void TF_OperationGetAttrString(TF_Operation* oper, const char* attr_name, void* value,
                               size_t max_length, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kS) return WrongKind(oper, attr_name, "a string");
    if (max_length > 0 && value != nullptr) {
      std::memcpy(value, a->s().data(), std::min(max_length, a->s().size()));
    }
    return Status::OK();
  });
}

void TF_OperationGetAttrInt(TF_Operation* oper, const char* attr_name, int64_t* value,
                            TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kI) return WrongKind(oper, attr_name, "an int");
    *value = a->i();
    return Status::OK();
  });
}

void TF_OperationGetAttrIntList(TF_Operation* oper, const char* attr_name, int64_t* values,
                                int max_values, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of ints");
    const int n = std::min(max_values, a->list().i_size());
    for (int i = 0; i < n; ++i) values[i] = a->list().i(i);
    return Status::OK();
  });
}

void TF_OperationGetAttrFloat(TF_Operation* oper, const char* attr_name, float* value,
                              TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kF) return WrongKind(oper, attr_name, "a float");
    *value = a->f();
    return Status::OK();
  });
}

void TF_OperationGetAttrBool(TF_Operation* oper, const char* attr_name, unsigned char* value,
                             TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kB) return WrongKind(oper, attr_name, "a bool");
    *value = a->b() ? 1 : 0;
    return Status::OK();
  });
}

void TF_OperationGetAttrType(TF_Operation* oper, const char* attr_name, TF_DataType* value,
                             TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kType) return WrongKind(oper, attr_name, "a type");
    *value = static_cast<TF_DataType>(a->type());
    return Status::OK();
  });
}

void TF_OperationGetAttrTypeList(TF_Operation* oper, const char* attr_name, TF_DataType* values,
                                 int max_values, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of types");
    const int n = std::min(max_values, a->list().type_size());
    for (int i = 0; i < n; ++i) values[i] = static_cast<TF_DataType>(a->list().type(i));
    return Status::OK();
  });
}

void TF_OperationGetAttrShape(TF_Operation* oper, const char* attr_name, int64_t* value,
                              int num_dims, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kShape) return WrongKind(oper, attr_name, "a shape");
    const auto& shape = a->shape();
    if (shape.unknown_rank()) return Status::OK();
    const int n = std::min(num_dims, shape.dim_size());
    for (int i = 0; i < n; ++i) value[i] = shape.dim(i).size();
    return Status::OK();
  });
}

void TF_OperationGetAttrStringList(TF_Operation* oper, const char* attr_name, void** values,
                                   size_t* lengths, int max_values, void* storage,
                                   size_t storage_size, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of strings");
    const int n = std::min(max_values, a->list().s_size());
    char* out = static_cast<char*>(storage);
    size_t used = 0;
    for (int i = 0; i < n; ++i) {
      const std::string& v = a->list().s(i);
      if (v.size() > storage_size - used) {
        return InvalidArgument("Not enough storage to hold the requested list of strings");
      }
      std::memcpy(out + used, v.data(), v.size());
      values[i] = out + used;
      lengths[i] = v.size();
      used += v.size();
    }
    return Status::OK();
  });
}

void TF_OperationGetAttrFloatList(TF_Operation* oper, const char* attr_name, float* values,
                                  int max_values, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of floats");
    const int n = std::min(max_values, a->list().f_size());
    for (int i = 0; i < n; ++i) values[i] = a->list().f(i);
    return Status::OK();
  });
}

void TF_OperationGetAttrBoolList(TF_Operation* oper, const char* attr_name, unsigned char* values,
                                 int max_values, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of bools");
    const int n = std::min(max_values, a->list().b_size());
    for (int i = 0; i < n; ++i) values[i] = a->list().b(i) ? 1 : 0;
    return Status::OK();
  });
}

void TF_OperationGetAttrShapeList(TF_Operation* oper, const char* attr_name, int64_t** dims,
                                  int* num_dims, int num_shapes, int64_t* storage, int storage_size,
                                  TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (!a->has_list()) return WrongKind(oper, attr_name, "a list of shapes");
    const int n = std::min(num_shapes, a->list().shape_size());
    int used = 0;
    for (int i = 0; i < n; ++i) {
      const auto& shape = a->list().shape(i);
      dims[i] = nullptr;
      if (shape.unknown_rank()) {
        num_dims[i] = -1;
        continue;
      }
      num_dims[i] = shape.dim_size();
      if (shape.dim_size() > storage_size - used) {
        return InvalidArgument("Not enough storage to hold the requested list of shapes");
      }
      dims[i] = storage + used;
      for (int d = 0; d < shape.dim_size(); ++d) storage[used++] = shape.dim(d).size();
    }
    return Status::OK();
  });
}

void TF_OperationGetAttrTensor(TF_Operation* oper, const char* attr_name, TF_Tensor** value,
                               TF_Status* status) {
  *value = nullptr;
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    if (a->value_case() != tensorflow::AttrValue::kTensor) return WrongKind(oper, attr_name, "a tensor");
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(a->tensor()));
    ASSIGN_OR_RETURN(*value, FromTensor(t));
    return Status::OK();
  });
}

void TF_OperationGetAttrValueProto(TF_Operation* oper, const char* attr_name,
                                   TF_Buffer* output_attr_value, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    ASSIGN_OR_RETURN(const tensorflow::AttrValue* a, FindAttr(oper, attr_name));
    FillBuffer(a->SerializeAsString(), output_attr_value);
    return Status::OK();
  });
}

TF_ImportGraphDefOptions* TF_NewImportGraphDefOptions(void) { return new TF_ImportGraphDefOptions; }
void TF_DeleteImportGraphDefOptions(TF_ImportGraphDefOptions* opts) { delete opts; }
void TF_ImportGraphDefOptionsSetPrefix(TF_ImportGraphDefOptions* opts, const char* prefix) {
  opts->prefix = prefix ? prefix : "";
}

void TF_GraphImportGraphDef(TF_Graph* graph, const TF_Buffer* graph_def,
                            const TF_ImportGraphDefOptions* options, TF_Status* status) {
  Guarded(status, [&] { return Import(graph, graph_def, options); });
}

}  // extern "C"
