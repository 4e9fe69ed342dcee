// TF Serving's REST JSON <-> tensors and tf.Examples (its util/json_tensor.cc
// behaviour and wording; the REST API doc describes the formats).
//
// Predict requests, decoded straight into Tensors by the signature's dtypes:
//   row       {"signature_name": S, "instances": [<row>, ...]}: each row is one
//             batch element, a value/list for a one-input signature or an
//             object {input: value/list} per row; rows must agree in shape.
//   columnar  {"signature_name": S, "inputs": <value/list>} (one input) or
//             {"inputs": {input: value/list, ...}}; no batch dimension added.
// DT_STRING values are JSON strings or {"b64": "<base64>"}. Numbers must fit
// the dtype (ints for int types; floats refuse values that lose precision).
// Responses: row format {"predictions": [...]} (one entry per batch row, an
// object per row when several outputs), columnar {"outputs": ...}; floats as
// printf's %g (six significant digits) when that reads back exactly, else
// with 9 (float) or 17 (double) digits, whole numbers with ".0", NaN /
// Infinity / -Infinity bare,
// strings of outputs whose alias ends in "_bytes" as {"b64": ...}; printed by
// RapidJSON's PrettyWriter as TF Serving prints them.
//
// Classify/regress requests: {"signature_name", "context": {feature: value},
// "examples": [{feature: value or list}, ...]}: ints -> int64_list, floats ->
// float_list, strings and {"b64"} -> bytes_list, booleans -> int64 0/1.
//
// Every input is untrusted: malformed JSON, nesting deeper than
// kMaxJsonDepth, ragged lists and wrong types come back as INVALID_ARGUMENT.
// A validating pass over the document checks every shape and value first, so
// a tensor is allocated only for values the body actually holds (a short
// body cannot claim a huge shape), then a second pass writes the values
// straight into its buffer.
// All functions are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "savedmodel/base/status.h"
#include "savedmodel/core/tensor.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace savedmodel {

// Deepest JSON nesting a request may have (arrays and objects); deeper is
// INVALID_ARGUMENT before any recursion over it.
inline constexpr int kMaxJsonDepth = 64;

enum class JsonPredictFormat { kRow, kColumnar };

// A Predict request body, parsed once before the servable's signature is
// known (opaque: holds the RapidJSON document).
class JsonPredictRequest {
 public:
  JsonPredictRequest();
  ~JsonPredictRequest();
  JsonPredictRequest(JsonPredictRequest&&) noexcept;
  JsonPredictRequest& operator=(JsonPredictRequest&&) noexcept;

  // Parses `body` (a JSON object) and reads "signature_name". TF Serving's
  // messages: "JSON Parse error: The document is empty", "JSON Parse error:
  // Invalid value at offset: 0", "... 'signature_name' key must be a string
  // value.".
  static StatusOr<JsonPredictRequest> Parse(std::string_view body);

  // Empty when the request names none.
  const std::string& signature_name() const { return signature_name_; }

  // Decodes "instances" or "inputs" by the signature's input names and
  // dtypes and says which format the request used (the answer must use the
  // same). The format checks come here, after the servable and signature are
  // resolved, in TF Serving's order.
  StatusOr<std::map<std::string, Tensor>> DecodeInputs(
      const google::protobuf::Map<std::string, tensorflow::TensorInfo>& inputs,
      JsonPredictFormat* format) const;

 private:
  struct Doc;
  std::unique_ptr<Doc> doc_;
  std::string signature_name_;
};

// {"predictions": ...} (kRow; every output must have the same dimension 0)
// or {"outputs": ...} (kColumnar). INVALID_ARGUMENT for an empty map, a
// scalar output in row format or mismatched batch sizes (TF Serving's words).
StatusOr<std::string> MakeJsonFromTensors(const std::map<std::string, Tensor>& outputs,
                                          JsonPredictFormat format);

// Classify/regress bodies into the request's model_spec.signature_name and
// input (example_list, or example_list_with_context when "context" is given).
Status FillClassificationRequestFromJson(std::string_view body,
                                         tensorflow::serving::ClassificationRequest* request);
Status FillRegressionRequestFromJson(std::string_view body,
                                     tensorflow::serving::RegressionRequest* request);

// {"results": [[["label", score], ...], ...]} and {"results": [v, ...]}.
StatusOr<std::string> MakeJsonFromClassificationResult(
    const tensorflow::serving::ClassificationResult& result);
StatusOr<std::string> MakeJsonFromRegressionResult(const tensorflow::serving::RegressionResult& result);

// {"error": "<message>"} as TF Serving writes it.
std::string MakeJsonFromStatus(const Status& status);

}  // namespace savedmodel
