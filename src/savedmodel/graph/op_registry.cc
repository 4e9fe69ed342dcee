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

// Allowed values and kinds were checked by ValidateAttrs before this runs.
StatusOr<DataType> TypeAttr(const NodeDef& node, const std::string& attr_name) {
  const AttrValue* v = FindAttr(node, attr_name);
  if (v == nullptr) {
    return InvalidArgument(NodeDesc(node) + " is missing attr '" + attr_name + "'");
  }
  if (v->value_case() != AttrValue::kType) {
    return InvalidArgument(NodeDesc(node) + ": attr '" + attr_name + "' must be a type");
  }
  return static_cast<DataType>(v->type());
}

Status ResolveArgs(const NodeDef& node,
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
        ASSIGN_OR_RETURN(t, TypeAttr(node, arg.type_attr()));
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


std::string QuotedList(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "\"" : ", \"") + v + "\"";
  return out;
}

std::string TypeList(const google::protobuf::RepeatedField<int>& types) {
  std::string out;
  for (int t : types) out += (out.empty() ? "" : ", ") + DataTypeString(static_cast<DataType>(t));
  return out;
}

// One dtype held by a "type" or "list(type)" attr. TensorFlow's
// ValidateAttrValue wording, so errors read the same as TF's import errors;
// the parenthesis keeps the phrase callers matched before TF's wording.
Status ValidateType(const OpDef::AttrDef& attr, int type) {
  if (type == tensorflow::DT_INVALID || !tensorflow::DataType_IsValid(type)) {
    return InvalidArgument("Value for attr '" + attr.name() + "' of " + std::to_string(type) +
                           " is not a valid DataType");
  }
  if (type > kDataTypeRefOffset) {
    return InvalidArgument("AttrValue must not have reference type value of " +
                           DataTypeString(static_cast<DataType>(type)) + " for attr '" +
                           attr.name() + "'");
  }
  const auto& allowed = attr.allowed_values().list().type();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
    return InvalidArgument("Value for attr '" + attr.name() + "' of " +
                           DataTypeString(static_cast<DataType>(type)) +
                           " is not in the list of allowed values: " + TypeList(allowed) +
                           " (the op does not allow this type)");
  }
  return Status::OK();
}

Status ValidateString(const OpDef::AttrDef& attr, const std::string& value) {
  const auto& allowed = attr.allowed_values().list().s();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    return InvalidArgument("Value for attr '" + attr.name() + "' of \"" + value +
                           "\" is not in the list of allowed values: " + QuotedList(allowed));
  }
  return Status::OK();
}

// Every OpDef constraint on one attr value: minimum (of an int, or of a
// list's length) and allowed values of type and string attrs. Kernels rely on
// these (Pack with N=0 has no input to take a shape from), so they are
// enforced once here rather than in each kernel.
Status ValidateAttrValue(const OpDef::AttrDef& attr, const AttrValue& v) {
  const std::string& type = attr.type();
  if (type.rfind("list(", 0) == 0) {
    const auto& list = v.list();
    const int64_t length = std::max({list.s_size(), list.i_size(), list.f_size(), list.b_size(),
                                     list.type_size(), list.shape_size(), list.tensor_size(),
                                     list.func_size()});
    if (attr.has_minimum() && length < attr.minimum()) {
      return InvalidArgument("Length for attr '" + attr.name() + "' of " + std::to_string(length) +
                             " must be at least minimum " + std::to_string(attr.minimum()));
    }
    if (type == "list(type)") {
      for (int t : list.type()) RETURN_IF_ERROR(ValidateType(attr, t));
    } else if (type == "list(string)") {
      for (const std::string& s : list.s()) RETURN_IF_ERROR(ValidateString(attr, s));
    }
    return Status::OK();
  }
  if (type == "int" && attr.has_minimum() && v.i() < attr.minimum()) {
    return InvalidArgument("Value for attr '" + attr.name() + "' of " + std::to_string(v.i()) +
                           " must be at least minimum " + std::to_string(attr.minimum()));
  }
  if (type == "type") return ValidateType(attr, v.type());
  if (type == "string") return ValidateString(attr, v.s());
  return Status::OK();
}

