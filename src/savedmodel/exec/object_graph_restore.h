// Restoring a TF2 SavedModel's variables the way tf.saved_model.load does:
// through the object graph rather than the SaverDef's restore function.
//
// A TF2 export records, for each concrete function, which objects of its
// SavedObjectGraph the function captures (`bound_inputs`), and the graph
// calls the function with those captures as trailing inputs: the VarHandleOp
// nodes of the variables. The checkpoint's TrackableObjectGraph, whose node
// ids are the same as the SavedObjectGraph's, names each variable's checkpoint
// key (".../.ATTRIBUTES/VARIABLE_VALUE"). Together they say which value each
// captured handle gets, even where the restore function restores other
// variables (Keras 3 exports) or names keys the checkpoint lacks (variables
// that were never initialized when the model was saved).
#pragma once

#include <string>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "savedmodel/exec/session.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace savedmodel {

// Whether `meta` has an object graph whose functions capture variables.
bool HasObjectGraphVariables(const tensorflow::MetaGraphDef& meta);

// Assigns every captured variable that `session` still holds uninitialized
// from the checkpoint at `prefix`. A variable whose checkpoint key is absent
// stays uninitialized (reading it fails later, naming it), as in TensorFlow.
// `session` must run `meta`'s graph (function calls may have been inlined).
Status RestoreFromObjectGraph(Env* env, const tensorflow::MetaGraphDef& meta,
                              const std::string& prefix, Session* session);

}  // namespace savedmodel
