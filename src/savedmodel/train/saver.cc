#include "savedmodel/train/saver.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "savedmodel/train/ops.h"

namespace savedmodel::train {

tensorflow::SaverDef AddSaver(GraphBuilder& b) {
  std::vector<VariableInfo> vars = b.variables();
  std::sort(vars.begin(), vars.end(),
            [](const VariableInfo& x, const VariableInfo& y) { return x.variable.node < y.variable.node; });
  tensorflow::SaverDef def;
  GraphBuilder::NameScope scope(&b, "save");
  Output input = Const(b, Tensor::Scalar<std::string>("model"), "filename/input");
  Output filename = b.Op("PlaceholderWithDefault", {input}, {{"shape", AttrShape({})}}, "filename");
  Output prefix = b.Op("PlaceholderWithDefault", {filename}, {{"shape", AttrShape({})}}, "Const");
  // A random temp directory name, as TensorFlow uses, keeps concurrent saves apart.
  std::random_device rd;
  char temp[48];
  std::snprintf(temp, sizeof(temp), "_temp_%08x%08x%08x%08x/part", rd(), rd(), rd(), rd());
  Output join = b.Op("StringJoin", {std::vector<Output>{prefix, Const(b, Tensor::Scalar<std::string>(temp),
                                                                      "StringJoin/inputs_1")}},
                     {{"separator", AttrString("")}}, "StringJoin");
  Output num_shards = Scalar<int32_t>(b, 1, "num_shards");
  Output shard = b.Op("ShardedFilename", {join, Scalar<int32_t>(b, 0, "ShardedFilename/shard"), num_shards}, {},
                      "ShardedFilename");
  std::vector<std::string> names;
  std::vector<Output> tensors;
  std::vector<DataType> dtypes;
  for (const auto& v : vars) {
    names.push_back(v.variable.node);
    tensors.push_back(v.variable);
    dtypes.push_back(BaseType(v.variable.dtype));
  }
  const std::vector<std::string> slices(names.size(), "");
  auto strings = [&](const std::vector<std::string>& xs, const std::string& name) {
    Tensor t(DT_STRING, TensorShape{static_cast<int64_t>(xs.size())});
    for (size_t i = 0; i < xs.size(); ++i) t.flat<std::string>()[i] = xs[i];
    return Const(b, t, name);
  };
  std::string save = b.Target("SaveV2",
                              {shard, strings(names, "SaveV2/tensor_names"),
                               strings(slices, "SaveV2/shape_and_slices"), tensors},
                              {}, "SaveV2");
  Output dep = b.Op("Identity", {shard}, {}, "control_dependency", {save});
  Output prefixes = b.Op("Pack", {std::vector<Output>{shard}}, {{"axis", AttrInt(0)}},
                         "MergeV2Checkpoints/checkpoint_prefixes", {dep.node});
  std::string merge = b.Target("MergeV2Checkpoints", {prefixes, prefix}, {{"delete_old_dirs", AttrBool(true)}},
                               "MergeV2Checkpoints");
  Output saved = b.Op("Identity", {prefix}, {}, "Identity", {merge, dep.node});

  auto restored = b.AddOp("RestoreV2", {prefix, strings(names, "RestoreV2/tensor_names"),
                                        strings(slices, "RestoreV2/shape_and_slices")},
                          {{"dtypes", AttrTypes(dtypes)}}, "RestoreV2");
  std::vector<std::string> assigns;
  for (size_t i = 0; i < vars.size() && i < restored.size(); ++i) {
    assigns.push_back(b.Target("Assign", {vars[i].variable, restored[i]},
                               {{"validate_shape", AttrBool(true)}, {"use_locking", AttrBool(true)}}, "Assign"));
  }
  std::string shard_op = b.Target("NoOp", {}, {}, "restore_shard", assigns);
  std::string restore_all = b.Target("NoOp", {}, {}, "restore_all", {shard_op});

  def.set_filename_tensor_name(prefix.name());
  def.set_save_tensor_name(saved.name());
  def.set_restore_op_name(restore_all);
  def.set_max_to_keep(5);
  def.set_sharded(true);
  def.set_keep_checkpoint_every_n_hours(10000);
  def.set_version(tensorflow::SaverDef::V2);
  return def;
}

StatusOr<std::string> SaveCheckpoint(Session& session, const tensorflow::SaverDef& saver,
                                     const std::string& prefix) {
  auto out = session.Run({{saver.filename_tensor_name(), Tensor::Scalar<std::string>(prefix)}},
                         {saver.save_tensor_name()});
  if (!out.ok()) return out.status().WithContext("saving checkpoint " + prefix);
  // The `checkpoint` file: TF's CheckpointState in text format, paths relative to the dir.
  std::string dir(Dirname(prefix)), base(Basename(prefix));
  std::string state = "model_checkpoint_path: \"" + base + "\"\nall_model_checkpoint_paths: \"" + base + "\"\n";
  // The session's Env, where SaveV2 just wrote the bundle.
  Env* env = session.env();
  std::string tmp = JoinPath(dir, "checkpoint.tmp");
  RETURN_IF_ERROR(env->WriteStringToFile(tmp, state));
  RETURN_IF_ERROR(env->RenameFile(tmp, JoinPath(dir, "checkpoint")));
  return prefix;
}

Status RestoreCheckpoint(Session& session, const tensorflow::SaverDef& saver, const std::string& prefix) {
  auto out = session.Run({{saver.filename_tensor_name(), Tensor::Scalar<std::string>(prefix)}}, {},
                         {saver.restore_op_name()});
  return out.status().WithContext("restoring checkpoint " + prefix);
}

StatusOr<std::string> LatestCheckpoint(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(JoinPath(dir, "checkpoint")));
  const std::string key = "model_checkpoint_path:";
  size_t pos = text.find(key);
  if (pos == std::string::npos) return DataLoss(JoinPath(dir, "checkpoint") + ": no model_checkpoint_path");
  size_t open = text.find('"', pos), close = open == std::string::npos ? open : text.find('"', open + 1);
  if (close == std::string::npos) return DataLoss(JoinPath(dir, "checkpoint") + ": malformed model_checkpoint_path");
  std::string path = text.substr(open + 1, close - open - 1);
  return path.empty() || path[0] == '/' ? path : JoinPath(dir, path);
}

}  // namespace savedmodel::train
