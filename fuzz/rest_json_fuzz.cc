// Feeds arbitrary bytes to the REST API's JSON decoders (TF Serving's predict,
// classify and regress bodies) against signatures of every common input kind.
// Whatever decodes must encode back to JSON that decodes to the same dtypes and
// shapes (the encoder's contract with clients that echo answers back).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "savedmodel/serve/json_tensor.h"

namespace {

using InputMap = google::protobuf::Map<std::string, tensorflow::TensorInfo>;

InputMap Inputs(std::initializer_list<std::pair<const char*, tensorflow::DataType>> specs) {
  InputMap map;
  for (const auto& [name, dtype] : specs) {
    tensorflow::TensorInfo info;
    info.set_name(std::string(name) + ":0");
    info.set_dtype(dtype);
    map[name] = info;
  }
  return map;
}

void CheckRoundTrip(const std::map<std::string, savedmodel::Tensor>& tensors,
                    savedmodel::JsonPredictFormat format, const InputMap& inputs) {
  using namespace savedmodel;
  // Encoding refuses some decodable inputs on purpose (a scalar in row format).
  auto json = MakeJsonFromTensors(tensors, format);
  if (!json.ok()) return;
  const char* key = format == JsonPredictFormat::kRow ? "instances" : "inputs";
  // {"predictions": X} / {"outputs": X} -> {"instances": X} / {"inputs": X}
  auto colon = json->find(':');
  if (colon == std::string::npos) std::abort();
  std::string request = std::string("{\"") + key + "\"" + json->substr(colon);
  auto parsed = JsonPredictRequest::Parse(request);
  if (!parsed.ok()) std::abort();
  JsonPredictFormat again;
  auto back = parsed->DecodeInputs(inputs, &again);
  if (!back.ok() || again != format || back->size() != tensors.size()) std::abort();
  for (const auto& [name, t] : tensors) {
    auto it = back->find(name);
    if (it == back->end() || it->second.dtype() != t.dtype() || it->second.shape() != t.shape()) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  static const InputMap* kSignatures[] = {
      new InputMap(Inputs({{"x", tensorflow::DT_FLOAT}})),
      new InputMap(Inputs({{"x", tensorflow::DT_INT64}})),
      new InputMap(Inputs({{"x", tensorflow::DT_STRING}})),
      new InputMap(Inputs({{"a", tensorflow::DT_INT32}, {"b", tensorflow::DT_BOOL},
                           {"c", tensorflow::DT_DOUBLE}, {"d", tensorflow::DT_STRING}})),
  };
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto request = JsonPredictRequest::Parse(body); request.ok()) {
    for (const InputMap* inputs : kSignatures) {
      JsonPredictFormat format;
      auto tensors = request->DecodeInputs(*inputs, &format);
      if (tensors.ok()) CheckRoundTrip(*tensors, format, *inputs);
    }
  }
  tensorflow::serving::ClassificationRequest classify;
  (void)FillClassificationRequestFromJson(body, &classify);
  tensorflow::serving::RegressionRequest regress;
  (void)FillRegressionRequestFromJson(body, &regress);
  return 0;
}
