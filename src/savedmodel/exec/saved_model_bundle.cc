#include "savedmodel/exec/saved_model_bundle.h"

#include "savedmodel/graph/function_inline.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string_view>

#include "savedmodel/base/confined_env.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/exec/object_graph_restore.h"
#include "savedmodel/format/bundle/bundle_reader.h"

namespace savedmodel {
namespace {

// The pools of every model loaded with default threading. TensorFlow's
// sessions share process-wide pools too unless told otherwise
// (ConfigProto.use_per_session_threads); starting and joining two pools of
// threads per model was a third of loading a small one, and models run side
// by side do not oversubscribe the cores. Never destroyed: a model may be
// released at exit after statics are gone.
struct SharedPools {
  // Null on a one-CPU machine, where the calling thread is the only one.
  std::unique_ptr<ThreadPool> intra =
      IntraOpWorkers(0) > 0 ? std::make_unique<ThreadPool>(IntraOpWorkers(0)) : nullptr;
  ThreadPool inter;
};

SharedPools& DefaultPools() {
  static SharedPools* const pools = new SharedPools();
  return *pools;
}

constexpr char kMainOpCollection[] = "saved_model_main_op";
constexpr char kLegacyInitOpCollection[] = "legacy_init_op";

// The init op TensorFlow runs after restoring: the __saved_model_init_op
// signature (TF >= 1.12), else the main op, else the legacy init op collection.
std::string InitOpName(const tensorflow::MetaGraphDef& mg) {
  auto sig = mg.signature_def().find(kInitOpSignatureKey);
  if (sig != mg.signature_def().end()) {
    auto out = sig->second.outputs().find(kInitOpSignatureKey);
    if (out != sig->second.outputs().end()) return out->second.name();
  }
  for (const char* key : {kMainOpCollection, kLegacyInitOpCollection}) {
    auto it = mg.collection_def().find(key);
    if (it != mg.collection_def().end() && it->second.node_list().value_size() > 0) {
      return it->second.node_list().value(0);
    }
  }
  return "";
}

std::vector<std::pair<std::string, Tensor>> AssetFeeds(const std::string& export_dir,
                                                       const std::vector<AssetFile>& assets) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& a : assets) {
    feeds.push_back({a.tensor_name, Tensor::Scalar<std::string>(
                                        JoinPath(export_dir, kAssetsDirectory, a.filename))});
  }
  return feeds;
}

// The Consts holding asset paths keep the path the asset had when the model
// was saved. TensorFlow's TF1 loader feeds the packaged path to the init op
// only, so a signature reading the Const would open the old path (or fail);
// tf.saved_model.load rebinds the asset for every call. We do as the latter:
// every Run sees the file inside this export's assets/.
void PointAssetsAtExportDir(const std::string& export_dir, const std::vector<AssetFile>& assets,
                            tensorflow::GraphDef* graph) {
  std::map<std::string, std::string> paths;
  for (const auto& a : assets) {
    const std::string& t = a.tensor_name;
    if (t.size() > 2 && t.compare(t.size() - 2, 2, ":0") != 0 && t.find(':') != std::string::npos) continue;
    paths[t.substr(0, t.find(':'))] = JoinPath(export_dir, kAssetsDirectory, a.filename);
  }
  for (auto& node : *graph->mutable_node()) {
    auto it = paths.find(node.name());
    if (it == paths.end() || node.op() != "Const") continue;
    auto value = node.mutable_attr()->find("value");
    if (value == node.mutable_attr()->end() || value->second.tensor().dtype() != tensorflow::DT_STRING ||
        value->second.tensor().tensor_shape().dim_size() != 0) {
      continue;
    }
    auto* tensor = value->second.mutable_tensor();
    tensor->clear_string_val();
    tensor->clear_tensor_content();
    tensor->add_string_val(it->second);
  }
}

// LoadOptions::mmap_variables, unless SAVEDMODEL_MMAP_VARIABLES is "0" or "false".
bool MapVariables(const LoadOptions& options) {
  const char* env = std::getenv("SAVEDMODEL_MMAP_VARIABLES");
  const std::string_view v = env == nullptr ? "" : env;
  return options.mmap_variables && v != "0" && v != "false";
}

