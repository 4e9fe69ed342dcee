// What the C API's opaque handles hold, and the conversions every part of the
// C API shares (status, tensors). Internal to libtensorflow.so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/graph/graph.h"
#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"

struct TF_Status {
  savedmodel::Status status;
};

// Numeric tensors keep their bytes in a savedmodel::Tensor, so feeding one to a
// Run or wrapping a fetched one copies nothing. String tensors keep the
// TF_TString array the C layout requires and are converted at the boundary.
struct TF_Tensor {
  TF_DataType dtype = TF_FLOAT;
  std::vector<int64_t> dims;
  savedmodel::Tensor tensor;  // numeric dtypes
  // TF_STRING: `strings` elements (library-owned, freed with the tensor) or,
  // from TF_NewTensor, the caller's array (freed by its deallocator).
  std::unique_ptr<TF_TString[]> strings;
  int64_t num_strings = 0;
  void* caller_data = nullptr;
  size_t caller_len = 0;
  void (*deallocator)(void*, size_t, void*) = nullptr;
  void* deallocator_arg = nullptr;

  ~TF_Tensor();
  TF_TString* string_data() const {
    return caller_data ? static_cast<TF_TString*>(caller_data) : strings.get();
  }
};

struct TF_Operation {
  TF_Graph* graph;
  int id;  // index into the graph's nodes
};

struct TF_Graph {
  std::mutex mu;
  // Everything imported so far (frozen-graph path); empty for a loaded model.
  tensorflow::GraphDef def;
  // The validated graph operations are looked up in: imported from `def`, or
  // the loaded model's (aliasing `bundle`). Null while the graph is empty.
  std::shared_ptr<const savedmodel::Graph> graph;
  // Set by TF_LoadSessionFromSavedModel; shared with the session so that the
  // graph's operations stay valid whichever of the two is deleted first.
  std::shared_ptr<savedmodel::SavedModelBundle> bundle;
  std::deque<TF_Operation> ops;  // one per node, addresses stable
  uint64_t version = 0;          // bumped by every import
};

struct TF_SessionOptions {
  savedmodel::SessionOptions options;
};

struct TF_ImportGraphDefOptions {
  std::string prefix;
};

struct TF_Session {
  TF_Graph* graph = nullptr;
  savedmodel::SessionOptions options;
  std::shared_ptr<savedmodel::SavedModelBundle> bundle;  // loaded models
  std::mutex mu;  // guards the fields below
  std::shared_ptr<savedmodel::Session> session;  // graphs: made for graph version `version`
  uint64_t version = 0;
  bool closed = false;
};

namespace savedmodel::capi {

void Set(TF_Status* out, const Status& s);

// Runs fn, turning exceptions (allocation failures) into a status so that none
// crosses the C boundary.
template <typename Fn>
void Guarded(TF_Status* out, Fn&& fn) {
  try {
    Set(out, fn());
  } catch (const std::bad_alloc& e) {
    Set(out, ResourceExhausted(std::string("out of memory: ") + e.what()));
  } catch (const std::exception& e) {
    Set(out, Internal(e.what()));
  }
}

// The runtime tensor for t: numeric tensors share t's bytes; strings are copied.
StatusOr<Tensor> ToTensor(const TF_Tensor& t);
// A new TF_Tensor sharing t's bytes (strings copied into TF_TStrings).
StatusOr<TF_Tensor*> FromTensor(const Tensor& t);

// "name:index" of an output, as Session::Run takes it.
std::string OutputName(const TF_Output& out);

}  // namespace savedmodel::capi
