// Loading a SavedModel for execution, following TensorFlow's loader: pick the
// MetaGraphDef by tags, import its graph, restore variables through the
// SaverDef's restore op, feed asset paths, run the init op, and plan every
// signature so bad signatures fail here rather than on a request. A signature
// that needs an op this build has no kernel for does not fail the load (TF
// loads such graphs too and fails only when a run reaches the node); its
// error is kept and returned whenever that signature is used.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"

namespace savedmodel {

// The pseudo-signature TF2 exports name their init op with; not a signature
// callers run.
inline constexpr char kInitOpSignatureKey[] = "__saved_model_init_op";

// Bytes of tensors a loaded model may hold by default (see max_model_bytes).
inline constexpr size_t kDefaultMaxModelBytes = size_t{12} << 30;

struct LoadOptions {
  // With no pools lent and both thread counts 0 (the defaults), the model
  // runs on process-wide pools that every such model shares, as TensorFlow's
  // sessions do; set a thread count or lend pools for pools of its own.
  SessionOptions session;

  // Bytes of tensors the model may hold: the variables its restore op reads
  // from the checkpoint, what its init op leaves behind, and the constants its
  // kernels decode while its signatures are planned. Checked before each
  // tensor is allocated (so a checkpoint whose variables add up past it fails
  // before the one that would pass it is read), as RESOURCE_EXHAUSTED naming
  // the node and the size. SIZE_MAX turns it off. Runs after loading have
  // budgets of their own (SessionOptions::max_bytes_per_run).
  size_t max_model_bytes = kDefaultMaxModelBytes;

  // Whether restored variables may be views of the variables data file,
  // mapped copy-on-write, instead of copies of it (numeric tensors of at least
  // 4 KiB stored at 16-byte aligned offsets; see bundle_reader.h). Loading then
  // reads each weight once, for its checksum, and the model's weights are file
  // pages the kernel may drop and read again under memory pressure and that
  // processes serving the same model share. Writes (training) go to the
  // process's own copies of the pages, never to the file. The price: the data
  // file must not be truncated or overwritten in place while the model lives
  // (renaming a new one over it is fine, and is what every saver here and in
  // TensorFlow does); touching a page past a new end raises SIGBUS, and bytes
  // rewritten in place are read as they are now, unchecked. Turn it off when
  // something may rewrite the files in place (`cp` over them, a network file
  // system changed elsewhere). The environment variable
  // SAVEDMODEL_MMAP_VARIABLES=0 turns it off for every load in the process
  // (for the command line and the server, which have no flag of their own).
  bool mmap_variables = true;

  // File-access confinement. A SavedModel is code: its restore and init ops
  // and its signatures can read, write, rename and delete files at paths the
  // graph chooses (ReadFile, WriteFile, SaveV2, RestoreV2, MergeV2Checkpoints,
  // table initialisation from a text file). When set, every file the loaded
  // model touches must lie under the export directory (read-only) or a path
  // listed below; anything else is PERMISSION_DENIED naming the path and the
  // node. Off by default, as in TensorFlow; servers of untrusted models
  // should turn it on. Paths are resolved through the Env ('..' and symbolic
  // links followed) before they are compared.
  bool confine_file_access = false;
  // With confine_file_access: more files or directories the model may read.
  std::vector<std::string> allowed_read_paths;
  // With confine_file_access: directories the model may read and write.
  std::vector<std::string> allowed_write_paths;
};

// A loaded model. Thread-safe for concurrent Run/Predict calls.
class SavedModelBundle {
 public:
  Session& session() { return *session_; }
  const tensorflow::MetaGraphDef& meta_graph_def() const { return meta_graph_; }
  // What was read from export_dir, except that saved_model holds no
  // MetaGraphDefs once loaded: the loaded one moved to meta_graph_def().
  const SavedModelData& data() const { return data_; }
  const std::string& export_dir() const { return data_.export_dir; }
  // What loading charged against LoadOptions::max_model_bytes: used() is the
  // bytes the model's tensors hold now.
  const MemoryBudget& memory() const { return *memory_; }

  // OK if `signature_key` could be planned at load; otherwise the
  // UNIMPLEMENTED status naming the op without a kernel, which
  // Predict/Regress/Classify return for it. OK for unknown keys (lookups of
  // those fail with their own NOT_FOUND).
  Status SignatureStatus(const std::string& signature_key) const;

  // Runs signature `signature_key` on `inputs` (by input key). Each input's
  // dtype must match its TensorInfo; shapes are not checked beyond what the
  // graph needs, as in TensorFlow. Returns every output (or only
  // `output_filter`'s keys when given), by output key.
  StatusOr<std::map<std::string, Tensor>> Predict(const std::string& signature_key,
                                                  const std::map<std::string, Tensor>& inputs,
                                                  const std::vector<std::string>& output_filter = {});

  // TF Serving's Regress: `examples` are serialized tf.Examples fed to the
  // signature's "inputs"; returns one value per example from "outputs".
  // The signature's method must be tensorflow/serving/regress.
  StatusOr<std::vector<float>> Regress(const std::string& signature_key,
                                       const std::vector<std::string>& examples);

  // TF Serving's Classify: per example, the (label, score) pairs from the
  // signature's "classes" and/or "scores" outputs (a missing one leaves the
  // label empty or the score 0). Method must be tensorflow/serving/classify.
  struct Class {
    std::string label;
    float score = 0;
  };
  StatusOr<std::vector<std::vector<Class>>> Classify(const std::string& signature_key,
                                                     const std::vector<std::string>& examples);

 private:
  StatusOr<std::map<std::string, Tensor>> RunExamples(const std::string& signature_key,
                                                      const char* method,
                                                      const std::vector<std::string>& examples);
  friend StatusOr<std::unique_ptr<SavedModelBundle>> LoadSavedModel(
      const std::string&, const std::vector<std::string>&, const LoadOptions&);
  SavedModelData data_;
  tensorflow::MetaGraphDef meta_graph_;
  // Signatures whose plan failed for a missing kernel; written only at load.
  std::map<std::string, Status> unavailable_signatures_;
  // The Envs the session's kernels use: one that does not map, when
  // mmap_variables is off, and the confining one, when confinement is on;
  // declared before session_ so that they outlive it.
  std::unique_ptr<Env> unmapped_env_;
  std::unique_ptr<Env> confined_env_;
  std::unique_ptr<Session> session_;
  std::shared_ptr<MemoryBudget> memory_;
};

// Loads export_dir's MetaGraphDef tagged exactly `tags`.
StatusOr<std::unique_ptr<SavedModelBundle>> LoadSavedModel(const std::string& export_dir,
                                                           const std::vector<std::string>& tags,
                                                           const LoadOptions& options = {});

}  // namespace savedmodel
