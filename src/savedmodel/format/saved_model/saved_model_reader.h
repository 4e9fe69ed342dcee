// Reading a SavedModel directory: the SavedModel proto (binary or text), the
// fingerprint, and where its variables and assets are. Knows nothing of
// execution; the runtime builds on what this returns.
//
//   export_dir/saved_model.pb | saved_model.pbtxt
//   export_dir/variables/variables.{index,data-NNNNN-of-NNNNN}
//   export_dir/assets/...          files named by AssetFileDefs
//   export_dir/assets.extra/...    free-form (warm-up requests, configs)
//   export_dir/fingerprint.pb      FingerprintDef (TF >= 2.12)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "tensorflow/core/protobuf/fingerprint.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace savedmodel {

inline constexpr char kSavedModelFilenamePb[] = "saved_model.pb";
inline constexpr char kSavedModelFilenamePbTxt[] = "saved_model.pbtxt";
inline constexpr char kVariablesDirectory[] = "variables";
inline constexpr char kVariablesFilename[] = "variables";
inline constexpr char kAssetsDirectory[] = "assets";
inline constexpr char kExtraAssetsDirectory[] = "assets.extra";
inline constexpr char kFingerprintFilename[] = "fingerprint.pb";

// Tag names TensorFlow defines in tag_constants.py.
inline constexpr char kTagServe[] = "serve";
inline constexpr char kTagTrain[] = "train";
inline constexpr char kTagGpu[] = "gpu";
inline constexpr char kTagTpu[] = "tpu";

// An asset a MetaGraphDef refers to: the graph tensor fed with its path.
struct AssetFile {
  std::string tensor_name;  // e.g. "Const:0"
  std::string filename;     // relative to assets/
};

// Everything read from one export directory. Immutable once returned.
struct SavedModelData {
  std::string export_dir;
  tensorflow::SavedModel saved_model;
  bool from_text_format = false;
  std::optional<tensorflow::FingerprintDef> fingerprint;
  // Relative paths of the regular files under assets.extra/, sorted.
  std::vector<std::string> extra_assets;

  // "export_dir/variables/variables": the prefix BundleReader opens.
  std::string VariablesPrefix() const;
  // True when variables/variables.index exists (models without variables have none).
  bool HasVariables(Env* env) const;
};

// Reads export_dir. Fails with NotFound when neither saved_model.pb nor
// saved_model.pbtxt exists, DataLoss when the proto does not parse, and
// InvalidArgument when it parses but is not a sane SavedModel (no MetaGraphDefs,
// a graph that fails ValidateMetaGraphDef). Every message names the file.
StatusOr<SavedModelData> ReadSavedModel(Env* env, const std::string& export_dir);

// Parses saved_model.pb/.pbtxt only; no validation of the graphs.
StatusOr<tensorflow::SavedModel> ReadSavedModelProto(Env* env, const std::string& export_dir,
                                                     bool* from_text_format = nullptr);

// The tag sets of every MetaGraphDef, in file order.
std::vector<std::vector<std::string>> GetTagSets(const tensorflow::SavedModel& saved_model);

// "serve, train" ("" for the empty set), tags sorted.
std::string TagSetToString(const std::vector<std::string>& tags);
// Splits "serve,train" (a saved_model_cli --tag_set) into tags; "" -> {}.
std::vector<std::string> ParseTagSet(const std::string& comma_separated);

// The MetaGraphDef whose tag set equals `tags` (order and duplicates ignored).
// NotFound lists the tag sets that exist.
StatusOr<const tensorflow::MetaGraphDef*> FindMetaGraphDef(
    const tensorflow::SavedModel& saved_model, const std::vector<std::string>& tags);

// The SignatureDef under `key`; NotFound lists the keys that exist.
StatusOr<const tensorflow::SignatureDef*> FindSignatureDef(
    const tensorflow::MetaGraphDef& meta_graph, const std::string& key);

// Structural checks TensorFlow's importer would reject: nodes without names or
// ops, duplicate names, Const nodes without a well-formed value of their dtype,
// illegal shapes in attrs, malformed attr values, dangling inputs. Does not need
// the op registry.
Status ValidateMetaGraphDef(const tensorflow::MetaGraphDef& meta_graph);

// Assets from asset_file_def, or for models written before it existed, from the
// legacy "saved_model_assets" collection.
StatusOr<std::vector<AssetFile>> GetAssetFiles(const tensorflow::MetaGraphDef& meta_graph);

}  // namespace savedmodel
