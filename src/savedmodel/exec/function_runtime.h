// The executor's FunctionLibraryRuntime: each instantiation becomes a small
// Session over the function's body, fed the call's arguments and fetching its
// results. The body session shares the caller's Env and resources (handles to
// variables and tables passed in as arguments stay valid, and stateful ops
// touch the same state) and runs on the calling thread: the caller already
// holds a thread of its own Run.
#pragma once

#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/kernels/function_runtime.h"
#include "tensorflow/core/framework/function.pb.h"

namespace savedmodel {

class SessionFunctionRuntime : public FunctionLibraryRuntime {
 public:
  // `library` and `resources` must outlive this object and every handle it
  // makes. `depth` is how many function calls already enclose this runtime.
  SessionFunctionRuntime(const tensorflow::FunctionDefLibrary* library, Env* env,
                         ResourceMgr* resources, int depth);

  StatusOr<std::shared_ptr<const FunctionHandle>> Instantiate(
      const tensorflow::NameAttrList& fn, const std::vector<DataType>& arg_types) override;

  // Calls nested deeper than this fail at instantiation (recursion).
  static constexpr int kMaxDepth = 32;

 private:
  const tensorflow::FunctionDefLibrary* library_;
  Env* env_;
  ResourceMgr* resources_;
  int depth_;
};

}  // namespace savedmodel
