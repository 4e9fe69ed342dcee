#include "savedmodel/train/graph_builder.h"

#include <algorithm>
#include <cctype>

#include "savedmodel/format/tensor_proto.h"

namespace savedmodel::train {

using tensorflow::AttrValue;

AttrValue AttrType(DataType dt) {
  AttrValue v;
  v.set_type(static_cast<tensorflow::DataType>(dt));
  return v;
}
AttrValue AttrInt(int64_t x) {
  AttrValue v;
  v.set_i(x);
  return v;
}
AttrValue AttrFloat(float x) {
  AttrValue v;
  v.set_f(x);
  return v;
}
AttrValue AttrBool(bool x) {
  AttrValue v;
  v.set_b(x);
  return v;
}
AttrValue AttrString(const std::string& s) {
  AttrValue v;
  v.set_s(s);
  return v;
}
AttrValue AttrShape(const std::vector<int64_t>& dims) {
  AttrValue v;
  auto* shape = v.mutable_shape();
  for (int64_t d : dims) shape->add_dim()->set_size(d);
  return v;
}
AttrValue AttrTensor(const Tensor& t) {
  AttrValue v;
  // TensorFlow's Python writes tensor_content for multi-element numeric
  // constants and typed fields for scalars.
  TensorToProto(t, v.mutable_tensor(), t.dtype() != DT_STRING && t.num_elements() > 1);
  return v;
}
AttrValue AttrInts(const std::vector<int64_t>& xs) {
  AttrValue v;
  auto* list = v.mutable_list();
  for (int64_t x : xs) list->add_i(x);
  return v;
}
AttrValue AttrStrings(const std::vector<std::string>& xs) {
  AttrValue v;
  auto* list = v.mutable_list();
  for (const auto& x : xs) list->add_s(x);
  return v;
}
AttrValue AttrTypes(const std::vector<DataType>& xs) {
  AttrValue v;
  auto* list = v.mutable_list();
  for (DataType x : xs) list->add_type(static_cast<tensorflow::DataType>(x));
  return v;
}

GraphBuilder::GraphBuilder(const OpRegistry& registry) : registry_(registry) {
  graph_.mutable_versions()->set_producer(27);  // the GraphDef version TF 1.15-2.x writes
}

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void GraphBuilder::ReserveName(const std::string& name) {
  int& count = name_counts_[Lower(name)];
  if (count == 0) count = 1;
}

std::string GraphBuilder::UniqueName(const std::string& base) {
  std::string name = scope_.empty() ? base : scope_ + "/" + base;
  std::string key = Lower(name);
  auto it = name_counts_.find(key);
  if (it == name_counts_.end()) {
    name_counts_[key] = 1;
    return name;
  }
  // tf.Graph.unique_name: try name_1, name_2, ... skipping names taken since.
  int i = it->second;
  std::string candidate;
  do {
    candidate = name + "_" + std::to_string(i++);
  } while (name_counts_.count(Lower(candidate)));
  it->second = i;
  name_counts_[Lower(candidate)] = 1;
  return candidate;
}

GraphBuilder::NameScope::NameScope(GraphBuilder* b, const std::string& name) : b_(b), saved_(b->scope_) {
  prefix_ = b->UniqueName(name);
  b->scope_ = prefix_;
}

GraphBuilder::NameScope::~NameScope() { b_->scope_ = saved_; }

Status GraphBuilder::AddGraph(const tensorflow::GraphDef& graph) {
  for (const auto& in : graph.node()) {
    if (node_index_.count(in.name())) return InvalidArgument("duplicate node name '" + in.name() + "'");
    tensorflow::NodeDef node = in;
    registry_.AddDefaultAttrs(&node);
    ReserveName(node.name());
    node_index_[node.name()] = graph_.node_size();
    *graph_.add_node() = std::move(node);
  }
  return Status::OK();
}

StatusOr<Output> GraphBuilder::FindOutput(const std::string& tensor_name) const {
  Output out;
  const size_t colon = tensor_name.rfind(':');
  out.node = tensor_name.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string digits = tensor_name.substr(colon + 1);
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("bad output index in tensor name '" + tensor_name + "'");
    }
    out.index = std::stoi(digits);
  }
  const tensorflow::NodeDef* node = FindNode(out.node);
  if (node == nullptr) return NotFound("no node '" + out.node + "'");
  std::vector<DataType> in, outs;
  RETURN_IF_ERROR(registry_.ResolveTypes(*node, &in, &outs));
  if (out.index >= static_cast<int>(outs.size())) {
    return InvalidArgument("node '" + out.node + "' has no output " + std::to_string(out.index));
  }
  out.dtype = outs[out.index];
  return out;
}

const tensorflow::NodeDef* GraphBuilder::FindNode(const std::string& name) const {
  auto it = node_index_.find(name);
  return it == node_index_.end() ? nullptr : &graph_.node(it->second);
}

