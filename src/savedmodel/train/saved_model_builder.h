// Writing SavedModels TensorFlow loads: SavedModelBuilder
// (tf.compat.v1.saved_model.Builder) and SimpleSave (simple_save).
//
// Like TensorFlow, it refuses an export directory that already exists. Unlike
// TensorFlow, it never leaves a half-written model: everything goes into a
// temporary sibling directory renamed into place by Save().
//
//   SavedModelBuilder builder("model/1");
//   builder.AddMetaGraphAndVariables(session, MetaGraphFromBuilder(b, saver), {"serve"},
//                                    {{"predict", PredictSignature({{"myInput", x}}, {{"myOutput", y}})}});
//   builder.Save();
#pragma once

#include <map>
#include <string>
#include <vector>

#include "savedmodel/base/env.h"
#include "savedmodel/exec/session.h"
#include "savedmodel/train/graph_builder.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace savedmodel::train {

// An asset to copy into assets/: the graph tensor that is fed its path, and the file.
struct AssetSource {
  std::string tensor_name;  // e.g. "vocab_path:0", a string Const in the graph
  std::string source_path;
};

// A MetaGraphDef for the builder's graph: graph, saver, the variables and
// trainable_variables collections (VariableDefs) and the stripped op list.
tensorflow::MetaGraphDef MetaGraphFromBuilder(const GraphBuilder& b, const tensorflow::SaverDef& saver);

// SignatureDefs as signature_def_utils builds them.
tensorflow::SignatureDef PredictSignature(const std::map<std::string, Output>& inputs,
                                          const std::map<std::string, Output>& outputs);

// AlreadyExists (TensorFlow's wording) when `export_dir` exists: builders
// never write into or over an existing directory.
Status CheckExportDirIsNew(Env* env, const std::string& export_dir);

class SavedModelBuilder {
 public:
  explicit SavedModelBuilder(std::string export_dir, Env* env = Env::Default());
  ~SavedModelBuilder();  // removes the temporary directory if Save() never ran

  // Saves the session's variables (through `meta_graph`'s SaverDef) and adds
  // the MetaGraphDef under `tags`. Must be called once, first.
  Status AddMetaGraphAndVariables(Session& session, tensorflow::MetaGraphDef meta_graph,
                                  const std::vector<std::string>& tags,
                                  const std::map<std::string, tensorflow::SignatureDef>& signatures,
                                  const std::vector<AssetSource>& assets = {},
                                  const std::string& main_op = "");
  // Adds another MetaGraphDef sharing the saved variables.
  Status AddMetaGraph(tensorflow::MetaGraphDef meta_graph, const std::vector<std::string>& tags,
                      const std::map<std::string, tensorflow::SignatureDef>& signatures,
                      const std::vector<AssetSource>& assets = {}, const std::string& main_op = "");
  // Writes saved_model.pb (or .pbtxt) and fingerprint.pb, then moves the
  // directory into place.
  Status Save(bool as_text = false);

 private:
  Status Init();
  Status AddMeta(tensorflow::MetaGraphDef meta_graph, const std::vector<std::string>& tags,
                 const std::map<std::string, tensorflow::SignatureDef>& signatures,
                 const std::vector<AssetSource>& assets, const std::string& main_op);

  std::string export_dir_, tmp_dir_;
  Env* env_;
  Status init_;
  bool variables_saved_ = false, saved_ = false;
  tensorflow::SavedModel saved_model_;
};

// simple_save: tag "serve", signature "serving_default" (predict), an
// "init_all_tables" main op.
Status SimpleSave(Session& session, const GraphBuilder& b, const tensorflow::SaverDef& saver,
                  const std::string& export_dir, const std::map<std::string, Output>& inputs,
                  const std::map<std::string, Output>& outputs);

}  // namespace savedmodel::train