// Without a SaverDef, variables are restored straight from the bundle by node name.
Status RestoreWithoutSaver(Env* env, SavedModelBundle& bundle, const std::string& prefix) {
  ASSIGN_OR_RETURN(auto reader, bundle::BundleReader::Open(env, prefix));
  for (const Node& node : bundle.session().graph().nodes()) {
    if (node.op() != "VariableV2" && node.op() != "Variable") continue;
    if (!reader->Contains(node.name())) continue;
    ASSIGN_OR_RETURN(Tensor t, reader->Read(node.name()));
    std::string shared_name;
    auto it = node.def.attr().find("shared_name");
    if (it != node.def.attr().end()) shared_name = it->second.s();
    std::string container;
    it = node.def.attr().find("container");
    if (it != node.def.attr().end()) container = it->second.s();
    bundle.session()
        .resources()
        ->LookupOrCreateVariable(container + "/" + (shared_name.empty() ? node.name() : shared_name))
        ->set_value(std::move(t));
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<SavedModelBundle>> LoadSavedModel(const std::string& export_dir,
                                                           const std::vector<std::string>& tags,
                                                           const LoadOptions& options) {
  auto bundle = std::unique_ptr<SavedModelBundle>(new SavedModelBundle());
  Env* env = options.session.env;
  SessionOptions session_options = options.session;
  if (session_options.intra_op_pool == nullptr && session_options.inter_op_pool == nullptr &&
      session_options.intra_op_threads == 0 && session_options.inter_op_threads == 0) {
    session_options.intra_op_pool = DefaultPools().intra.get();
    if (session_options.intra_op_pool == nullptr) session_options.intra_op_threads = 1;
    session_options.inter_op_pool = &DefaultPools().inter;
  }
  if (!MapVariables(options)) {
    bundle->unmapped_env_ = NewEnvWithoutMapping(env);
    env = bundle->unmapped_env_.get();
    session_options.env = env;
  }
  if (options.confine_file_access) {
    FileAccessRoots roots;
    roots.read = options.allowed_read_paths;
    roots.read.push_back(export_dir);
    roots.write = options.allowed_write_paths;
    auto confined = ConfinedEnv::Create(env, roots);
    if (!confined.ok()) return confined.status().WithContext("loading " + export_dir);
    bundle->confined_env_ = std::move(confined).value();
    env = bundle->confined_env_.get();
    session_options.env = env;
  }
  ASSIGN_OR_RETURN(bundle->data_, ReadSavedModel(env, export_dir));
  // What the restore and init Runs and the signatures' kernels allocate is
  // charged to the model for as long as it lives (a Run inside this scope
  // charges it instead of a per-Run budget). Only around those calls: here a
  // Tensor constructor over budget throws, and they turn that into a status.
  bundle->memory_ = std::make_shared<MemoryBudget>(options.max_model_bytes,
                                                   "LoadOptions::max_model_bytes");
  const AllocationScope model_scope{/*limit_tensor_bytes=*/false, bundle->memory_};

  ASSIGN_OR_RETURN(const tensorflow::MetaGraphDef* mg,
                   FindMetaGraphDef(bundle->data_.saved_model, tags));
  // Move the chosen MetaGraphDef out rather than copy it, and drop the others:
  // a graph's Consts can be most of its bytes, and nothing reads them there again.
  for (auto& candidate : *bundle->data_.saved_model.mutable_meta_graphs()) {
    if (&candidate == mg) bundle->meta_graph_.Swap(&candidate);
  }
  bundle->data_.saved_model.clear_meta_graphs();
  const auto& meta = bundle->meta_graph_;
  // TF2 graphs call into their function library; the runtime runs plain ops.
  tensorflow::GraphDef graph_def = meta.graph_def();
  ASSIGN_OR_RETURN(auto assets, GetAssetFiles(meta));
  PointAssetsAtExportDir(export_dir, assets, &graph_def);
  RETURN_IF_ERROR(InlineFunctionCalls(&graph_def).WithContext("loading " + export_dir));
  auto graph = [&] {
    // Import decodes the Consts' values, which the model holds while it lives.
    ScopedAllocationScope charged(model_scope);
    return Graph::Import(std::move(graph_def));
  }();
  if (!graph.ok()) return graph.status().WithContext("loading " + export_dir);
  ASSIGN_OR_RETURN(bundle->session_, Session::Create(std::move(graph).value(), session_options));

  auto asset_feeds = AssetFeeds(export_dir, assets);

  const std::string prefix = bundle->data_.VariablesPrefix();
  if (bundle->data_.HasVariables(env)) {
    const auto& saver = meta.saver_def();
    if (!saver.restore_op_name().empty()) {
      auto feeds = asset_feeds;
      feeds.push_back({saver.filename_tensor_name(), Tensor::Scalar<std::string>(prefix)});
      ScopedAllocationScope charged(model_scope);
      auto r = bundle->session_->Run(feeds, {}, {saver.restore_op_name()});
      // A TF2 export whose restore function fails (it names variables that
      // were never initialized, so the checkpoint lacks them) still loads
      // through its object graph, as tf.saved_model.load does.
      if (!r.ok() && !HasObjectGraphVariables(meta)) {
        return r.status().WithContext("restoring variables of " + export_dir);
      }
    } else {
      ScopedAllocationScope charged(model_scope);
      RETURN_IF_ERROR(RestoreWithoutSaver(env, *bundle, prefix).WithContext("restoring variables of " + export_dir));
    }
    if (HasObjectGraphVariables(meta)) {
      ScopedAllocationScope charged(model_scope);
      RETURN_IF_ERROR(RestoreFromObjectGraph(env, meta, prefix, bundle->session_.get())
                          .WithContext("restoring variables of " + export_dir + " through its object graph"));
    }
  }

  const std::string init_op = InitOpName(meta);
  if (!init_op.empty()) {
    ScopedAllocationScope charged(model_scope);
    auto r = bundle->session_->Run(asset_feeds, {}, {init_op});
    if (!r.ok()) return r.status().WithContext("running init op '" + init_op + "' of " + export_dir);
  }

  for (const auto& [key, sig] : meta.signature_def()) {
    if (key == kInitOpSignatureKey) continue;
    std::vector<std::string> feeds, fetches;
    for (const auto& [_, info] : sig.inputs()) feeds.push_back(info.name());
    for (const auto& [_, info] : sig.outputs()) fetches.push_back(info.name());
    Status s;
    {
      ScopedAllocationScope charged(model_scope);
      s = bundle->session_->Prepare(feeds, fetches, {});
    }
    if (s.code() == StatusCode::kUnimplemented) {
      bundle->unavailable_signatures_[key] =
          s.WithContext("signature '" + key + "' of " + export_dir + " cannot run");
    } else if (!s.ok()) {
      return s.WithContext("preparing signature '" + key + "' of " + export_dir);
    }
  }
  return bundle;
}

Status SavedModelBundle::SignatureStatus(const std::string& signature_key) const {
  auto it = unavailable_signatures_.find(signature_key);
  return it == unavailable_signatures_.end() ? Status::OK() : it->second;
}

StatusOr<std::map<std::string, Tensor>> SavedModelBundle::Predict(
    const std::string& signature_key, const std::map<std::string, Tensor>& inputs,
    const std::vector<std::string>& output_filter) {
  ASSIGN_OR_RETURN(const tensorflow::SignatureDef* sig, FindSignatureDef(meta_graph_, signature_key));
  RETURN_IF_ERROR(SignatureStatus(signature_key));
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const auto& [key, tensor] : inputs) {
    auto it = sig->inputs().find(key);
    if (it == sig->inputs().end()) {
      std::string have;
      for (const auto& [k, _] : sig->inputs()) have += (have.empty() ? "'" : ", '") + k + "'";
      return InvalidArgument("signature '" + signature_key + "' has no input '" + key +
                             "'; its inputs are " + have);
    }
    if (static_cast<int>(tensor.dtype()) != it->second.dtype()) {
      return InvalidArgument("signature '" + signature_key + "' input '" + key + "' expects " +
                             DataTypeString(static_cast<DataType>(it->second.dtype())) + ", got " +
                             DataTypeString(tensor.dtype()));
    }
    feeds.push_back({it->second.name(), tensor});
  }
  for (const auto& [key, info] : sig->inputs()) {
    if (!inputs.count(key)) {
      return InvalidArgument("signature '" + signature_key + "' input '" + key + "' was not given");
    }
  }
  std::vector<std::string> keys, fetches;
  for (const auto& [key, info] : sig->outputs()) {
    if (!output_filter.empty() &&
        std::find(output_filter.begin(), output_filter.end(), key) == output_filter.end()) {
      continue;
    }
    keys.push_back(key);
    fetches.push_back(info.name());
  }
  for (const auto& want : output_filter) {
    if (!sig->outputs().count(want)) {
      return InvalidArgument("signature '" + signature_key + "' has no output '" + want + "'");
    }
  }
  ASSIGN_OR_RETURN(auto tensors, session_->Run(feeds, fetches));
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < keys.size(); ++i) out[keys[i]] = std::move(tensors[i]);
  return out;
}

