#include "savedmodel/serve/model_metadata.h"

#include <google/protobuf/util/json_util.h>

#include "tensorflow_serving/apis/get_model_metadata.pb.h"

namespace savedmodel {

StatusOr<std::string> ServingProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return Internal(status.ToString());
  return json;
}

StatusOr<std::string> ModelMetadataJson(const tensorflow::MetaGraphDef& meta_graph,
                                        const std::string& model_name, int64_t version) {
  tensorflow::serving::SignatureDefMap sig_map;
  for (const auto& [key, sig] : meta_graph.signature_def()) {
    auto& copy = (*sig_map.mutable_signature_def())[key];
    copy = sig;
    // TF Serving reports default input values as empty (seen in its metadata
    // for TF2 exports whose serving_default has defaults).
    copy.clear_defaults();
  }
  auto sig_printed = ServingProtoJson(sig_map);
  if (!sig_printed.ok()) return sig_printed.status().WithContext("printing signature metadata");
  std::string sig_json = std::move(sig_printed).value();
  while (!sig_json.empty() && sig_json.back() == '\n') sig_json.pop_back();

  tensorflow::serving::ModelSpec spec;
  spec.set_name(model_name);
  if (version >= 0) spec.mutable_version()->set_value(version);
  auto spec_printed = ServingProtoJson(spec);
  if (!spec_printed.ok()) return spec_printed.status().WithContext("printing model spec");
  std::string spec_json = std::move(spec_printed).value();
  while (!spec_json.empty() && spec_json.back() == '\n') spec_json.pop_back();

  // Indent the nested objects so the whole document reads as one block.
  auto indent = [](const std::string& s, const std::string& pad) {
    std::string out;
    for (char c : s) {
      out += c;
      if (c == '\n') out += pad;
    }
    return out;
  };
  return "{\n \"model_spec\": " + indent(spec_json, " ") + ",\n \"metadata\": {\n  \"signature_def\": " +
         indent(sig_json, "  ") + "\n }\n}\n";
}

}  // namespace savedmodel
