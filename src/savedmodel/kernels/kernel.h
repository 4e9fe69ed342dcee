// The kernel interface. A kernel is built once per node when a model loads
// (validate attrs and dtypes there: an unsupported dtype fails the load, not a
// request) and then computes on every Run, checking only what depends on the
// input tensors' values and shapes.
//
// Adding an op: one .cc file with the kernel class and one REGISTER_KERNEL line,
// plus a test. Registration happens in static initializers, so binaries link
// the library whole (see CMakeLists.txt).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/graph/graph.h"

namespace savedmodel {

class ThreadPool;
class FunctionLibraryRuntime;

// A TF1 reference variable (VariableV2): a tensor shared by every Run of one
// loaded model. Thread-safe.
class Variable {
 public:
  // A copy sharing the buffer; callers must not write into it.
  Tensor value() const {
    std::lock_guard<std::mutex> l(mu_);
    return tensor_;
  }
  bool initialized() const {
    std::lock_guard<std::mutex> l(mu_);
    return tensor_.IsInitialized();
  }
  void set_value(Tensor t) {
    std::lock_guard<std::mutex> l(mu_);
    tensor_ = std::move(t);
  }
  // Runs fn(tensor) under the lock so read-modify-write updates are atomic.
  template <typename Fn>
  auto Update(Fn&& fn) {
    std::lock_guard<std::mutex> l(mu_);
    return fn(tensor_);
  }

 private:
  mutable std::mutex mu_;
  Tensor tensor_;
};

// Base of per-model objects handed between ops as DT_RESOURCE values (lookup
// tables, later resource variables). Implementations are thread-safe.
class ResourceBase {
 public:
  virtual ~ResourceBase() = default;
  virtual std::string DebugString() const = 0;
};

// Per-model state that outlives a Run: variables, tables. Thread-safe.
class ResourceMgr {
 public:
  // The variable named `name`, created uninitialized on first use.
  std::shared_ptr<Variable> LookupOrCreateVariable(const std::string& name);

  // The resource named `name`, made by `create` on first use (called under
  // this manager's lock, so it must not call back into it). Fails when a
  // resource of another type already has the name.
  template <typename T, typename Create>
  StatusOr<std::shared_ptr<T>> LookupOrCreate(const std::string& name, Create&& create) {
    std::lock_guard<std::mutex> l(mu_);
    auto& slot = resources_[name];
    if (!slot) {
      auto made = create();
      if (!made.ok()) {
        resources_.erase(name);
        return made.status();
      }
      slot = std::move(made).value();
    }
    auto typed = std::dynamic_pointer_cast<T>(slot);
    if (!typed) return InvalidArgument("resource '" + name + "' has another type: " + slot->DebugString());
    return typed;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Variable>> variables_;
  std::unordered_map<std::string, std::shared_ptr<ResourceBase>> resources_;
};

// A value flowing along an edge: a tensor, a reference to a variable, or a
// resource handle.
struct Value {
  Tensor tensor;
  std::shared_ptr<Variable> ref;
  std::shared_ptr<ResourceBase> resource;

  // The tensor, reading through a reference.
  Tensor Get() const { return ref ? ref->value() : tensor; }
};

class OpKernelConstruction {
 public:
  OpKernelConstruction(const Node& node, Env* env, FunctionLibraryRuntime* functions = nullptr)
      : node_(node), env_(env), functions_(functions) {}

  const Node& node() const { return node_; }
  const tensorflow::NodeDef& def() const { return node_.def; }
  const std::string& name() const { return node_.name(); }
  const std::vector<DataType>& input_types() const { return node_.input_types; }
  const std::vector<DataType>& output_types() const { return node_.output_types; }
  Env* env() const { return env_; }
  // Instantiates the graph's library functions for call-style kernels; null
  // when the graph has no library.
  FunctionLibraryRuntime* functions() const { return functions_; }

  // Attr getters fail with InvalidArgument naming the node and attr.
  Status GetAttr(std::string_view name, int64_t* out) const;
  Status GetAttr(std::string_view name, int32_t* out) const;
  Status GetAttr(std::string_view name, float* out) const;
  Status GetAttr(std::string_view name, bool* out) const;
  Status GetAttr(std::string_view name, std::string* out) const;
  Status GetAttr(std::string_view name, DataType* out) const;
  Status GetAttr(std::string_view name, Tensor* out) const;
  Status GetAttr(std::string_view name, PartialShape* out) const;
  Status GetAttr(std::string_view name, std::vector<int64_t>* out) const;
  Status GetAttr(std::string_view name, std::vector<int32_t>* out) const;
  Status GetAttr(std::string_view name, std::vector<std::string>* out) const;
  Status GetAttr(std::string_view name, std::vector<DataType>* out) const;
  Status GetAttr(std::string_view name, std::vector<PartialShape>* out) const;
  Status GetAttr(std::string_view name, tensorflow::NameAttrList* out) const;
  Status GetAttr(std::string_view name, std::vector<tensorflow::NameAttrList>* out) const;
  bool HasAttr(std::string_view name) const;