StatusOr<std::map<std::string, Tensor>> SavedModelBundle::RunExamples(
    const std::string& signature_key, const char* method, const std::vector<std::string>& examples) {
  ASSIGN_OR_RETURN(const tensorflow::SignatureDef* sig, FindSignatureDef(meta_graph_, signature_key));
  RETURN_IF_ERROR(SignatureStatus(signature_key));
  if (sig->method_name() != method) {
    return InvalidArgument("signature '" + signature_key + "' has method '" + sig->method_name() +
                           "', expected " + method);
  }
  if (sig->inputs().size() != 1 || !sig->inputs().count("inputs")) {
    return InvalidArgument("signature '" + signature_key +
                           "' must have exactly one input named 'inputs'");
  }
  Tensor batch(DT_STRING, TensorShape{static_cast<int64_t>(examples.size())});
  for (size_t i = 0; i < examples.size(); ++i) batch.flat<std::string>()[i] = examples[i];
  return Predict(signature_key, {{"inputs", batch}});
}

StatusOr<std::vector<float>> SavedModelBundle::Regress(const std::string& signature_key,
                                                       const std::vector<std::string>& examples) {
  ASSIGN_OR_RETURN(auto out, RunExamples(signature_key, "tensorflow/serving/regress", examples));
  auto it = out.find("outputs");
  if (it == out.end()) return InvalidArgument("regression signature '" + signature_key + "' has no 'outputs'");
  const Tensor& t = it->second;
  // [batch] or [batch, 1] of float, as TF Serving accepts.
  if (t.dtype() != DT_FLOAT || t.num_elements() != static_cast<int64_t>(examples.size()) ||
      t.rank() > 2 || (t.rank() == 2 && t.dim(1) != 1)) {
    return InvalidArgument("regression output must be float [batch] or [batch, 1], got " +
                           DataTypeString(t.dtype()) + " " + t.shape().DebugString());
  }
  return std::vector<float>(t.flat<float>().begin(), t.flat<float>().end());
}

