// Runs one registered kernel on fuzzer-chosen attrs and inputs: the op comes
// from the kernel registry, each attr is drawn from what its OpDef allows
// (allowed_values, minimum, list lengths), inputs are Placeholders fed small
// tensors of the dtypes the attrs resolve to. One Session step must return a
// status, never crash. Sizes are capped: shapes of rank <= 4 and dims <= 5,
// integer inputs mostly small (sometimes a type's extremes, which kernels must
// reject), and a 64 MiB per-tensor limit so sizes computed from input values
// fail with RESOURCE_EXHAUSTED instead of allocating.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/graph/op_registry.h"
#include "savedmodel/kernels/kernel.h"

namespace {
using namespace savedmodel;

constexpr DataType kTypes[] = {DT_FLOAT,  DT_DOUBLE, DT_INT32,  DT_INT64,  DT_UINT8,
                               DT_INT8,   DT_INT16,  DT_BOOL,   DT_STRING, DT_HALF,
                               DT_BFLOAT16, DT_COMPLEX64, DT_COMPLEX128, DT_UINT16,
                               DT_UINT32, DT_UINT64};
constexpr const char* kStrings[] = {"", "NHWC", "NCHW", "VALID", "SAME", "EXPLICIT",
                                    "a", "(a+)+$", "\\d", "ab,c", "x:0", "/tmp"};
constexpr int kMaxRank = 4;
constexpr int kMaxDim = 5;

const std::vector<std::string>& Ops() {
  static const auto* ops = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& op : KernelRegistry::Global().Ops())
      if (OpRegistry::Global().Find(op) != nullptr) v->push_back(op);
    return v;
  }();
  return *ops;
}

DataType PickType(FuzzedDataProvider& in, const tensorflow::AttrValue* allowed) {
  if (allowed != nullptr && allowed->list().type_size() > 0) {
    const auto& types = allowed->list().type();
    return static_cast<DataType>(types[in.ConsumeIntegralInRange<int>(0, types.size() - 1)]);
  }
  return in.PickValueInArray(kTypes);
}

int64_t SmallInt(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0: return std::numeric_limits<int64_t>::max();
    case 1: return std::numeric_limits<int64_t>::min();
    case 2: return std::numeric_limits<int32_t>::min();
    default: return in.ConsumeIntegralInRange<int64_t>(-3, 8);
  }
}

std::vector<int64_t> SmallDims(FuzzedDataProvider& in) {
  std::vector<int64_t> dims(in.ConsumeIntegralInRange<int>(0, kMaxRank));
  for (auto& d : dims) d = in.ConsumeIntegralInRange<int64_t>(0, kMaxDim);
  return dims;
}

template <typename T>
void FillInts(FuzzedDataProvider& in, Tensor* t) {
  for (auto& v : t->flat<T>()) {
    // Extremes only where a kernel cannot turn them into a legitimate
    // multi-GiB size (int32 max elements of float is 8 GiB; int64's is refused).
    int64_t x = SmallInt(in);
    if constexpr (sizeof(T) < 8) {
      if (x == std::numeric_limits<int64_t>::max() || x == std::numeric_limits<int64_t>::min())
        x = std::numeric_limits<T>::min();
    }
    v = static_cast<T>(x);
  }
}

double SmallFloat(FuzzedDataProvider& in) {
  static constexpr double kValues[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-3, 1e30,
                                       std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::quiet_NaN()};
  if (in.ConsumeBool()) return in.PickValueInArray(kValues);
  return in.ConsumeFloatingPointInRange<double>(-10.0, 10.0);
}

Tensor RandomTensor(FuzzedDataProvider& in, DataType dt) {
  auto t = Tensor::Create(dt, SmallDims(in));
  if (!t.ok()) return Tensor();
  switch (dt) {
    case DT_FLOAT: for (auto& v : t->flat<float>()) v = static_cast<float>(SmallFloat(in)); break;
    case DT_DOUBLE: for (auto& v : t->flat<double>()) v = SmallFloat(in); break;
    case DT_HALF: for (auto& v : t->flat<half>()) v = FloatToHalf(static_cast<float>(SmallFloat(in))); break;
    case DT_BFLOAT16: for (auto& v : t->flat<bfloat16>()) v = FloatToBFloat16(static_cast<float>(SmallFloat(in))); break;
    case DT_COMPLEX64: for (auto& v : t->flat<complex64>()) v = complex64(SmallFloat(in), SmallFloat(in)); break;
    case DT_COMPLEX128: for (auto& v : t->flat<complex128>()) v = complex128(SmallFloat(in), SmallFloat(in)); break;
    case DT_INT32: FillInts<int32_t>(in, &*t); break;
    case DT_INT64: FillInts<int64_t>(in, &*t); break;
    case DT_INT16: FillInts<int16_t>(in, &*t); break;
    case DT_INT8: FillInts<int8_t>(in, &*t); break;
    case DT_UINT8: FillInts<uint8_t>(in, &*t); break;
    case DT_UINT16: FillInts<uint16_t>(in, &*t); break;
    case DT_UINT32: FillInts<uint32_t>(in, &*t); break;
    case DT_UINT64: FillInts<uint64_t>(in, &*t); break;
    case DT_BOOL: for (auto& v : t->flat<bool>()) v = in.ConsumeBool(); break;
    case DT_STRING:
      for (auto& v : t->flat<std::string>())
        v = in.ConsumeBool() ? std::string(in.PickValueInArray(kStrings)) : in.ConsumeRandomLengthString(16);
      break;
    default: return Tensor();  // resource, variant, quantized: cannot be fed
  }
  return std::move(t).value();
}

