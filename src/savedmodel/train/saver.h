// The TF1 saver subgraph (tf.compat.v1.train.Saver(sharded=True), V2 format)
// and TF1 Saver checkpoints (`checkpoint` file, prefix.index, prefix.data-*).
//
// Nodes, as TensorFlow writes them (scope "save"):
//   save/filename/input Const, save/filename PlaceholderWithDefault,
//   save/Const PlaceholderWithDefault            <- SaverDef.filename_tensor_name
//   save/StringJoin(save/Const, "_temp/part") -> save/ShardedFilename(.., 0, 1)
//   save/SaveV2(shard, names, slices, vars...) -> save/control_dependency
//   save/MergeV2Checkpoints([shard], save/Const) -> save/Identity   <- save_tensor_name
//   save/RestoreV2 -> save/Assign_i -> save/restore_shard -> save/restore_all <- restore_op_name
#pragma once

#include <string>
#include <vector>

#include "savedmodel/exec/session.h"
#include "savedmodel/train/graph_builder.h"
#include "tensorflow/core/protobuf/saver.pb.h"

namespace savedmodel::train {

// Adds the saver subgraph for every variable in `b` (sorted by name, as
// TensorFlow does) and returns its SaverDef.
tensorflow::SaverDef AddSaver(GraphBuilder& b);

// Saves every variable to `prefix` by running the saver's save op, writes the
// `checkpoint` state file beside it (TF's text CheckpointState) and returns the
// prefix. Like Saver.save(sess, prefix).
StatusOr<std::string> SaveCheckpoint(Session& session, const tensorflow::SaverDef& saver,
                                     const std::string& prefix);
// Like Saver.restore(sess, prefix).
Status RestoreCheckpoint(Session& session, const tensorflow::SaverDef& saver, const std::string& prefix);
// tf.train.latest_checkpoint(dir): the prefix the `checkpoint` file names.
StatusOr<std::string> LatestCheckpoint(Env* env, const std::string& dir);

}  // namespace savedmodel::train
