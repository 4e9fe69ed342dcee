// Calling functions of the graph's library from a kernel: what the functional
// control-flow ops (If, While, Case and their stateless forms) need, since
// their branches and bodies cannot be inlined into the caller's graph. The
// kernels layer only sees this interface; exec/ implements it with a Session
// per instantiated function, so kernels stay independent of the executor.
#pragma once

#include <memory>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/types.h"
#include "savedmodel/kernels/kernel.h"
#include "tensorflow/core/framework/attr_value.pb.h"

namespace savedmodel {

// One instantiated function: callable from concurrent Runs.
class FunctionHandle {
 public:
  virtual ~FunctionHandle() = default;
  // Runs the function on `args` (tensors, resources or lists, in the
  // signature's order) and returns its results in order.
  virtual StatusOr<std::vector<Value>> Call(const std::vector<Value>& args) const = 0;
  // The function's result types, as its signature declares them.
  virtual const std::vector<DataType>& result_types() const = 0;
};

class FunctionLibraryRuntime {
 public:
  virtual ~FunctionLibraryRuntime() = default;
  // Instantiates `fn` (a library function name plus the attrs its `$attr`
  // placeholders take) for arguments of `arg_types`, as the calling node
  // declares them. Errors name the function. Kernels instantiate once, when
  // they are built, and check the handle's result types there.
  virtual StatusOr<std::shared_ptr<const FunctionHandle>> Instantiate(
      const tensorflow::NameAttrList& fn, const std::vector<DataType>& arg_types) = 0;
};

}  // namespace savedmodel
