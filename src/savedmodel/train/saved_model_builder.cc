#include "savedmodel/train/saved_model_builder.h"

#include <optional>
#include <random>
#include <set>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <unistd.h>

#include "savedmodel/format/saved_model/fingerprint.h"
#include "savedmodel/format/tensor_proto.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/train/saver.h"
#include "tensorflow/core/framework/variable.pb.h"

namespace savedmodel::train {
namespace {

// The OpDefs of the ops `graph` uses, sorted, as MetaInfoDef.stripped_op_list.
void StrippedOpList(const GraphBuilder& b, tensorflow::OpList* out) {
  std::set<std::string> ops;
  for (const auto& n : b.graph_def().node()) ops.insert(n.op());
  for (const auto& op : ops) {
    if (const tensorflow::OpDef* def = b.registry().Find(op)) {
      auto* d = out->add_op();
      *d = *def;
      // TensorFlow strips documentation from the stored op list.
      d->clear_summary();
      d->clear_description();
      for (auto& a : *d->mutable_input_arg()) a.clear_description();
      for (auto& a : *d->mutable_output_arg()) a.clear_description();
      for (auto& a : *d->mutable_attr()) a.clear_description();
    }
  }
}

tensorflow::TensorInfo Info(const Output& o) {
  tensorflow::TensorInfo info;
  info.set_name(o.name());
  info.set_dtype(static_cast<tensorflow::DataType>(BaseType(o.dtype)));
  // The builder tracks no shapes; AddMeta fills in what it can infer from the graph.
  info.mutable_tensor_shape()->set_unknown_rank(true);
  return info;
}

// Static shapes of graph tensors, for SignatureDef TensorInfos: TensorFlow's
// signature_def_utils records each tensor's inferred shape ("(-1, 784)"), and
// saved_model_cli, TF Serving's metadata and Keras read it. This covers the ops
// models are written with here; anything else stays unknown rank, which is
// still valid (TensorFlow writes it too when inference knows nothing).
class ShapeOracle {
 public:
  explicit ShapeOracle(const tensorflow::GraphDef& graph) {
    for (const auto& n : graph.node()) nodes_[n.name()] = &n;
  }

  // Dims with -1 for unknown; nullopt for unknown rank.
  std::optional<std::vector<int64_t>> Shape(const std::string& tensor) {
    auto it = memo_.find(tensor);
    if (it != memo_.end()) return it->second;
    memo_[tensor] = std::nullopt;  // cycles (loops) give up
    auto s = Infer(tensor);
    memo_[tensor] = s;
    return s;
  }

 private:
  using Dims = std::optional<std::vector<int64_t>>;

