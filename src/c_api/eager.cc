// The eager subset: tensor handles over runtime Tensors, and TFE_Execute
// running one op through the kernel registry. Each distinct (op, attrs, input
// count) gets a one-node graph and a kernel, built once per context and then
// shared by every thread that runs it (kernels are thread-safe).
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "c_api/internal.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/graph/op_registry.h"
#include "savedmodel/kernels/kernel.h"

struct TFE_ContextOptions {};

namespace savedmodel::capi {
namespace {

constexpr char kCpuDevice[] = "/job:localhost/replica:0/task:0/device:CPU:0";
// Distinct kernels a context keeps before it starts over, so programs that
// make ever-new attr values (shapes, strings) do not grow it without bound.
constexpr size_t kMaxCachedKernels = 4096;

struct CachedKernel {
  std::unique_ptr<const Graph> graph;
  const Node* node = nullptr;
  std::unique_ptr<OpKernel> kernel;
};

}  // namespace
}  // namespace savedmodel::capi

struct TFE_Context {
  savedmodel::ResourceMgr resources;
  std::mutex mu;  // guards kernels
  std::unordered_map<std::string, std::shared_ptr<const savedmodel::capi::CachedKernel>> kernels;
};

struct TFE_TensorHandle {
  savedmodel::Tensor tensor;
};

struct TFE_Op {
  TFE_Context* ctx = nullptr;
  std::string type;
  const tensorflow::OpDef* op_def = nullptr;
  std::vector<savedmodel::Tensor> inputs;
  std::vector<int> arg_sizes;  // inputs per argument added (a list counts once)
  std::map<std::string, tensorflow::AttrValue> attrs;
};

