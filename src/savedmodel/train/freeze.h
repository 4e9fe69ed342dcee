// Freezing (like freeze_graph / convert_variables_to_constants): a GraphDef
// holding only what a signature's outputs need, with every variable read
// replaced by a Const of its current value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "savedmodel/exec/saved_model_bundle.h"
#include "tensorflow/compiler/tf2xla/tf2xla.pb.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel::train {

StatusOr<tensorflow::GraphDef> FreezeSignature(SavedModelBundle& bundle, const std::string& signature_key);

// saved_model_cli freeze_model (TensorFlow's saved_model_aot_compile
// freeze_model): a signature frozen for tfcompile, and the tf2xla Config that
// names its feeds, fetches and fed variables.
struct FreezeModelOptions {
  std::string signature_key = "serving_default";
  // Resource variables (VarHandleOp node names) that stay variables, listed in
  // the config for the caller to set; std::nullopt means every one in the
  // graph. Any other variable the signature reads becomes a Const.
  std::optional<std::vector<std::string>> variables_to_feed = std::vector<std::string>{};
  // The checkpoint prefix whose values are frozen (saved_model_cli's default
  // is <export_dir>/variables/variables), restored through the SaverDef's
  // restore op; empty restores nothing.
  std::string checkpoint_path;
};

struct FrozenModel {
  tensorflow::GraphDef original_graph;   // the MetaGraphDef's graph as stored
  tensorflow::GraphDef prefrozen_graph;  // inputs zeroed, calls inlined; variables kept
  tensorflow::GraphDef frozen_graph;
  tensorflow::tf2xla::Config config;
  // Signature input keys the outputs do not depend on: left out of the config.
  std::vector<std::string> pruned_inputs;
};

// As TensorFlow does: the graph is imported into a fresh session and the
// checkpoint restored (no init op runs, so a variable only an init op sets
// has no value); signature inputs that are Placeholders become zero Consts of
// their shape (which must be fully defined; tfcompile feeds them by name);
// function calls are inlined (grappler's step; its other rewrites are not
// made); the graph is cut to what the outputs need, and every variable not
// fed becomes a Const of its value (ReadVariableOp -> Identity,
// ResourceGather -> GatherV2). Config feeds and fetches are sorted by
// signature key (saved_model_cli's follow protobuf's map order, which changes
// from process to process), variables by name (grappler's output order).
// Errors: INVALID_ARGUMENT for an unknown signature, one without outputs, an
// input shape not fully defined or a variable to feed that is not in the
// graph; FAILED_PRECONDITION for a frozen variable without a value;
// UNIMPLEMENTED when a frozen variable flows into functional control flow
// (If/While/Case), whose bodies are not rewritten; the restore op's errors.
StatusOr<FrozenModel> FreezeModel(const tensorflow::MetaGraphDef& meta_graph, const FreezeModelOptions& options);

// Re-saves a loaded model (its MetaGraphDef, signatures and current variable
// values) to a new export directory through its SaverDef.
Status ResaveBundle(SavedModelBundle& bundle, const std::string& export_dir,
                    const std::vector<std::string>& tags);

}  // namespace savedmodel::train
