#include "savedmodel/kernels/kernel.h"

#include <algorithm>

#include "savedmodel/format/tensor_proto.h"

namespace savedmodel {

using tensorflow::AttrValue;

std::shared_ptr<Variable> ResourceMgr::LookupOrCreateVariable(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto& v = variables_[name];
  if (!v) v = std::make_shared<Variable>();
  return v;
}

// ---- OpKernelConstruction -------------------------------------------------------

const AttrValue* OpKernelConstruction::Find(std::string_view name) const {
  auto it = node_.def.attr().find(std::string(name));
  return it == node_.def.attr().end() ? nullptr : &it->second;
}

bool OpKernelConstruction::HasAttr(std::string_view name) const { return Find(name) != nullptr; }

Status OpKernelConstruction::Error(std::string_view message) const {
  return InvalidArgument("node '" + node_.name() + "' (op " + node_.op() + "): " +
                         std::string(message));
}

Status OpKernelConstruction::UnsupportedType(DataType dt) const {
  return Unimplemented("node '" + node_.name() + "': no " + node_.op() + " kernel for type " +
                       DataTypeString(dt));
}

namespace {

template <typename T, typename Get>
Status GetTyped(const OpKernelConstruction& c, const AttrValue* v, std::string_view name,
                AttrValue::ValueCase want, const char* kind, T* out, Get get) {
  if (v == nullptr) return c.Error("missing attr '" + std::string(name) + "'");
  if (v->value_case() != want) {
    return c.Error("attr '" + std::string(name) + "' is not " + kind);
  }
  *out = get(*v);
  return Status::OK();
}

}  // namespace

Status OpKernelConstruction::GetAttr(std::string_view name, int64_t* out) const {
  return GetTyped(*this, Find(name), name, AttrValue::kI, "an int", out,
                  [](const AttrValue& v) { return v.i(); });
}

Status OpKernelConstruction::GetAttr(std::string_view name, int32_t* out) const {
  int64_t v;
  RETURN_IF_ERROR(GetAttr(name, &v));
  if (v < INT32_MIN || v > INT32_MAX) return Error("attr '" + std::string(name) + "' out of range");
  *out = static_cast<int32_t>(v);
  return Status::OK();
}

Status OpKernelConstruction::GetAttr(std::string_view name, float* out) const {
  return GetTyped(*this, Find(name), name, AttrValue::kF, "a float", out,
                  [](const AttrValue& v) { return v.f(); });
}

Status OpKernelConstruction::GetAttr(std::string_view name, bool* out) const {
  return GetTyped(*this, Find(name), name, AttrValue::kB, "a bool", out,
                  [](const AttrValue& v) { return v.b(); });
}

Status OpKernelConstruction::GetAttr(std::string_view name, std::string* out) const {
  return GetTyped(*this, Find(name), name, AttrValue::kS, "a string", out,
                  [](const AttrValue& v) { return v.s(); });
}

Status OpKernelConstruction::GetAttr(std::string_view name, DataType* out) const {
  return GetTyped(*this, Find(name), name, AttrValue::kType, "a type", out,
                  [](const AttrValue& v) { return static_cast<DataType>(v.type()); });
}

Status OpKernelConstruction::GetAttr(std::string_view name, Tensor* out) const {
  const AttrValue* v = Find(name);
  if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");
  if (v->value_case() != AttrValue::kTensor) {
    return Error("attr '" + std::string(name) + "' is not a tensor");
  }
  auto t = TensorFromProto(v->tensor());
  if (!t.ok()) return Error("attr '" + std::string(name) + "': " + t.status().message());
  *out = std::move(t).value();
  return Status::OK();
}

Status OpKernelConstruction::GetAttr(std::string_view name, PartialShape* out) const {
  const AttrValue* v = Find(name);
  if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");
  if (v->value_case() != AttrValue::kShape) {
    return Error("attr '" + std::string(name) + "' is not a shape");
  }
  auto s = PartialShapeFromProto(v->shape());
  if (!s.ok()) return Error("attr '" + std::string(name) + "': " + s.status().message());
  *out = std::move(s).value();
  return Status::OK();
}

namespace {
// Lists may be unset when empty.
const AttrValue::ListValue* ListOf(const AttrValue* v) {
  static const AttrValue::ListValue* const kEmpty = new AttrValue::ListValue();
  if (v->value_case() == AttrValue::kList) return &v->list();
  if (v->value_case() == AttrValue::VALUE_NOT_SET) return kEmpty;
  return nullptr;
}
}  // namespace

#define SM_LIST_GETTER(T, field, convert)                                           \
  Status OpKernelConstruction::GetAttr(std::string_view name, std::vector<T>* out) const { \
    const AttrValue* v = Find(name);                                                \
    if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");     \
    const AttrValue::ListValue* list = ListOf(v);                                   \
    if (list == nullptr) return Error("attr '" + std::string(name) + "' is not a list"); \
    out->clear();                                                                   \
    for (const auto& e : list->field()) out->push_back(convert(e));                 \
    return Status::OK();                                                            \
  }

SM_LIST_GETTER(int64_t, i, [](int64_t x) { return x; })
SM_LIST_GETTER(std::string, s, [](const std::string& x) { return x; })
SM_LIST_GETTER(DataType, type, [](int x) { return static_cast<DataType>(x); })
#undef SM_LIST_GETTER

Status OpKernelConstruction::GetAttr(std::string_view name, std::vector<int32_t>* out) const {
  std::vector<int64_t> wide;
  RETURN_IF_ERROR(GetAttr(name, &wide));
  out->assign(wide.begin(), wide.end());
  return Status::OK();
}

Status OpKernelConstruction::GetAttr(std::string_view name, std::vector<PartialShape>* out) const {
  const AttrValue* v = Find(name);
  if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");
  const AttrValue::ListValue* list = ListOf(v);
  if (list == nullptr) return Error("attr '" + std::string(name) + "' is not a list");
  out->clear();
  for (const auto& s : list->shape()) {
    auto shape = PartialShapeFromProto(s);
    if (!shape.ok()) return Error("attr '" + std::string(name) + "': " + shape.status().message());
    out->push_back(std::move(shape).value());
  }
  return Status::OK();
}

Status OpKernelConstruction::GetAttr(std::string_view name, tensorflow::NameAttrList* out) const {
  const AttrValue* v = Find(name);
  if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");
  if (!v->has_func()) return Error("attr '" + std::string(name) + "' is not a function");
  *out = v->func();
  return Status::OK();
}

Status OpKernelConstruction::GetAttr(std::string_view name,
                                     std::vector<tensorflow::NameAttrList>* out) const {
  const AttrValue* v = Find(name);
  if (v == nullptr) return Error("missing attr '" + std::string(name) + "'");
  const AttrValue::ListValue* list = ListOf(v);
  if (list == nullptr) return Error("attr '" + std::string(name) + "' is not a list");
  out->assign(list->func().begin(), list->func().end());
  return Status::OK();
}

// ---- OpKernelContext -----------------------------------------------------------

Status OpKernelContext::Error(std::string_view message) const {
  return Status(StatusCode::kInvalidArgument,
                "node '" + node_.name() + "' (op " + node_.op() + "): " + std::string(message));
}

Status OpKernelContext::InvalidArg(std::string_view message) const { return Error(message); }

const Tensor& OpKernelContext::ReadRef(int i) const {
  std::lock_guard<std::mutex> l(ref_mu_);
  if (ref_reads_ == nullptr) ref_reads_ = std::make_unique<std::optional<Tensor>[]>(inputs_.size());
  std::optional<Tensor>& read = ref_reads_[i];
  if (!read) read = inputs_[i]->ref->value();
  return *read;
}

// ---- KernelRegistry --------------------------------------------------------------

KernelRegistry& KernelRegistry::Global() {
  static KernelRegistry* const r = new KernelRegistry();
  return *r;
}

void KernelRegistry::Register(std::string op, KernelFactory factory) {
  factories_[std::move(op)] = std::move(factory);
}

StatusOr<std::unique_ptr<OpKernel>> KernelRegistry::Create(const Node& node, Env* env,
                                                           FunctionLibraryRuntime* functions) const {
  auto it = factories_.find(node.op());
  if (it == factories_.end()) {
    return Unimplemented("no kernel for op '" + node.op() + "' (node '" + node.name() + "')");
  }
  return it->second(OpKernelConstruction(node, env, functions));
}

bool KernelRegistry::Has(std::string_view op) const {
  return factories_.count(std::string(op)) > 0;
}

std::vector<std::string> KernelRegistry::Ops() const {
  std::vector<std::string> ops;
  for (const auto& [op, _] : factories_) ops.push_back(op);
  std::sort(ops.begin(), ops.end());
  return ops;
}

}  // namespace savedmodel