// Reads a base-128 varint below 2^32 from [*p, end).
bool ReadVarint32(const unsigned char** p, const unsigned char* end, uint32_t* v) {
  *v = 0;
  for (int shift = 0; shift < 35 && *p < end; shift += 7) {
    const unsigned char byte = *(*p)++;
    *v |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return shift < 28 || byte < 0x10;
  }
  return false;
}

// The name (field 1) of a serialized OpDef: protobuf writes fields in number
// order, so it comes first, but any field before it is skipped properly.
bool OpDefName(std::string_view def, std::string_view* name) {
  auto* p = reinterpret_cast<const unsigned char*>(def.data());
  const unsigned char* end = p + def.size();
  while (p < end) {
    uint32_t tag = 0, len = 0;
    if (!ReadVarint32(&p, end, &tag)) return false;
    switch (tag & 7) {
      case 0:  // a varint of up to 64 bits: skip to its last byte
        while (p < end && (*p++ & 0x80) != 0) {
        }
        break;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      case 2:
        if (!ReadVarint32(&p, end, &len) || len > static_cast<uint32_t>(end - p)) return false;
        if (tag >> 3 == 1) {
          *name = std::string_view(reinterpret_cast<const char*>(p), len);
          return true;
        }
        p += len;
        break;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace

const OpRegistry& OpRegistry::Global() {
  static const OpRegistry* const registry = [] {
    auto* r = new OpRegistry();
    // The embedded bytes are produced by protoc at build time and tested;
    // failing to index them is a build defect, not an input error.
    if (!r->Index(std::string_view(reinterpret_cast<const char*>(kEmbeddedOpDefs), kEmbeddedOpDefsSize))) {
      std::abort();
    }
    return r;
  }();
  return *registry;
}

StatusOr<std::unique_ptr<OpRegistry>> OpRegistry::FromText(std::string_view op_list_text) {
  auto r = std::unique_ptr<OpRegistry>(new OpRegistry());
  tensorflow::OpList ops;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(op_list_text), &ops)) {
    return InvalidArgument("op definitions do not parse as a text-format OpList");
  }
  if (!ops.SerializeToString(&r->owned_) || !r->Index(r->owned_)) {
    return InvalidArgument("op definitions do not serialize as an OpList");
  }
  return r;
}

bool OpRegistry::Index(std::string_view op_list) {
  auto* p = reinterpret_cast<const unsigned char*>(op_list.data());
  const unsigned char* end = p + op_list.size();
  while (p < end) {
    uint32_t tag = 0, len = 0;
    // OpList has one field: repeated OpDef op = 1.
    if (!ReadVarint32(&p, end, &tag) || tag != ((1 << 3) | 2)) return false;
    if (!ReadVarint32(&p, end, &len) || len > static_cast<uint32_t>(end - p)) return false;
    const std::string_view def(reinterpret_cast<const char*>(p), len);
    p += len;
    std::string_view name;
    if (!OpDefName(def, &name)) return false;
    by_name_[std::string(name)].bytes = def;  // a later duplicate wins, as a full parse would have it
  }
  return true;
}

const OpDef* OpRegistry::Find(std::string_view op) const {
  auto it = by_name_.find(op);
  if (it == by_name_.end()) return nullptr;
  const Entry& e = it->second;
  std::call_once(e.parsed, [&e] {
    auto def = std::make_unique<OpDef>();
    // Bytes that were indexed but do not parse are a build defect as above
    // (FromText's come from a parsed message).
    if (!def->ParseFromArray(e.bytes.data(), static_cast<int>(e.bytes.size()))) std::abort();
    e.def = std::move(def);
  });
  return e.def.get();
}

StatusOr<const OpDef*> OpRegistry::LookUp(std::string_view op) const {
  const OpDef* def = Find(op);
  if (def == nullptr) return NotFound("Op type not registered '" + std::string(op) + "'");
  return def;
}

std::vector<std::string> OpRegistry::OpNames() const {
  std::vector<std::string> names;
  names.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) names.push_back(name);
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
    Status valid = ValidateAttrValue(attr, *v);
    if (!valid.ok()) return InvalidArgument(NodeDesc(node) + ": " + valid.message());
  }
  RETURN_IF_ERROR(ResolveArgs(node, def->input_arg(), inputs));
  RETURN_IF_ERROR(ResolveArgs(node, def->output_arg(), outputs));
  return Status::OK();
}

}  // namespace savedmodel
