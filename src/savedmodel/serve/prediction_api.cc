#include "savedmodel/serve/prediction_api.h"

#include <set>

#include "savedmodel/format/tensor_proto.h"

namespace savedmodel {
namespace {

using tensorflow::SignatureDef;
namespace tfs = tensorflow::serving;

constexpr char kClassifyMethod[] = "tensorflow/serving/classify";
constexpr char kRegressMethod[] = "tensorflow/serving/regress";
constexpr char kSignatureDefField[] = "signature_def";

template <typename Map>
std::set<std::string> Keys(const Map& m) {
  std::set<std::string> keys;
  for (const auto& kv : m) keys.insert(kv.first);
  return keys;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& k : s) out += (out.empty() ? "" : ",") + k;
  return out;
}

std::set<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& k : a) {
    if (!b.count(k)) out.insert(k);
  }
  return out;
}

std::string SignatureNameOrDefault(const std::string& name) {
  return name.empty() ? kDefaultServingSignature : name;
}

// TF Serving's check of a Predict request's input keys: more keys than the
// signature has, or fewer when it has no defaults to fill in.
Status VerifyInputKeys(const SignatureDef& sig, const std::set<std::string>& request_keys) {
  const size_t n = request_keys.size();
  const size_t want = static_cast<size_t>(sig.inputs().size());
  if (n > want || (n < want && sig.defaults().empty())) {
    const std::set<std::string> sig_keys = Keys(sig.inputs());
    return InvalidArgument("input size does not match signature: " + std::to_string(n) + "!=" +
                           std::to_string(want) + " len({" + Join(request_keys) + "}) != len({" + Join(sig_keys) +
                           "}). Sent extra: {" + Join(Minus(request_keys, sig_keys)) +
                           "}. Missing but required: {" + Join(Minus(sig_keys, request_keys)) + "}.");
  }
  for (const auto& key : request_keys) {
    if (!sig.inputs().count(key)) {
      return InvalidArgument("input tensor alias not found in signature: " + key +
                             ". Inputs expected to be in the set {" + Join(Keys(sig.inputs())) + "}.");
    }
  }
  return Status::OK();
}

Status VerifyOutputFilter(const SignatureDef& sig, const std::vector<std::string>& filter) {
  std::set<std::string> seen;
  for (const auto& alias : filter) {
    if (!sig.outputs().count(alias)) {
      return InvalidArgument("output tensor alias not found in signature: " + alias +
                             " Outputs expected to be in the set {" + Join(Keys(sig.outputs())) + "}.");
    }
    if (!seen.insert(alias).second) return InvalidArgument("duplicate output tensor alias: " + alias);
  }
  return Status::OK();
}

void MakeModelSpec(const std::string& name, const std::string& signature_name, int64_t version,
                   tfs::ModelSpec* spec) {
  spec->Clear();
  spec->set_name(name);
  spec->set_signature_name(SignatureNameOrDefault(signature_name));
  spec->mutable_version()->set_value(version);
}

// The examples of a tensorflow.serving.Input as serialized tf.Examples. With
// a context, its bytes come first: parsing the concatenation merges the two
// feature maps with the example's own entries winning, as in TF Serving.
StatusOr<Tensor> SerializedExamples(const tfs::Input& input, const char* request_type) {
  std::vector<std::string> serialized;
  if (input.has_example_list()) {
    for (const auto& e : input.example_list().examples()) serialized.push_back(e.SerializeAsString());
  } else if (input.has_example_list_with_context()) {
    const std::string context = input.example_list_with_context().context().SerializeAsString();
    for (const auto& e : input.example_list_with_context().examples()) {
      serialized.push_back(context + e.SerializeAsString());
    }
  }
  if (serialized.empty()) return InvalidArgument(std::string(request_type) + "::input is empty.");
  ASSIGN_OR_RETURN(Tensor t, Tensor::Create(DT_STRING, std::vector<int64_t>{static_cast<int64_t>(serialized.size())}));
  auto flat = t.flat<std::string>();
  for (size_t i = 0; i < serialized.size(); ++i) flat[i] = std::move(serialized[i]);
  return t;
}

// The signature a Classify/Regress names, checked as TF Serving's
// classifier/regressor check it. Its method name is not checked: TF Serving
// checks it only with --enable_signature_method_name_check (off by default),
// and TF2 exports label every signature tensorflow/serving/predict.
StatusOr<const SignatureDef*> ExampleSignature(const Servable& servable, const std::string& name, const char* kind) {
  const auto& sigs = servable.bundle->meta_graph_def().signature_def();
  const std::string key = SignatureNameOrDefault(name);
  auto it = sigs.find(key);
  if (it == sigs.end()) return InvalidArgument("No signature was found with the name: " + key);
  const SignatureDef& sig = it->second;
  if (sig.inputs().size() != 1) return InvalidArgument("Expected one input Tensor.");
  auto input = sig.inputs().find("inputs");
  if (input == sig.inputs().end()) {
    return InvalidArgument(std::string("No ") + kind + " inputs found in SignatureDef '" + key + "'");
  }
  // Serialized tf.Examples are fed to it; TensorFlow's words for a feed of
  // the wrong type.
  if (input->second.dtype() != tensorflow::DT_STRING) {
    return InvalidArgument("Expects arg[0] to be " + DataTypeString(static_cast<DataType>(input->second.dtype())) +
                           " but string is provided");
  }
  return &sig;
}

