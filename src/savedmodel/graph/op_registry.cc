#include "savedmodel/graph/op_registry.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>

#include <google/protobuf/text_format.h>

namespace savedmodel {

// op_defs.pbtxt encoded as a binary tensorflow.OpList by the build (see the
// op_defs rule in CMakeLists.txt).
extern const unsigned char kEmbeddedOpDefs[];
extern const std::size_t kEmbeddedOpDefsSize;

namespace {

using tensorflow::AttrValue;
using tensorflow::NodeDef;
using tensorflow::OpDef;

const AttrValue* FindAttr(const NodeDef& node, const std::string& name) {
  auto it = node.attr().find(name);
  return it == node.attr().end() ? nullptr : &it->second;
}

std::string NodeDesc(const NodeDef& node) { return "node '" + node.name() + "' (op " + node.op() + ")"; }

StatusOr<DataType> TypeAttr(const NodeDef& node, const OpDef& def, const std::string& attr_name) {
  const AttrValue* v = FindAttr(node, attr_name);
  if (v == nullptr) {
    return InvalidArgument(NodeDesc(node) + " is missing attr '" + attr_name + "'");
  }
  if (v->value_case() != AttrValue::kType) {
    return InvalidArgument(NodeDesc(node) + ": attr '" + attr_name + "' must be a type");
  }
  for (const auto& a : def.attr()) {
    if (a.name() != attr_name || !a.has_allowed_values()) continue;
    const auto& allowed = a.allowed_values().list().type();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v->type()) == allowed.end()) {
      return InvalidArgument(NodeDesc(node) + ": attr '" + attr_name + "' has type " +
                             DataTypeString(static_cast<DataType>(v->type())) +
                             ", which the op does not allow");
    }
  }
  return static_cast<DataType>(v->type());
}

Status ResolveArgs(const NodeDef& node, const OpDef& def,
                   const google::protobuf::RepeatedPtrField<OpDef::ArgDef>& args,
                   std::vector<DataType>* out) {
  out->clear();
  for (const auto& arg : args) {
    std::vector<DataType> types;
    if (!arg.type_list_attr().empty()) {
      const AttrValue* v = FindAttr(node, arg.type_list_attr());
      if (v == nullptr || (v->value_case() != AttrValue::kList && v->value_case() != AttrValue::VALUE_NOT_SET)) {
        return InvalidArgument(NodeDesc(node) + " is missing list(type) attr '" +
                               arg.type_list_attr() + "'");
      }
      for (int t : v->list().type()) types.push_back(static_cast<DataType>(t));
    } else {
      DataType t;
      if (!arg.type_attr().empty()) {
        ASSIGN_OR_RETURN(t, TypeAttr(node, def, arg.type_attr()));
      } else {
        t = static_cast<DataType>(arg.type());
      }
      int64_t n = 1;
      if (!arg.number_attr().empty()) {
        const AttrValue* v = FindAttr(node, arg.number_attr());
        if (v == nullptr || v->value_case() != AttrValue::kI) {
          return InvalidArgument(NodeDesc(node) + " is missing int attr '" + arg.number_attr() +
                                 "'");
        }
        n = v->i();
        if (n < 0 || n > 1'000'000) {
          return InvalidArgument(NodeDesc(node) + ": attr '" + arg.number_attr() + "' is " +
                                 std::to_string(n));
        }
      }
      types.assign(static_cast<size_t>(n), t);
    }
    for (DataType t : types) {
      out->push_back(arg.is_ref() ? static_cast<DataType>(t + kDataTypeRefOffset) : t);
    }
  }
  return Status::OK();
}

// Whether `value` holds the kind of value an OpDef attr of type `type` needs
// ("int", "list(type)", ...). An unset value stands for an empty list.
bool AttrKindMatches(const std::string& type, const AttrValue& value) {
  if (type.rfind("list(", 0) == 0) {
    return value.value_case() == AttrValue::kList || value.value_case() == AttrValue::VALUE_NOT_SET;
  }
  switch (value.value_case()) {
    case AttrValue::kS: return type == "string";
    case AttrValue::kI: return type == "int";
    case AttrValue::kF: return type == "float";
    case AttrValue::kB: return type == "bool";
    case AttrValue::kType: return type == "type";
    case AttrValue::kShape: return type == "shape";
    case AttrValue::kTensor: return type == "tensor";
    case AttrValue::kFunc: return type == "func";
    default: return false;
  }
}

}  // namespace

const OpRegistry& OpRegistry::Global() {
  static const OpRegistry* const registry = [] {
    auto* r = new OpRegistry();
    // The embedded bytes are produced by protoc at build time and tested;
    // failing to parse them is a build defect, not an input error.
    if (!r->ops_.ParseFromArray(kEmbeddedOpDefs, static_cast<int>(kEmbeddedOpDefsSize))) std::abort();
    r->Index();
    return r;
  }();
  return *registry;
}

StatusOr<std::unique_ptr<OpRegistry>> OpRegistry::FromText(std::string_view op_list_text) {
  auto r = std::unique_ptr<OpRegistry>(new OpRegistry());
  if (!google::protobuf::TextFormat::ParseFromString(std::string(op_list_text), &r->ops_)) {
    return InvalidArgument("op definitions do not parse as a text-format OpList");
  }
  r->Index();
  return r;
}

void OpRegistry::Index() {
  by_name_.reserve(ops_.op_size());
  for (const auto& op : ops_.op()) by_name_[op.name()] = &op;
}

const OpDef* OpRegistry::Find(std::string_view op) const {
  auto it = by_name_.find(std::string(op));
  return it == by_name_.end() ? nullptr : it->second;
}

StatusOr<const OpDef*> OpRegistry::LookUp(std::string_view op) const {
  const OpDef* def = Find(op);
  if (def == nullptr) return NotFound("Op type not registered '" + std::string(op) + "'");
  return def;
}

std::vector<std::string> OpRegistry::OpNames() const {
  std::vector<std::string> names;
  for (const auto& op : ops_.op()) names.push_back(op.name());
  std::sort(names.begin(), names.end());
  return names;
}

void OpRegistry::AddDefaultAttrs(NodeDef* node) const {
  const OpDef* def = Find(node->op());
  if (def == nullptr) return;
  for (const auto& attr : def->attr()) {
    if (attr.has_default_value() && !node->attr().contains(attr.name())) {
      (*node->mutable_attr())[attr.name()] = attr.default_value();
    }
  }
}

Status OpRegistry::ResolveTypes(const NodeDef& node, std::vector<DataType>* inputs,
                                std::vector<DataType>* outputs) const {
  ASSIGN_OR_RETURN(const OpDef* def, LookUp(node.op()));
  for (const auto& attr : def->attr()) {
    const AttrValue* v = FindAttr(node, attr.name());
    if (v == nullptr) {
      return InvalidArgument(NodeDesc(node) + " is missing attr '" + attr.name() + "'");
    }
    if (!AttrKindMatches(attr.type(), *v)) {
      return InvalidArgument(NodeDesc(node) + ": attr '" + attr.name() + "' should be of type " +
                             attr.type());
    }
  }
  RETURN_IF_ERROR(ResolveArgs(node, *def, def->input_arg(), inputs));
  RETURN_IF_ERROR(ResolveArgs(node, *def, def->output_arg(), outputs));
  return Status::OK();
}

}  // namespace savedmodel
