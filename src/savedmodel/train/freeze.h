// Freezing (like freeze_graph / convert_variables_to_constants): a GraphDef
// holding only what a signature's outputs need, with every variable read
// replaced by a Const of its current value.
#pragma once

#include <string>

#include "savedmodel/exec/saved_model_bundle.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace savedmodel::train {

StatusOr<tensorflow::GraphDef> FreezeSignature(SavedModelBundle& bundle, const std::string& signature_key);

// Re-saves a loaded model (its MetaGraphDef, signatures and current variable
// values) to a new export directory through its SaverDef.
Status ResaveBundle(SavedModelBundle& bundle, const std::string& export_dir,
                    const std::vector<std::string>& tags);

}  // namespace savedmodel::train