  // "node 'x' (op Foo): message", for errors raised while building.
  Status Error(std::string_view message) const;
  // Unimplemented naming the node, op and dtype.
  Status UnsupportedType(DataType dt) const;

 private:
  const tensorflow::AttrValue* Find(std::string_view name) const;
  const Node& node_;
  Env* env_;
  FunctionLibraryRuntime* functions_;
};

class OpKernelContext {
 public:
  // `inputs` is borrowed, not copied (a per-step vector was a heap allocation
  // per step of every Run): it must outlive the context.
  OpKernelContext(const Node& node, std::span<const Value* const> inputs, std::vector<Value>* outputs,
                  ResourceMgr* resources, ThreadPool* pool)
      : node_(node), inputs_(inputs), outputs_(outputs), resources_(resources), pool_(pool) {}

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // The input's tensor, by reference: a Tensor copy copies its shape (a heap
  // allocation), once per input per step. A ref input is read through once
  // per context (one snapshot, however often the kernel asks) and held here.
  // REQUIRES: i < num_inputs().
  const Tensor& input(int i) const {
    const Value& v = *inputs_[i];
    if (!v.ref) return v.tensor;
    return ReadRef(i);
  }
  // The variable behind a ref input; null when the input is not a ref.
  const std::shared_ptr<Variable>& input_ref(int i) const { return inputs_[i]->ref; }

  // The resource behind a DT_RESOURCE input; null when there is none.
  const std::shared_ptr<ResourceBase>& input_resource(int i) const { return inputs_[i]->resource; }
  void set_output_resource(int i, std::shared_ptr<ResourceBase> r) {
    (*outputs_)[i].resource = std::move(r);
  }

  void set_output(int i, Tensor t) { (*outputs_)[i].tensor = std::move(t); }
  void set_output_ref(int i, std::shared_ptr<Variable> v) { (*outputs_)[i].ref = std::move(v); }
  // Allocates output i with `shape` and returns it for filling.
  Tensor* allocate_output(int i, DataType dtype, const TensorShape& shape) {
    (*outputs_)[i].tensor = Tensor(dtype, shape);
    return &(*outputs_)[i].tensor;
  }
  // The same without zero-filling: only for kernels that write every element
  // on every path that returns OK (see Tensor::Uninitialized).
  Tensor* allocate_output_uninitialized(int i, DataType dtype, const TensorShape& shape) {
    (*outputs_)[i].tensor = Tensor::Uninitialized(dtype, shape);
    return &(*outputs_)[i].tensor;
  }

  const Node& node() const { return node_; }
  ResourceMgr* resources() const { return resources_; }
  // For intra-op parallelism; may be null (run inline).
  ThreadPool* pool() const { return pool_; }

  // "node 'x' (op Foo): message".
  Status Error(std::string_view message) const;
  Status InvalidArg(std::string_view message) const;

 private:
  const Tensor& ReadRef(int i) const;

  const Node& node_;
  std::span<const Value* const> inputs_;
  // Snapshots of ref inputs, by input index; made on a kernel's first read.
  // Guarded by ref_mu_: a kernel's ParallelFor ranges may read inputs too.
  mutable std::mutex ref_mu_;
  mutable std::unique_ptr<std::optional<Tensor>[]> ref_reads_;
  std::vector<Value>* outputs_;
  ResourceMgr* resources_;
  ThreadPool* pool_;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // Thread-safe: one kernel object serves concurrent Runs.
  virtual Status Compute(OpKernelContext* ctx) const = 0;
};

using KernelFactory =
    std::function<StatusOr<std::unique_ptr<OpKernel>>(const OpKernelConstruction&)>;

class KernelRegistry {
 public:
  static KernelRegistry& Global();
  void Register(std::string op, KernelFactory factory);
  // Builds the kernel for `node`; Unimplemented when no kernel exists for its op.
  StatusOr<std::unique_ptr<OpKernel>> Create(const Node& node, Env* env,
                                             FunctionLibraryRuntime* functions = nullptr) const;
  bool Has(std::string_view op) const;
  std::vector<std::string> Ops() const;  // sorted

 private:
  std::unordered_map<std::string, KernelFactory> factories_;
};

namespace internal {
struct KernelRegistrar {
  KernelRegistrar(const char* op, KernelFactory factory) {
    KernelRegistry::Global().Register(op, std::move(factory));
  }
};
// Factory for kernels constructed as `Kernel(const OpKernelConstruction&, Status*)`.
template <typename Kernel>
StatusOr<std::unique_ptr<OpKernel>> MakeKernel(const OpKernelConstruction& c) {
  Status s;
  auto k = std::make_unique<Kernel>(c, &s);
  if (!s.ok()) return s;
  return std::unique_ptr<OpKernel>(std::move(k));
}
}  // namespace internal

}  // namespace savedmodel

// REGISTER_KERNEL("MatMul", MatMulKernel): Kernel has a constructor
// (const OpKernelConstruction&, Status*) that sets the status on bad attrs/types.
#define REGISTER_KERNEL(op, Kernel)                                              \
  static ::savedmodel::internal::KernelRegistrar SM_CONCAT_(sm_kernel_reg_, __LINE__)( \
      op, ::savedmodel::internal::MakeKernel<Kernel>)