namespace savedmodel::capi {
namespace {

// Sets the type and length attrs TensorFlow infers from argument `arg`'s
// inputs (T, N, list(type) attrs), just added as inputs[first, first + n).
// As in TensorFlow's eager runtime the first value an attr gets stays: one
// inferred from an input wins over a later TFE_OpSetAttr* call.
void InferAttrs(TFE_Op* op, size_t arg_index, size_t first, int n) {
  const auto& args = op->op_def->input_arg();
  if (arg_index >= static_cast<size_t>(args.size())) return;  // Execute reports the count
  const auto& arg = args[static_cast<int>(arg_index)];
  if (!arg.number_attr().empty()) op->attrs[arg.number_attr()].set_i(n);
  if (!arg.type_attr().empty() && n > 0 && !op->attrs.count(arg.type_attr())) {
    op->attrs[arg.type_attr()].set_type(static_cast<tensorflow::DataType>(op->inputs[first].dtype()));
  }
  if (!arg.type_list_attr().empty() && !op->attrs.count(arg.type_list_attr())) {
    auto* list = op->attrs[arg.type_list_attr()].mutable_list();
    for (int i = 0; i < n; ++i) {
      list->add_type(static_cast<tensorflow::DataType>(op->inputs[first + static_cast<size_t>(i)].dtype()));
    }
  }
}

Status CheckArgCount(const TFE_Op& op) {
  const int want = op.op_def->input_arg_size();
  if (op.arg_sizes.size() != static_cast<size_t>(want)) {
    return InvalidArgument("Expected " + std::to_string(want) + " inputs for op " + op.type +
                           " but got " + std::to_string(op.arg_sizes.size()));
  }
  return Status::OK();
}

std::string CacheKey(const TFE_Op& op) {
  std::string key = op.type;
  for (int n : op.arg_sizes) key += "," + std::to_string(n);
  for (const auto& [name, value] : op.attrs) {
    key += "|" + name + "=" + value.SerializeAsString();
  }
  return key;
}

// A one-node graph: Placeholders for the inputs feeding the op.
StatusOr<std::shared_ptr<const CachedKernel>> BuildKernel(const TFE_Op& op) {
  tensorflow::GraphDef def;
  tensorflow::NodeDef* node = nullptr;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    auto* ph = def.add_node();
    ph->set_name("input" + std::to_string(i));
    ph->set_op("Placeholder");
    (*ph->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(op.inputs[i].dtype()));
  }
  node = def.add_node();
  node->set_name(op.type);
  node->set_op(op.type);
  for (size_t i = 0; i < op.inputs.size(); ++i) node->add_input("input" + std::to_string(i));
  for (const auto& [name, value] : op.attrs) (*node->mutable_attr())[name] = value;
  auto cached = std::make_shared<CachedKernel>();
  ASSIGN_OR_RETURN(cached->graph, Graph::Import(std::move(def)));
  cached->node = &cached->graph->nodes().back();
  ASSIGN_OR_RETURN(cached->kernel, KernelRegistry::Global().Create(*cached->node, Env::Default()));
  return std::shared_ptr<const CachedKernel>(std::move(cached));
}

StatusOr<std::shared_ptr<const CachedKernel>> KernelFor(TFE_Op* op) {
  RETURN_IF_ERROR(CheckArgCount(*op));
  std::string key = CacheKey(*op);
  {
    std::lock_guard<std::mutex> l(op->ctx->mu);
    auto it = op->ctx->kernels.find(key);
    if (it != op->ctx->kernels.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto built, BuildKernel(*op));
  std::lock_guard<std::mutex> l(op->ctx->mu);
  if (op->ctx->kernels.size() >= kMaxCachedKernels) op->ctx->kernels.clear();
  return op->ctx->kernels.emplace(std::move(key), std::move(built)).first->second;
}

Status Execute(TFE_Op* op, TFE_TensorHandle** retvals, int* num_retvals) {
  if (op == nullptr || num_retvals == nullptr) return InvalidArgument("null op or num_retvals");
  ASSIGN_OR_RETURN(auto cached, KernelFor(op));
  const Node& node = *cached->node;
  for (size_t i = 0; i < op->inputs.size(); ++i) {
    if (op->inputs[i].dtype() != BaseType(node.input_types[i])) {
      return InvalidArgument("cannot compute " + op->type + " as input #" + std::to_string(i) +
                             "(zero-based) was expected to be a " +
                             DataTypeString(node.input_types[i]) + " tensor but is a " +
                             DataTypeString(op->inputs[i].dtype()) + " tensor");
    }
  }
  if (node.num_outputs() > *num_retvals) {
    return InvalidArgument("op " + op->type + " has " + std::to_string(node.num_outputs()) +
                           " outputs but room for " + std::to_string(*num_retvals) + " was given");
  }
  std::vector<Value> in(op->inputs.size());
  std::vector<const Value*> in_ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    in[i].tensor = op->inputs[i];
    in_ptrs.push_back(&in[i]);
  }
  std::vector<Value> out(static_cast<size_t>(node.num_outputs()));
  {
    ScopedTensorByteLimit limit;
    OpKernelContext ctx(node, std::move(in_ptrs), &out, &op->ctx->resources, nullptr);
    try {
      RETURN_IF_ERROR(cached->kernel->Compute(&ctx));
    } catch (const TensorAllocationError& e) {
      return ResourceExhausted(e.message());
    }
  }
  for (const Value& v : out) {
    if (v.resource != nullptr) return Unimplemented("op " + op->type + " returns a resource");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    retvals[i] = new TFE_TensorHandle{out[i].Get()};
  }
  *num_retvals = static_cast<int>(out.size());
  return Status::OK();
}

void SetAttr(TFE_Op* op, const char* name, tensorflow::AttrValue value) {
  if (op == nullptr || name == nullptr) return;
  op->attrs.emplace(name, std::move(value));  // the first value set stays (see InferAttrs)
}

void ShapeProto(const int64_t* dims, int num_dims, tensorflow::TensorShapeProto* shape) {
  if (num_dims < 0) {
    shape->set_unknown_rank(true);
    return;
  }
  for (int i = 0; i < num_dims; ++i) shape->add_dim()->set_size(dims[i]);
}

}  // namespace
}  // namespace savedmodel::capi

using namespace savedmodel;        // NOLINT: C entry points below
using namespace savedmodel::capi;  // NOLINT