Status CheckClassifySignature(const SignatureDef& sig, const std::string& name) {
  if (sig.outputs().size() != 1 && sig.outputs().size() != 2) {
    return InvalidArgument("Expected one or two output Tensors, found " + std::to_string(sig.outputs().size()));
  }
  if (!sig.outputs().count("classes") && !sig.outputs().count("scores")) {
    return InvalidArgument(
        "Expected classification signature outputs to contain at least one of \"classes\" or \"scores\". "
        "Signature was: '" + SignatureNameOrDefault(name) + "'");
  }
  return Status::OK();
}

Status CheckRegressSignature(const SignatureDef& sig, const std::string& name) {
  if (sig.outputs().size() != 1) return InvalidArgument("Expected one output Tensor.");
  if (!sig.outputs().count("outputs")) {
    return FailedPrecondition("No regression outputs found in SignatureDef '" + SignatureNameOrDefault(name) + "'");
  }
  return Status::OK();
}

Status ClassificationResultFromOutputs(const std::map<std::string, Tensor>& out, int64_t num_examples,
                                       tfs::ClassificationResult* result) {
  auto find = [&](const char* key) -> const Tensor* {
    auto it = out.find(key);
    return it == out.end() ? nullptr : &it->second;
  };
  const Tensor* classes = find("classes");
  const Tensor* scores = find("scores");
  auto check = [&](const Tensor* t, DataType dtype, const std::string& what) -> Status {
    if (t == nullptr) return Status::OK();
    if (t->rank() != 2) {
      return InvalidArgument("Expected Tensor shape: [batch_size num_classes] but got " + t->shape().DebugString());
    }
    if (t->dtype() != dtype) {
      return InvalidArgument("Expected " + what + " Tensor of " + DataTypeEnumName(dtype) +
                             ". Got: " + DataTypeEnumName(t->dtype()));
    }
    if (t->dim(0) != num_examples) {
      return InvalidArgument("Expected " + what + " output batch size of " + std::to_string(num_examples) +
                             ". Got: " + std::to_string(t->dim(0)));
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(check(classes, DT_STRING, "classes"));
  RETURN_IF_ERROR(check(scores, DT_FLOAT, "scores"));
  if (classes && scores && classes->dim(1) != scores->dim(1)) {
    return InvalidArgument("Tensors class and score should match in dim_size(1). Got " +
                           std::to_string(classes->dim(1)) + " vs. " + std::to_string(scores->dim(1)));
  }
  const int64_t num_classes = classes ? classes->dim(1) : scores ? scores->dim(1) : 0;
  for (int64_t i = 0; i < num_examples; ++i) {
    auto* c = result->add_classifications();
    for (int64_t j = 0; j < num_classes; ++j) {
      auto* cl = c->add_classes();
      if (classes) cl->set_label(classes->flat<std::string>()[i * num_classes + j]);
      if (scores) cl->set_score(scores->flat<float>()[i * num_classes + j]);
    }
  }
  return Status::OK();
}

Status RegressionResultFromOutputs(const std::map<std::string, Tensor>& out, int64_t num_examples,
                                   tfs::RegressionResult* result) {
  auto it = out.find("outputs");
  if (it == out.end()) return InvalidArgument("Could not find output tensor 'outputs'");
  const Tensor& t = it->second;
  if (!(t.rank() == 1 || (t.rank() == 2 && t.dim(1) == 1))) {
    return InvalidArgument("Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got " +
                           t.shape().DebugString());
  }
  if (t.dim(0) != num_examples) {
    return InvalidArgument("Input batch size did not match output batch size: " + std::to_string(num_examples) +
                           " vs. " + std::to_string(t.dim(0)));
  }
  if (t.dtype() != DT_FLOAT) {
    return InvalidArgument("Expected output Tensor of DT_FLOAT.  Got: " + DataTypeEnumName(t.dtype()));
  }
  for (float v : t.flat<float>()) result->add_regressions()->set_value(v);
  return Status::OK();
}

}  // namespace

PredictionApi::PredictionApi(ServableSource* source, PredictRunner* runner) : source_(source), runner_(runner) {}

StatusOr<ServableHandle> PredictionApi::FindServable(const tfs::ModelSpec& spec) const {
  return source_->Find(spec);
}

StatusOr<const SignatureDef*> PredictionApi::FindSignature(const Servable& servable, const std::string& name) {
  const auto& sigs = servable.bundle->meta_graph_def().signature_def();
  const std::string key = SignatureNameOrDefault(name);
  auto it = sigs.find(key);
  if (it == sigs.end()) return FailedPrecondition("Serving signature key \"" + key + "\" not found.");
  return &it->second;
}

StatusOr<std::map<std::string, Tensor>> PredictionApi::PredictTensors(const ServableHandle& servable,
                                                                      const std::string& signature_name,
                                                                      std::map<std::string, Tensor> inputs,
                                                                      const std::vector<std::string>& output_filter) {
  ASSIGN_OR_RETURN(const SignatureDef* sig, FindSignature(*servable, signature_name));
  RETURN_IF_ERROR(VerifyInputKeys(*sig, Keys(inputs)));
  // Feeds are numbered in key order, which is how this runtime orders them.
  int arg = 0;
  for (const auto& alias : Keys(sig->inputs())) {
    auto it = inputs.find(alias);
    if (it == inputs.end()) {
      auto def = sig->defaults().find(alias);
      if (def == sig->defaults().end()) {
        return InvalidArgument("input size does not match signature: missing input " + alias +
                               " has no default value");
      }
      auto t = TensorFromProto(def->second);
      if (!t.ok()) return InvalidArgument("tensor parsing error: " + alias);
      inputs.emplace(alias, *std::move(t));
      it = inputs.find(alias);
    }
    const DataType want = static_cast<DataType>(sig->inputs().at(alias).dtype());
    if (it->second.dtype() != want) {
      return InvalidArgument("Expects arg[" + std::to_string(arg) + "] to be " + DataTypeString(want) + " but " +
                             DataTypeString(it->second.dtype()) + " is provided");
    }
    ++arg;
  }
  RETURN_IF_ERROR(VerifyOutputFilter(*sig, output_filter));
  return runner_->Run(servable, SignatureNameOrDefault(signature_name), inputs, output_filter);
}

Status PredictionApi::Predict(const tfs::PredictRequest& request, tfs::PredictResponse* response) {
  ASSIGN_OR_RETURN(ServableHandle servable, FindServable(request.model_spec()));
  const std::string& sig_name = request.model_spec().signature_name();
  ASSIGN_OR_RETURN(const SignatureDef* sig, FindSignature(*servable, sig_name));
  MakeModelSpec(request.model_spec().name(), sig_name, servable->version, response->mutable_model_spec());
  // Keys first, so a request with a wrong key is refused before its tensors
  // are decoded, as TF Serving orders the checks.
  RETURN_IF_ERROR(VerifyInputKeys(*sig, Keys(request.inputs())));
  std::map<std::string, Tensor> inputs;
  for (const auto& [alias, proto] : request.inputs()) {
    auto t = TensorFromProto(proto);
    if (!t.ok()) {
      if (t.status().code() == StatusCode::kResourceExhausted) return t.status();
      return InvalidArgument("tensor parsing error: " + alias);
    }
    inputs.emplace(alias, *std::move(t));
  }
  const std::vector<std::string> filter(request.output_filter().begin(), request.output_filter().end());
  ASSIGN_OR_RETURN(auto outputs, PredictTensors(servable, sig_name, std::move(inputs), filter));
  for (const auto& [alias, t] : outputs) TensorToProto(t, &(*response->mutable_outputs())[alias], false);
  return Status::OK();
}

Status PredictionApi::Classify(const tfs::ClassificationRequest& request, tfs::ClassificationResponse* response) {
  ASSIGN_OR_RETURN(ServableHandle servable, FindServable(request.model_spec()));
  const std::string& name = request.model_spec().signature_name();
  ASSIGN_OR_RETURN(const SignatureDef* sig, ExampleSignature(*servable, name, "classification"));
  RETURN_IF_ERROR(CheckClassifySignature(*sig, name));
  MakeModelSpec(request.model_spec().name(), name, servable->version, response->mutable_model_spec());
  ASSIGN_OR_RETURN(Tensor examples, SerializedExamples(request.input(), "ClassificationRequest"));
  const int64_t n = examples.dim(0);
  ASSIGN_OR_RETURN(auto out, runner_->Run(servable, SignatureNameOrDefault(name), {{"inputs", examples}}, {}));
  return ClassificationResultFromOutputs(out, n, response->mutable_result());
}

Status PredictionApi::Regress(const tfs::RegressionRequest& request, tfs::RegressionResponse* response) {
  ASSIGN_OR_RETURN(ServableHandle servable, FindServable(request.model_spec()));
  const std::string& name = request.model_spec().signature_name();
  ASSIGN_OR_RETURN(const SignatureDef* sig, ExampleSignature(*servable, name, "regression"));
  RETURN_IF_ERROR(CheckRegressSignature(*sig, name));
  MakeModelSpec(request.model_spec().name(), name, servable->version, response->mutable_model_spec());
  ASSIGN_OR_RETURN(Tensor examples, SerializedExamples(request.input(), "RegressionRequest"));
  const int64_t n = examples.dim(0);
  ASSIGN_OR_RETURN(auto out, runner_->Run(servable, SignatureNameOrDefault(name), {{"inputs", examples}}, {}));
  return RegressionResultFromOutputs(out, n, response->mutable_result());
}

Status PredictionApi::MultiInference(const tfs::MultiInferenceRequest& request,
                                     tfs::MultiInferenceResponse* response) {
  if (request.tasks_size() == 0) return InvalidArgument("MultiInferenceRequest must contain at least one task.");
  const std::string& model = request.tasks(0).model_spec().name();
  std::set<std::string> signatures;
  for (const auto& task : request.tasks()) {
    if (task.model_spec().name().empty()) return InvalidArgument("Found ModelSpec with an empty model name.");
    if (task.model_spec().name() != model) {
      return InvalidArgument("All ModelSpecs in a MultiInferenceRequest must access the same model name.");
    }
    const std::string sig = SignatureNameOrDefault(task.model_spec().signature_name());
    if (!signatures.insert(sig).second) return InvalidArgument("Duplicate evaluation of signature: " + sig);
    if (task.method_name() != kClassifyMethod && task.method_name() != kRegressMethod) {
      return Unimplemented("Unsupported signature method_name: " + task.method_name());
    }
  }
  // One version answers every task, so their results agree.
  ASSIGN_OR_RETURN(ServableHandle servable, FindServable(request.tasks(0).model_spec()));
  std::vector<std::pair<const tfs::InferenceTask*, const SignatureDef*>> checked;
  for (const auto& task : request.tasks()) {
    const std::string& name = task.model_spec().signature_name();
    const auto& sigs = servable->bundle->meta_graph_def().signature_def();
    if (!sigs.count(SignatureNameOrDefault(name))) {
      return InvalidArgument("Requested signature not found in model graph: " + SignatureNameOrDefault(name));
    }
    const bool classify = task.method_name() == kClassifyMethod;
    ASSIGN_OR_RETURN(const SignatureDef* sig,
                     ExampleSignature(*servable, name, classify ? "classification" : "regression"));
    RETURN_IF_ERROR(classify ? CheckClassifySignature(*sig, name) : CheckRegressSignature(*sig, name));
    if (!checked.empty() && checked[0].second->inputs().at("inputs").name() != sig->inputs().at("inputs").name()) {
      return InvalidArgument("Input tensor must be the same for all Signatures.");
    }
    checked.emplace_back(&task, sig);
  }
  ASSIGN_OR_RETURN(Tensor examples, SerializedExamples(request.input(), "MultiInferenceRequest"));
  const int64_t n = examples.dim(0);
  for (const auto& [task, sig] : checked) {
    const std::string name = SignatureNameOrDefault(task->model_spec().signature_name());
    ASSIGN_OR_RETURN(auto out, runner_->Run(servable, name, {{"inputs", examples}}, {}));
    auto* result = response->add_results();
    MakeModelSpec(model, name, servable->version, result->mutable_model_spec());
    if (task->method_name() == kClassifyMethod) {
      RETURN_IF_ERROR(ClassificationResultFromOutputs(out, n, result->mutable_classification_result()));
    } else {
      RETURN_IF_ERROR(RegressionResultFromOutputs(out, n, result->mutable_regression_result()));
    }
  }
  return Status::OK();
}

Status PredictionApi::GetModelMetadata(const tfs::GetModelMetadataRequest& request,
                                       tfs::GetModelMetadataResponse* response) {
  if (!request.has_model_spec()) return InvalidArgument("Missing ModelSpec");
  if (request.metadata_field_size() == 0) {
    return InvalidArgument("GetModelMetadataRequest must specify at least one metadata_field");
  }
  for (const auto& field : request.metadata_field()) {
    if (field != kSignatureDefField) return InvalidArgument("Metadata field " + field + " is not supported");
  }
  ASSIGN_OR_RETURN(ServableHandle servable, FindServable(request.model_spec()));
  tfs::SignatureDefMap map;
  for (const auto& [key, sig] : servable->bundle->meta_graph_def().signature_def()) {
    (*map.mutable_signature_def())[key] = sig;
  }
  auto* spec = response->mutable_model_spec();
  spec->set_name(servable->name);
  spec->mutable_version()->set_value(servable->version);
  (*response->mutable_metadata())[kSignatureDefField].PackFrom(map);
  return Status::OK();
}

}  // namespace savedmodel