  static std::pair<std::string, int> Split(const std::string& name) {
    size_t colon = name.rfind(':');
    if (colon == std::string::npos) return {name, 0};
    return {name.substr(0, colon), std::atoi(name.c_str() + colon + 1)};
  }
  static Dims FromProto(const tensorflow::TensorShapeProto& p) {
    if (p.unknown_rank()) return std::nullopt;
    std::vector<int64_t> d;
    for (const auto& dim : p.dim()) d.push_back(dim.size() < 0 ? -1 : dim.size());
    return d;
  }
  const tensorflow::NodeDef* Node(const std::string& name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : it->second;
  }
  Dims Input(const tensorflow::NodeDef& n, int i) {
    if (i >= n.input_size() || n.input(i).empty() || n.input(i)[0] == '^') return std::nullopt;
    const std::string& in = n.input(i);
    return Shape(in.find(':') == std::string::npos ? in + ":0" : in);
  }
  static bool AttrBoolOr(const tensorflow::NodeDef& n, const std::string& key, bool dflt) {
    auto it = n.attr().find(key);
    return it == n.attr().end() ? dflt : it->second.b();
  }
  // The int values of a Const input (reduction axes), or nullopt.
  std::optional<std::vector<int64_t>> ConstInts(const tensorflow::NodeDef& n, int i) {
    if (i >= n.input_size()) return std::nullopt;
    const tensorflow::NodeDef* c = Node(Split(n.input(i)).first);
    if (c == nullptr || c->op() != "Const") return std::nullopt;
    auto v = c->attr().find("value");
    if (v == c->attr().end()) return std::nullopt;
    auto t = TensorFromProto(v->second.tensor());
    if (!t.ok()) return std::nullopt;
    std::vector<int64_t> out;
    if (t->dtype() == DT_INT32) {
      for (int32_t x : t->flat<int32_t>()) out.push_back(x);
    } else if (t->dtype() == DT_INT64) {
      for (int64_t x : t->flat<int64_t>()) out.push_back(x);
    } else {
      return std::nullopt;
    }
    return out;
  }
  // Range(0, Rank(x), 1): "every axis of x", as reductions without axes build it.
  bool IsAllAxes(const tensorflow::NodeDef& n, int i) {
    if (i >= n.input_size()) return false;
    const tensorflow::NodeDef* r = Node(Split(n.input(i)).first);
    if (r == nullptr || r->op() != "Range" || r->input_size() < 3) return false;
    const tensorflow::NodeDef* rank = Node(Split(r->input(1)).first);
    auto start = ConstInts(*r, 0), delta = ConstInts(*r, 2);
    return rank != nullptr && rank->op() == "Rank" && rank->input_size() > 0 && rank->input(0) == n.input(0) &&
           start && start->size() == 1 && (*start)[0] == 0 && delta && delta->size() == 1 && (*delta)[0] == 1;
  }
  static Dims Broadcast(const Dims& a, const Dims& b) {
    if (!a || !b) return std::nullopt;
    std::vector<int64_t> out(std::max(a->size(), b->size()));
    for (size_t k = 0; k < out.size(); ++k) {
      auto dim = [&](const std::vector<int64_t>& v) {
        return k < out.size() - v.size() ? int64_t{1} : v[k - (out.size() - v.size())];
      };
      int64_t x = dim(*a), y = dim(*b);
      if (x == 1) out[k] = y;
      else if (y == 1) out[k] = x;
      else if (x == -1) out[k] = y;  // y > 1: the broadcast must be y (or an error)
      else if (y == -1) out[k] = x;
      else if (x == y) out[k] = x;
      else return std::nullopt;
    }
    return out;
  }

  Dims Infer(const std::string& tensor) {
    auto [name, index] = Split(tensor);
    const tensorflow::NodeDef* n = Node(name);
    if (n == nullptr || index != 0) return std::nullopt;
    const std::string& op = n->op();
    auto attr = n->attr().find(op == "Const" ? "value" : "shape");
    if (op == "Placeholder" || op == "VariableV2") {
      return attr == n->attr().end() ? std::nullopt : FromProto(attr->second.shape());
    }
    if (op == "PlaceholderWithDefault") {
      return attr == n->attr().end() ? Input(*n, 0) : FromProto(attr->second.shape());
    }
    if (op == "Const") {
      return attr == n->attr().end() ? std::nullopt : FromProto(attr->second.tensor().tensor_shape());
    }
    static const std::set<std::string> kSameShape = {
        "Identity", "Snapshot", "StopGradient", "Softmax", "LogSoftmax", "Relu", "Relu6", "Elu", "Selu",
        "Sigmoid", "Tanh", "Neg", "Log", "Exp", "Square", "Sqrt", "Rsqrt", "Abs", "Sign", "Floor", "Ceil",
        "Round", "Reciprocal", "Cast", "BiasAdd", "Softplus", "LeakyRelu", "IsNan", "LogicalNot"};
    if (kSameShape.count(op)) return Input(*n, 0);
    static const std::set<std::string> kBroadcast = {
        "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Maximum", "Minimum", "Pow", "SquaredDifference",
        "FloorDiv", "FloorMod", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
        "LogicalAnd", "LogicalOr"};
    if (kBroadcast.count(op)) return Broadcast(Input(*n, 0), Input(*n, 1));
    if (op == "MatMul") {
      Dims a = Input(*n, 0), b = Input(*n, 1);
      if (!a || !b || a->size() != 2 || b->size() != 2) return std::nullopt;
      int64_t rows = AttrBoolOr(*n, "transpose_a", false) ? (*a)[1] : (*a)[0];
      int64_t cols = AttrBoolOr(*n, "transpose_b", false) ? (*b)[0] : (*b)[1];
      return std::vector<int64_t>{rows, cols};
    }
    if (op == "Sum" || op == "Mean" || op == "Max" || op == "Min" || op == "Prod" || op == "ArgMax" ||
        op == "ArgMin") {
      Dims x = Input(*n, 0);
      if (!x) return std::nullopt;
      const bool arg = op == "ArgMax" || op == "ArgMin";
      const bool keep = !arg && AttrBoolOr(*n, "keep_dims", false);
      const int64_t rank = static_cast<int64_t>(x->size());
      std::set<int64_t> axes;
      if (!arg && IsAllAxes(*n, 1)) {
        for (int64_t k = 0; k < rank; ++k) axes.insert(k);
      } else {
        auto given = ConstInts(*n, 1);
        if (!given) return std::nullopt;
        for (int64_t a : *given) {
          if (a < -rank || a >= rank) return std::nullopt;
          axes.insert(a < 0 ? a + rank : a);
        }
      }
      std::vector<int64_t> out;
      for (int64_t k = 0; k < rank; ++k) {
        if (!axes.count(k)) out.push_back((*x)[k]);
        else if (keep) out.push_back(1);
      }
      return out;
    }
    return std::nullopt;
  }