std::vector<Output> GraphBuilder::AddOp(const std::string& op, const std::vector<Input>& inputs,
                                        const std::map<std::string, AttrValue>& attrs,
                                        const std::string& name,
                                        const std::vector<std::string>& control_inputs) {
  if (!status_.ok()) return {};
  const tensorflow::OpDef* def = registry_.Find(op);
  if (def == nullptr) {
    UpdateStatus(NotFound("Op type not registered '" + op + "'"));
    return {};
  }
  if (static_cast<int>(inputs.size()) != def->input_arg_size()) {
    UpdateStatus(InvalidArgument(op + " takes " + std::to_string(def->input_arg_size()) +
                                 " inputs, got " + std::to_string(inputs.size())));
    return {};
  }
  tensorflow::NodeDef node;
  node.set_op(op);
  // A name ending in '/' is taken as is (TensorFlow's convention for reusing a
  // scope's own name, e.g. a variable named after its name scope).
  if (!name.empty() && name.back() == '/') {
    node.set_name(name.substr(0, name.size() - 1));
    if (node_index_.count(node.name())) {
      UpdateStatus(AlreadyExists("a node named '" + node.name() + "' already exists"));
      return {};
    }
    ReserveName(node.name());
  } else {
    node.set_name(UniqueName(name.empty() ? op : name));
  }
  for (const auto& [k, v] : attrs) (*node.mutable_attr())[k] = v;

  auto infer = [&](const std::string& attr, const AttrValue& v) {
    if (!attr.empty() && !node.attr().contains(attr)) (*node.mutable_attr())[attr] = v;
  };
  for (int i = 0; i < def->input_arg_size(); ++i) {
    const auto& arg = def->input_arg(i);
    std::vector<Output> items;
    if (const auto* one = std::get_if<Output>(&inputs[i])) {
      items.push_back(*one);
    } else {
      items = std::get<std::vector<Output>>(inputs[i]);
    }
    for (const Output& o : items) {
      if (!o.valid()) {
        UpdateStatus(InvalidArgument("input " + std::to_string(i) + " of " + node.name() +
                                     " is not a valid tensor"));
        return {};
      }
      node.add_input(o.input_name());
    }
    if (!arg.number_attr().empty()) infer(arg.number_attr(), AttrInt(static_cast<int64_t>(items.size())));
    if (!arg.type_list_attr().empty()) {
      std::vector<DataType> types;
      for (const Output& o : items) types.push_back(BaseType(o.dtype));
      infer(arg.type_list_attr(), AttrTypes(types));
    } else if (!arg.type_attr().empty() && !items.empty()) {
      infer(arg.type_attr(), AttrType(BaseType(items[0].dtype)));
    }
  }
  for (const std::string& c : control_inputs) node.add_input("^" + c);
  registry_.AddDefaultAttrs(&node);

  std::vector<DataType> in_types, out_types;
  Status s = registry_.ResolveTypes(node, &in_types, &out_types);
  if (!s.ok()) {
    UpdateStatus(s);
    return {};
  }
  // Check each input's dtype against what the OpDef now says it takes.
  int k = 0;
  for (const auto& in : inputs) {
    std::vector<Output> items;
    if (const auto* one = std::get_if<Output>(&in)) {
      items.push_back(*one);
    } else {
      items = std::get<std::vector<Output>>(in);
    }
    for (const Output& o : items) {
      DataType want = in_types[k++];
      if (o.dtype != want && BaseType(o.dtype) != want) {
        UpdateStatus(InvalidArgument(node.name() + " (op " + op + "): input '" + o.name() + "' is " +
                                     DataTypeString(o.dtype) + ", expected " + DataTypeString(want)));
        return {};
      }
    }
  }
  node_index_[node.name()] = graph_.node_size();
  std::vector<Output> outs;
  for (size_t i = 0; i < out_types.size(); ++i) {
    outs.push_back(Output{node.name(), static_cast<int>(i), out_types[i]});
  }
  *graph_.add_node() = std::move(node);
  return outs;
}

Output GraphBuilder::Op(const std::string& op, const std::vector<Input>& inputs,
                        const std::map<std::string, AttrValue>& attrs, const std::string& name,
                        const std::vector<std::string>& control_inputs) {
  auto outs = AddOp(op, inputs, attrs, name, control_inputs);
  return outs.empty() ? Output{} : outs[0];
}

std::string GraphBuilder::Target(const std::string& op, const std::vector<Input>& inputs,
                                 const std::map<std::string, AttrValue>& attrs,
                                 const std::string& name,
                                 const std::vector<std::string>& control_inputs) {
  int before = graph_.node_size();
  AddOp(op, inputs, attrs, name, control_inputs);
  return graph_.node_size() > before ? graph_.node(before).name() : "";
}

}  // namespace savedmodel::train
