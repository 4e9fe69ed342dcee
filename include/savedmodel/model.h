// Model: a SavedModel loaded for running, as TensorFlow's LoadSavedModel
// loads one (variables restored, assets fed, init op run, every signature
// planned).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "savedmodel/export.h"
#include "savedmodel/status.h"
#include "savedmodel/tensor.h"

namespace savedmodel::api {

struct LoadOptions {
  // Threads for one op's work and for independent ops of a run; 0 picks the
  // hardware thread count, 1 runs on the calling thread.
  int intra_op_threads = 0;
  int inter_op_threads = 0;
  // A SavedModel is code: its ops can read and write files. When set, every
  // file the model touches must lie under the export directory (read-only)
  // or the paths below; anything else fails with kPermissionDenied. Turn it
  // on for models you do not trust.
  bool confine_file_access = false;
  std::vector<std::string> allowed_read_paths;   // files or directories, read-only
  std::vector<std::string> allowed_write_paths;  // directories, read and write
};

// One input or output of a signature.
struct TensorInfo {
  std::string name;            // the graph tensor, "x:0"
  DType dtype = DType::kInvalid;
  bool unknown_rank = false;
  std::vector<int64_t> shape;  // -1 for a dimension of unknown size
};

struct Signature {
  std::string method_name;  // "tensorflow/serving/predict", ...
  std::map<std::string, TensorInfo> inputs;
  std::map<std::string, TensorInfo> outputs;
};

// Thread-safe: Predict and Run may be called from many threads at once; the
// model's variables are shared by all calls. Movable, not copyable; a
// moved-from Model may only be destroyed or assigned to. Tensors it returned
// stay valid after it is destroyed.
class SAVEDMODEL_EXPORT Model {
 public:
  // Loads the MetaGraphDef of `export_dir` tagged exactly `tags` ({"serve"}
  // for TF Serving exports). NotFound when no MetaGraphDef has those tags;
  // DataLoss/InvalidArgument for damaged files.
  static StatusOr<Model> Load(const std::string& export_dir, const std::vector<std::string>& tags,
                              const LoadOptions& options = LoadOptions());

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const std::string& export_dir() const;
  std::vector<std::string> SignatureKeys() const;
  // NotFound for an unknown key.
  StatusOr<Signature> GetSignature(const std::string& signature_key) const;

  // Runs a signature on `inputs` (by input key); returns every output, or only
  // those named in `output_filter`, by output key. Each input's dtype must be
  // the signature's. A signature needing an op this library has no kernel for
  // fails with kUnimplemented naming the op.
  StatusOr<std::map<std::string, Tensor>> Predict(
      const std::string& signature_key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter = {}) const;

  // Runs tensors by graph name, as TensorFlow's Session::Run: feeds
  // ("x:0", tensor), returns the `fetches` in order after running them and
  // the `targets` (op names).
  StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                    const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets = {}) const;

 private:
  struct Rep;
  explicit Model(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace savedmodel::api