StatusOr<std::vector<std::vector<SavedModelBundle::Class>>> SavedModelBundle::Classify(
    const std::string& signature_key, const std::vector<std::string>& examples) {
  ASSIGN_OR_RETURN(auto out, RunExamples(signature_key, "tensorflow/serving/classify", examples));
  const Tensor* classes = out.count("classes") ? &out["classes"] : nullptr;
  const Tensor* scores = out.count("scores") ? &out["scores"] : nullptr;
  if (!classes && !scores) {
    return InvalidArgument("classification signature '" + signature_key +
                           "' has neither 'classes' nor 'scores'");
  }
  const int64_t batch = static_cast<int64_t>(examples.size());
  auto check = [&](const Tensor* t, DataType dt, const char* name) -> StatusOr<int64_t> {
    if (!t) return int64_t{-1};
    if (t->dtype() != dt || t->rank() != 2 || t->dim(0) != batch) {
      return InvalidArgument(std::string("classification output '") + name + "' must be " +
                             DataTypeString(dt) + " [batch, classes], got " +
                             DataTypeString(t->dtype()) + " " + t->shape().DebugString());
    }
    return t->dim(1);
  };
  ASSIGN_OR_RETURN(int64_t nc, check(classes, DT_STRING, "classes"));
  ASSIGN_OR_RETURN(int64_t ns, check(scores, DT_FLOAT, "scores"));
  if (nc >= 0 && ns >= 0 && nc != ns) {
    return InvalidArgument("'classes' and 'scores' have different numbers of classes");
  }
  const int64_t k = std::max(nc, ns);
  std::vector<std::vector<Class>> result(batch, std::vector<Class>(k));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t j = 0; j < k; ++j) {
      if (classes) result[b][j].label = classes->flat<std::string>()[b * k + j];
      if (scores) result[b][j].score = scores->flat<float>()[b * k + j];
    }
  }
  return result;
}

}  // namespace savedmodel