extern "C" {

TFE_ContextOptions* TFE_NewContextOptions(void) { return new TFE_ContextOptions; }
void TFE_ContextOptionsSetAsync(TFE_ContextOptions*, unsigned char) {}
void TFE_ContextOptionsSetDevicePlacementPolicy(TFE_ContextOptions*,
                                                TFE_ContextDevicePlacementPolicy) {}
void TFE_DeleteContextOptions(TFE_ContextOptions* options) { delete options; }

TFE_Context* TFE_NewContext(const TFE_ContextOptions*, TF_Status* status) {
  TFE_Context* ctx = nullptr;
  Guarded(status, [&] {
    ctx = new TFE_Context;
    return Status::OK();
  });
  return ctx;
}

void TFE_DeleteContext(TFE_Context* ctx) { delete ctx; }

TFE_TensorHandle* TFE_NewTensorHandle(const TF_Tensor* t, TF_Status* status) {
  TFE_TensorHandle* h = nullptr;
  Guarded(status, [&]() -> Status {
    if (t == nullptr) return InvalidArgument("null tensor");
    ASSIGN_OR_RETURN(Tensor tensor, ToTensor(*t));
    h = new TFE_TensorHandle{std::move(tensor)};
    return Status::OK();
  });
  return h;
}

void TFE_DeleteTensorHandle(TFE_TensorHandle* h) { delete h; }

TF_DataType TFE_TensorHandleDataType(TFE_TensorHandle* h) {
  return static_cast<TF_DataType>(h->tensor.dtype());
}

int TFE_TensorHandleNumDims(TFE_TensorHandle* h, TF_Status* status) {
  Set(status, Status::OK());
  return h->tensor.rank();
}

int64_t TFE_TensorHandleNumElements(TFE_TensorHandle* h, TF_Status* status) {
  Set(status, Status::OK());
  return h->tensor.num_elements();
}

int64_t TFE_TensorHandleDim(TFE_TensorHandle* h, int dim_index, TF_Status* status) {
  if (dim_index < 0 || dim_index >= h->tensor.rank()) {
    Set(status, InvalidArgument("Expected dimension index in [0, " +
                                std::to_string(h->tensor.rank()) + "), got " +
                                std::to_string(dim_index)));
    return -1;
  }
  Set(status, Status::OK());
  return h->tensor.dim(dim_index);
}

const char* TFE_TensorHandleDeviceName(TFE_TensorHandle*, TF_Status* status) {
  Set(status, Status::OK());
  return kCpuDevice;
}

const char* TFE_TensorHandleBackingDeviceName(TFE_TensorHandle*, TF_Status* status) {
  Set(status, Status::OK());
  return kCpuDevice;
}

TFE_TensorHandle* TFE_TensorHandleCopySharingTensor(TFE_TensorHandle* h, TF_Status* status) {
  TFE_TensorHandle* copy = nullptr;
  Guarded(status, [&] {
    copy = new TFE_TensorHandle{h->tensor};
    return Status::OK();
  });
  return copy;
}

TF_Tensor* TFE_TensorHandleResolve(TFE_TensorHandle* h, TF_Status* status) {
  TF_Tensor* t = nullptr;
  Guarded(status, [&]() -> Status {
    if (h == nullptr) return InvalidArgument("null tensor handle");
    ASSIGN_OR_RETURN(t, FromTensor(h->tensor));
    return Status::OK();
  });
  return t;
}

TFE_Op* TFE_NewOp(TFE_Context* ctx, const char* op_or_function_name, TF_Status* status) {
  TFE_Op* op = nullptr;
  Guarded(status, [&]() -> Status {
    if (ctx == nullptr || op_or_function_name == nullptr) return InvalidArgument("null argument");
    ASSIGN_OR_RETURN(const tensorflow::OpDef* def, OpRegistry::Global().LookUp(op_or_function_name));
    op = new TFE_Op;
    op->ctx = ctx;
    op->type = op_or_function_name;
    op->op_def = def;
    return Status::OK();
  });
  return op;
}

void TFE_DeleteOp(TFE_Op* op) { delete op; }

const char* TFE_OpGetName(const TFE_Op* op, TF_Status* status) {
  Set(status, Status::OK());
  return op->type.c_str();
}

TFE_Context* TFE_OpGetContext(const TFE_Op* op, TF_Status* status) {
  Set(status, Status::OK());
  return op->ctx;
}

void TFE_OpSetDevice(TFE_Op*, const char* device_name, TF_Status* status) {
  std::string_view d = device_name ? device_name : "";
  if (d.empty() || d.find("CPU:0") != std::string_view::npos || d.find("cpu:0") != std::string_view::npos) {
    Set(status, Status::OK());
    return;
  }
  Set(status, InvalidArgument("no device named '" + std::string(d) + "': only " + kCpuDevice +
                              " exists"));
}

const char* TFE_OpGetDevice(const TFE_Op*, TF_Status* status) {
  Set(status, Status::OK());
  return kCpuDevice;
}

void TFE_OpAddInput(TFE_Op* op, TFE_TensorHandle* input, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    if (op == nullptr || input == nullptr) return InvalidArgument("null op or input");
    op->inputs.push_back(input->tensor);
    InferAttrs(op, op->arg_sizes.size(), op->inputs.size() - 1, 1);
    op->arg_sizes.push_back(1);
    return Status::OK();
  });
}