void SetShape(FuzzedDataProvider& in, tensorflow::TensorShapeProto* shape) {
  const int rank = in.ConsumeIntegralInRange<int>(-1, kMaxRank);
  if (rank < 0) { shape->set_unknown_rank(true); return; }
  for (int i = 0; i < rank; ++i) shape->add_dim()->set_size(in.ConsumeIntegralInRange<int64_t>(-1, kMaxDim));
}

void SetAttr(FuzzedDataProvider& in, const tensorflow::OpDef::AttrDef& def, tensorflow::AttrValue* v) {
  const tensorflow::AttrValue* allowed = def.has_allowed_values() ? &def.allowed_values() : nullptr;
  const std::string& type = def.type();
  const bool is_list = type.rfind("list(", 0) == 0;
  const int64_t min_len = def.has_minimum() ? def.minimum() : 0;
  const int len = is_list ? static_cast<int>(in.ConsumeIntegralInRange<int64_t>(std::min<int64_t>(min_len, 8), std::min<int64_t>(min_len, 8) + 3)) : 0;
  auto pick_string = [&]() -> std::string {
    if (allowed != nullptr && allowed->list().s_size() > 0)
      return allowed->list().s(in.ConsumeIntegralInRange<int>(0, allowed->list().s_size() - 1));
    return in.ConsumeBool() ? std::string(in.PickValueInArray(kStrings)) : in.ConsumeRandomLengthString(12);
  };
  if (type == "type") v->set_type(static_cast<tensorflow::DataType>(PickType(in, allowed)));
  else if (type == "list(type)") for (int i = 0; i < len; ++i) v->mutable_list()->add_type(static_cast<tensorflow::DataType>(PickType(in, allowed)));
  else if (type == "int") v->set_i(def.has_minimum() && in.ConsumeBool() ? def.minimum() + in.ConsumeIntegralInRange<int>(0, 3) : SmallInt(in));
  else if (type == "list(int)") for (int i = 0; i < len; ++i) v->mutable_list()->add_i(SmallInt(in));
  else if (type == "float") v->set_f(static_cast<float>(SmallFloat(in)));
  else if (type == "list(float)") for (int i = 0; i < len; ++i) v->mutable_list()->add_f(static_cast<float>(SmallFloat(in)));
  else if (type == "bool") v->set_b(in.ConsumeBool());
  else if (type == "list(bool)") for (int i = 0; i < len; ++i) v->mutable_list()->add_b(in.ConsumeBool());
  else if (type == "string") v->set_s(pick_string());
  else if (type == "list(string)") for (int i = 0; i < len; ++i) v->mutable_list()->add_s(pick_string());
  else if (type == "shape") SetShape(in, v->mutable_shape());
  else if (type == "list(shape)") for (int i = 0; i < len; ++i) SetShape(in, v->mutable_list()->add_shape());
  else if (type == "tensor") {
    Tensor t = RandomTensor(in, PickType(in, nullptr));
    if (t.IsInitialized()) TensorToProto(t, v->mutable_tensor(), in.ConsumeBool());
  }
  // func and list(func) stay unset: the graph has no library to name.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool limited = [] { SetMaxTensorBytes(size_t{64} << 20); return true; }();
  (void)limited;
  // File ops (SaveV2, ReadFile, ...) touch only memory, fresh for each input.
  const std::unique_ptr<Env> env = NewMemEnv();
  FuzzedDataProvider in(data, size);
  const auto& ops = Ops();
  const std::string& op = ops[in.ConsumeIntegralInRange<size_t>(0, ops.size() - 1)];
  const tensorflow::OpDef& op_def = *OpRegistry::Global().Find(op);

  tensorflow::NodeDef node;
  node.set_name("op");
  node.set_op(op);
  for (const auto& attr : op_def.attr()) {
    if (attr.has_default_value() && in.ConsumeIntegralInRange<int>(0, 3) == 0) continue;
    SetAttr(in, attr, &(*node.mutable_attr())[attr.name()]);
  }
  OpRegistry::Global().AddDefaultAttrs(&node);
  std::vector<DataType> input_types, output_types;
  if (!OpRegistry::Global().ResolveTypes(node, &input_types, &output_types).ok()) return 0;
  if (input_types.size() > 8) return 0;

  tensorflow::GraphDef graph_def;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < input_types.size(); ++i) {
    Tensor t = RandomTensor(in, input_types[i]);
    if (!t.IsInitialized()) return 0;
    tensorflow::NodeDef* ph = graph_def.add_node();
    ph->set_name("in" + std::to_string(i));
    ph->set_op("Placeholder");
    (*ph->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(input_types[i]));
    node.add_input(ph->name());
    feeds.emplace_back(ph->name() + ":0", std::move(t));
  }
  *graph_def.add_node() = node;

  auto graph = Graph::Import(graph_def);
  if (!graph.ok()) return 0;
  SessionOptions options;
  options.env = env.get();
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  auto session = Session::Create(std::move(graph).value(), options);
  if (!session.ok()) return 0;
  std::vector<std::string> fetches;
  for (size_t i = 0; i < output_types.size(); ++i) fetches.push_back("op:" + std::to_string(i));
  auto out = (*session)->Run(feeds, fetches, fetches.empty() ? std::vector<std::string>{"op"} : std::vector<std::string>{});
  if (out.ok())
    for (const Tensor& t : *out) (void)t.DebugString(3);
  return 0;
}
