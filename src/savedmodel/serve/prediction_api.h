// TF Serving's PredictionService calls on their protos, without a transport:
// the gRPC service forwards to these, and the REST handler uses the same
// resolution and validation through the tensor-level calls below, so both
// APIs give the same answers, status codes and messages (TF Serving's).
//
// Every call resolves the servable through ServableSource::Find (NOT_FOUND /
// INVALID_ARGUMENT for unknown models, versions and labels, worded by the
// source), picks the signature (model_spec.signature_name, default
// "serving_default"), validates the request against it and fills the
// response's model_spec with the model name, the version that answered and
// the signature name, as TF Serving does.
//
// Thread-safe: holds no state but its two pointers, which must outlive it.
// Without batching, DirectPredictRunner (batching.h) is the runner.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "savedmodel/serve/servable.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/inference.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace savedmodel {

inline constexpr char kDefaultServingSignature[] = "serving_default";

class PredictionApi {
 public:
  // Neither may be null; both must outlive this object.
  PredictionApi(ServableSource* source, PredictRunner* runner);

  // ---- gRPC-shaped calls (tensorflow.serving.PredictionService) ----

  // Inputs by alias as TensorProtos; a missing input takes the signature's
  // default when it has one. Errors: FAILED_PRECONDITION 'Serving signature
  // key "x" not found.'; INVALID_ARGUMENT "input size does not match
  // signature: ...", "input tensor alias not found in signature: ...",
  // "output tensor alias not found in signature: ...", "duplicate output
  // tensor alias: ...", "Expects arg[i] to be float but string is provided"
  // (dtype mismatch); errors from the run itself pass through. Outputs are
  // written as typed proto fields (TF Serving's AsProtoField).
  Status Predict(const tensorflow::serving::PredictRequest& request,
                 tensorflow::serving::PredictResponse* response);

  // From request.input (example_list, or example_list_with_context whose
  // context features are merged into every example, an example's own value
  // winning). INVALID_ARGUMENT "ClassificationRequest::input is empty."
  // without examples; signature errors as TF Serving's classifier/regressor
  // word them. The signature needs one DT_STRING input "inputs" and outputs
  // "classes"/"scores" (classify) or "outputs" (regress); its method name is
  // not checked (TF Serving's default; TF2 exports say .../predict).
  Status Classify(const tensorflow::serving::ClassificationRequest& request,
                  tensorflow::serving::ClassificationResponse* response);
  Status Regress(const tensorflow::serving::RegressionRequest& request,
                 tensorflow::serving::RegressionResponse* response);

  // Several classify/regress tasks over one Input, all on the same model
  // (INVALID_ARGUMENT otherwise, as are duplicate signatures and methods
  // other than tensorflow/serving/{classify,regress}).
  Status MultiInference(const tensorflow::serving::MultiInferenceRequest& request,
                        tensorflow::serving::MultiInferenceResponse* response);

  // metadata_field must name "signature_def" (the only one TF Serving
  // knows); the answer's metadata["signature_def"] is a packed
  // SignatureDefMap.
  Status GetModelMetadata(const tensorflow::serving::GetModelMetadataRequest& request,
                          tensorflow::serving::GetModelMetadataResponse* response);

  // ---- tensor-level calls (the REST path: JSON decodes to Tensors) ----

  // Find the servable `spec` names (ServableSource::Find).
  StatusOr<ServableHandle> FindServable(const tensorflow::serving::ModelSpec& spec) const;

  // The SignatureDef `name` (empty: serving_default) of a servable; NOT
  // owned, valid while the handle lives. FAILED_PRECONDITION 'Serving
  // signature key "x" not found.' when absent.
  static StatusOr<const tensorflow::SignatureDef*> FindSignature(const Servable& servable,
                                                                  const std::string& name);

  // Validates `inputs` against signature `signature_name` (keys, defaults,
  // dtypes, output_filter) exactly as Predict does and runs it through the
  // PredictRunner. Returns the outputs by alias (only output_filter's when
  // given).
  StatusOr<std::map<std::string, Tensor>> PredictTensors(const ServableHandle& servable,
                                                         const std::string& signature_name,
                                                         std::map<std::string, Tensor> inputs,
                                                         const std::vector<std::string>& output_filter);

 private:
  ServableSource* source_;
  PredictRunner* runner_;
};

}  // namespace savedmodel