void TFE_OpAddInputList(TFE_Op* op, TFE_TensorHandle** inputs, int num_inputs, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    if (op == nullptr || num_inputs < 0 || (num_inputs > 0 && inputs == nullptr)) {
      return InvalidArgument("null op or inputs");
    }
    for (int i = 0; i < num_inputs; ++i) {
      if (inputs[i] == nullptr) return InvalidArgument("input " + std::to_string(i) + " is null");
    }
    const size_t first = op->inputs.size();
    for (int i = 0; i < num_inputs; ++i) op->inputs.push_back(inputs[i]->tensor);
    InferAttrs(op, op->arg_sizes.size(), first, num_inputs);
    op->arg_sizes.push_back(num_inputs);
    return Status::OK();
  });
}

void TFE_OpSetAttrString(TFE_Op* op, const char* attr_name, const void* value, size_t length) {
  tensorflow::AttrValue v;
  v.set_s(std::string(static_cast<const char*>(value), length));
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrInt(TFE_Op* op, const char* attr_name, int64_t value) {
  tensorflow::AttrValue v;
  v.set_i(value);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrFloat(TFE_Op* op, const char* attr_name, float value) {
  tensorflow::AttrValue v;
  v.set_f(value);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrBool(TFE_Op* op, const char* attr_name, unsigned char value) {
  tensorflow::AttrValue v;
  v.set_b(value != 0);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrType(TFE_Op* op, const char* attr_name, TF_DataType value) {
  tensorflow::AttrValue v;
  v.set_type(static_cast<tensorflow::DataType>(value));
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrShape(TFE_Op* op, const char* attr_name, const int64_t* dims, const int num_dims,
                        TF_Status* out_status) {
  Guarded(out_status, [&]() -> Status {
    if (num_dims > 254) return InvalidArgument("Value specified for `num_dims` is too large");
    tensorflow::AttrValue v;
    ShapeProto(dims, num_dims, v.mutable_shape());
    SetAttr(op, attr_name, std::move(v));
    return Status::OK();
  });
}

void TFE_OpSetAttrTensor(TFE_Op* op, const char* attr_name, TF_Tensor* tensor, TF_Status* status) {
  Guarded(status, [&]() -> Status {
    if (tensor == nullptr) return InvalidArgument("null tensor");
    ASSIGN_OR_RETURN(Tensor t, ToTensor(*tensor));
    tensorflow::AttrValue v;
    TensorToProto(t, v.mutable_tensor(), true);
    SetAttr(op, attr_name, std::move(v));
    return Status::OK();
  });
}

void TFE_OpSetAttrStringList(TFE_Op* op, const char* attr_name, const void* const* values,
                             const size_t* lengths, int num_values) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (int i = 0; i < num_values; ++i) {
    list->add_s(std::string(static_cast<const char*>(values[i]), lengths[i]));
  }
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrIntList(TFE_Op* op, const char* attr_name, const int64_t* values, int num_values) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (int i = 0; i < num_values; ++i) list->add_i(values[i]);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrFloatList(TFE_Op* op, const char* attr_name, const float* values, int num_values) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (int i = 0; i < num_values; ++i) list->add_f(values[i]);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrBoolList(TFE_Op* op, const char* attr_name, const unsigned char* values,
                           int num_values) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (int i = 0; i < num_values; ++i) list->add_b(values[i] != 0);
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrTypeList(TFE_Op* op, const char* attr_name, const TF_DataType* values,
                           int num_values) {
  tensorflow::AttrValue v;
  auto* list = v.mutable_list();
  for (int i = 0; i < num_values; ++i) list->add_type(static_cast<tensorflow::DataType>(values[i]));
  SetAttr(op, attr_name, std::move(v));
}

void TFE_OpSetAttrShapeList(TFE_Op* op, const char* attr_name, const int64_t** dims,
                            const int* num_dims, int num_values, TF_Status* out_status) {
  Guarded(out_status, [&]() -> Status {
    tensorflow::AttrValue v;
    auto* list = v.mutable_list();
    for (int i = 0; i < num_values; ++i) {
      if (num_dims[i] > 254) return InvalidArgument("Value specified for `num_dims` is too large");
      ShapeProto(dims[i], num_dims[i], list->add_shape());
    }
    SetAttr(op, attr_name, std::move(v));
    return Status::OK();
  });
}

void TFE_Execute(TFE_Op* op, TFE_TensorHandle** retvals, int* num_retvals, TF_Status* status) {
  Guarded(status, [&] { return Execute(op, retvals, num_retvals); });
}

}  // extern "C"
