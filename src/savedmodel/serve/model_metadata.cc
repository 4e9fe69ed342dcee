#include "savedmodel/serve/model_metadata.h"

#include <google/protobuf/util/json_util.h>

#include "tensorflow_serving/apis/get_model_metadata.pb.h"

namespace savedmodel {

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
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string sig_json;
  auto status = google::protobuf::util::MessageToJsonString(sig_map, &sig_json, options);
  if (!status.ok()) return Internal("printing signature metadata: " + status.ToString());
  while (!sig_json.empty() && sig_json.back() == '\n') sig_json.pop_back();

  tensorflow::serving::ModelSpec spec;
  spec.set_name(model_name);
  if (version >= 0) spec.mutable_version()->set_value(version);
  std::string spec_json;
  status = google::protobuf::util::MessageToJsonString(spec, &spec_json, options);
  if (!status.ok()) return Internal("printing model spec: " + status.ToString());
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