  std::map<std::string, const tensorflow::NodeDef*> nodes_;
  std::map<std::string, Dims> memo_;
};

}  // namespace

tensorflow::MetaGraphDef MetaGraphFromBuilder(const GraphBuilder& b, const tensorflow::SaverDef& saver) {
  tensorflow::MetaGraphDef mg;
  *mg.mutable_graph_def() = b.graph_def();
  *mg.mutable_saver_def() = saver;
  auto* info = mg.mutable_meta_info_def();
  info->set_meta_graph_version("savedmodel-cpp");
  StrippedOpList(b, info->mutable_stripped_op_list());
  auto* all = (*mg.mutable_collection_def())["variables"].mutable_bytes_list();
  tensorflow::CollectionDef trainable;
  for (const VariableInfo& v : b.variables()) {
    tensorflow::VariableDef def;
    def.set_variable_name(v.variable.name());
    def.set_initializer_name(v.initializer);
    def.set_snapshot_name(v.snapshot.name());
    def.set_initial_value_name(v.initial_value.name());
    def.set_trainable(v.trainable);
    std::string bytes = def.SerializeAsString();
    all->add_value(bytes);
    if (v.trainable) trainable.mutable_bytes_list()->add_value(bytes);
  }
  if (trainable.bytes_list().value_size() > 0) (*mg.mutable_collection_def())["trainable_variables"] = trainable;
  return mg;
}

tensorflow::SignatureDef PredictSignature(const std::map<std::string, Output>& inputs,
                                          const std::map<std::string, Output>& outputs) {
  tensorflow::SignatureDef sig;
  for (const auto& [k, v] : inputs) (*sig.mutable_inputs())[k] = Info(v);
  for (const auto& [k, v] : outputs) (*sig.mutable_outputs())[k] = Info(v);
  sig.set_method_name("tensorflow/serving/predict");
  return sig;
}

SavedModelBuilder::SavedModelBuilder(std::string export_dir, Env* env)
    : export_dir_(std::move(export_dir)), env_(env) {
  while (export_dir_.size() > 1 && export_dir_.back() == '/') export_dir_.pop_back();
  init_ = Init();
}

SavedModelBuilder::~SavedModelBuilder() {
  if (!saved_ && !tmp_dir_.empty()) env_->DeleteRecursively(tmp_dir_).IgnoreError();
}

Status CheckExportDirIsNew(Env* env, const std::string& export_dir) {
  if (env->FileExists(export_dir)) {
    return AlreadyExists("Export directory already exists, and isn't empty. Please choose a different "
                         "export directory, or delete all the contents of the specified directory: " +
                         export_dir);
  }
  return Status::OK();
}

Status SavedModelBuilder::Init() {
  RETURN_IF_ERROR(CheckExportDirIsNew(env_, export_dir_));
  std::string parent(Dirname(export_dir_));
  if (!parent.empty()) RETURN_IF_ERROR(env_->CreateDirs(parent));
  std::random_device rd;
  tmp_dir_ = export_dir_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  return env_->CreateDirs(tmp_dir_);
}

Status SavedModelBuilder::AddMeta(tensorflow::MetaGraphDef mg, const std::vector<std::string>& tags,
                                  const std::map<std::string, tensorflow::SignatureDef>& signatures,
                                  const std::vector<AssetSource>& assets, const std::string& main_op) {
  RETURN_IF_ERROR(init_);
  std::set<std::string> want(tags.begin(), tags.end());
  for (const auto& existing : saved_model_.meta_graphs()) {
    std::set<std::string> have(existing.meta_info_def().tags().begin(), existing.meta_info_def().tags().end());
    if (have == want) return AlreadyExists("a MetaGraphDef with tags {" + TagSetToString(tags) + "} was already added");
  }
  auto* info = mg.mutable_meta_info_def();
  info->clear_tags();
  for (const auto& t : tags) info->add_tags(t);
  ShapeOracle shapes(mg.graph_def());
  for (const auto& [key, sig] : signatures) {
    tensorflow::SignatureDef& out = (*mg.mutable_signature_def())[key];
    out = sig;
    for (auto* m : {out.mutable_inputs(), out.mutable_outputs()}) {
      for (auto& [k, info] : *m) {
        if (!info.has_tensor_shape() || !info.tensor_shape().unknown_rank()) continue;
        if (auto dims = shapes.Shape(info.name())) {
          info.mutable_tensor_shape()->Clear();
          for (int64_t d : *dims) info.mutable_tensor_shape()->add_dim()->set_size(d);
        }
      }
    }
  }
  if (!main_op.empty()) {
    auto* c = (*mg.mutable_collection_def())["saved_model_main_op"].mutable_node_list();
    c->clear_value();
    c->add_value(main_op);
  }
  for (const auto& a : assets) {
    std::string base(Basename(a.source_path));
    ASSIGN_OR_RETURN(std::string bytes, env_->ReadFileToString(a.source_path));
    RETURN_IF_ERROR(env_->CreateDirs(JoinPath(tmp_dir_, kAssetsDirectory)));
    RETURN_IF_ERROR(env_->WriteStringToFile(JoinPath(tmp_dir_, kAssetsDirectory, base), bytes));
    auto* def = mg.add_asset_file_def();
    def->mutable_tensor_info()->set_name(a.tensor_name);
    def->set_filename(base);
  }
  // Every signature tensor must exist in the graph.
  std::set<std::string> nodes;
  for (const auto& n : mg.graph_def().node()) nodes.insert(n.name());
  for (const auto& [key, sig] : mg.signature_def()) {
    for (const auto* m : {&sig.inputs(), &sig.outputs()}) {
      for (const auto& [k, t] : *m) {
        if (!nodes.count(t.name().substr(0, t.name().rfind(':')))) {
          return InvalidArgument("signature '" + key + "' tensor '" + k + "' names '" + t.name() +
                                 "', which is not in the graph");
        }
      }
    }
  }
  *saved_model_.add_meta_graphs() = std::move(mg);
  return Status::OK();
}

Status SavedModelBuilder::AddMetaGraphAndVariables(Session& session, tensorflow::MetaGraphDef mg,
                                                   const std::vector<std::string>& tags,
                                                   const std::map<std::string, tensorflow::SignatureDef>& signatures,
                                                   const std::vector<AssetSource>& assets,
                                                   const std::string& main_op) {
  RETURN_IF_ERROR(init_);
  if (variables_saved_) return FailedPrecondition("AddMetaGraphAndVariables was already called");
  if (!mg.saver_def().restore_op_name().empty()) {
    std::string prefix = JoinPath(tmp_dir_, kVariablesDirectory, kVariablesFilename);
    RETURN_IF_ERROR(env_->CreateDirs(JoinPath(tmp_dir_, kVariablesDirectory)));
    auto out = session.Run({{mg.saver_def().filename_tensor_name(), Tensor::Scalar<std::string>(prefix)}},
                           {mg.saver_def().save_tensor_name()});
    if (!out.ok()) return out.status().WithContext("saving variables");
  }
  variables_saved_ = true;
  return AddMeta(std::move(mg), tags, signatures, assets, main_op);
}

Status SavedModelBuilder::AddMetaGraph(tensorflow::MetaGraphDef mg, const std::vector<std::string>& tags,
                                       const std::map<std::string, tensorflow::SignatureDef>& signatures,
                                       const std::vector<AssetSource>& assets, const std::string& main_op) {
  if (!variables_saved_) return FailedPrecondition("call AddMetaGraphAndVariables first");
  return AddMeta(std::move(mg), tags, signatures, assets, main_op);
}

Status SavedModelBuilder::Save(bool as_text) {
  RETURN_IF_ERROR(init_);
  if (saved_) return FailedPrecondition("Save was already called");
  if (saved_model_.meta_graphs_size() == 0) return FailedPrecondition("nothing to save: add a MetaGraphDef first");
  saved_model_.set_saved_model_schema_version(1);
  std::string bytes;
  if (as_text) {
    google::protobuf::TextFormat::PrintToString(saved_model_, &bytes);
  } else {
    if (saved_model_.ByteSizeLong() > static_cast<size_t>(INT32_MAX)) {
      return ResourceExhausted("the SavedModel proto is over protobuf's 2 GiB limit");
    }
    // Deterministic (sorted map entries), so equal models give equal files and fingerprints.
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    saved_model_.SerializeToCodedStream(&coded);
  }
  RETURN_IF_ERROR(env_->WriteStringToFile(
      JoinPath(tmp_dir_, as_text ? kSavedModelFilenamePbTxt : kSavedModelFilenamePb), bytes));
  if (!as_text) {
    std::string index;
    const std::string index_path = JoinPath(tmp_dir_, kVariablesDirectory, kVariablesFilename) + ".index";
    if (env_->FileExists(index_path)) {
      ASSIGN_OR_RETURN(index, env_->ReadFileToString(index_path));
    }
    ASSIGN_OR_RETURN(auto fingerprint, ComputeFingerprint(saved_model_, bytes, index));
    RETURN_IF_ERROR(env_->WriteStringToFile(JoinPath(tmp_dir_, kFingerprintFilename),
                                            fingerprint.SerializeAsString()));
  }
  if (env_->FileExists(export_dir_)) {
    return AlreadyExists("Export directory " + export_dir_ + " appeared while saving; the model is left in " + tmp_dir_);
  }
  RETURN_IF_ERROR(env_->RenameFile(tmp_dir_, export_dir_));
  saved_ = true;
  return Status::OK();
}

Status SimpleSave(Session& session, const GraphBuilder& b, const tensorflow::SaverDef& saver,
                  const std::string& export_dir, const std::map<std::string, Output>& inputs,
                  const std::map<std::string, Output>& outputs) {
  SavedModelBuilder builder(export_dir);
  tensorflow::MetaGraphDef mg = MetaGraphFromBuilder(b, saver);
  // simple_save's legacy_init_op is tf.tables_initializer(): a NoOp when there are no tables.
  std::string main_op;
  if (b.FindNode("init_all_tables") != nullptr) main_op = "init_all_tables";
  RETURN_IF_ERROR(builder.AddMetaGraphAndVariables(session, std::move(mg), {"serve"},
                                                   {{"serving_default", PredictSignature(inputs, outputs)}}, {},
                                                   main_op));
  return builder.Save();
}

}  // namespace savedmodel::train
