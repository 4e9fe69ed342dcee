// What the serving APIs (REST and gRPC alike) need from the rest of the
// server: a loaded model version, a way to find the one a request names, and a
// way to run a Predict on it (directly, or through the batching queue). The
// model manager (model_manager.h) and the batcher (batching.h) implement these;
// tests implement them over fixed bundles, so the APIs are tested without
// threads, file polling or sockets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "tensorflow_serving/apis/get_model_status.pb.h"
#include "tensorflow_serving/apis/model.pb.h"

namespace savedmodel {

// One loaded version of one model. Immutable once published; a request holds
// a ServableHandle for as long as it runs, so an unloaded version is freed only
// after its last in-flight request ends.
struct Servable {
  std::string name;
  int64_t version = 0;
  // Never null. SavedModelBundle is safe for concurrent Predict/Classify/Regress.
  std::unique_ptr<SavedModelBundle> bundle;
};
using ServableHandle = std::shared_ptr<Servable>;

// Finds servables by ModelSpec. Thread-safe.
class ServableSource {
 public:
  virtual ~ServableSource() = default;

  // The version `spec` names: spec.version, or spec.version_label, or (neither
  // set) the highest AVAILABLE version. NOT_FOUND as TF Serving words it when
  // there is none ("Servable not found for request: Specific(name, 3)",
  // "Latest(name)"); a label that maps to no loaded version is
  // INVALID_ARGUMENT ("Unrecognized servable version label: L").
  virtual StatusOr<ServableHandle> Find(const tensorflow::serving::ModelSpec& spec) const = 0;

  // GetModelStatus: the state of spec's version, or of every version the model
  // has when spec names none. NOT_FOUND for an unknown model or version.
  virtual Status GetModelStatus(const tensorflow::serving::ModelSpec& spec,
                                tensorflow::serving::GetModelStatusResponse* response) const = 0;
};

// Runs a Predict on a servable. The plain runner calls the bundle; the batcher
// queues the call, merges it with others along dimension 0 and splits the
// answer. Thread-safe.
class PredictRunner {
 public:
  virtual ~PredictRunner() = default;
  virtual StatusOr<std::map<std::string, Tensor>> Run(
      const ServableHandle& servable, const std::string& signature_key,
      const std::map<std::string, Tensor>& inputs, const std::vector<std::string>& output_filter) = 0;
};

}  // namespace savedmodel
