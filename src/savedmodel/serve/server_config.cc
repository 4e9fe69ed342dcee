#include "savedmodel/serve/server_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

namespace savedmodel {

namespace {

// Keeps the parser's first complaint ("3:14: Message type ... has no field
// named ...") for the error message instead of letting protobuf log it.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) first_ = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// Config files are a few kilobytes; this bounds what a wrong path (a model's
// 2 GB variables file) makes us read.
constexpr uint64_t kMaxConfigFileBytes = uint64_t{64} << 20;

}  // namespace

Status ParseTextProtoFile(Env* env, const std::string& path, google::protobuf::Message* message) {
  ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(path));
  if (size > kMaxConfigFileBytes) {
    return InvalidArgument("Invalid protobuf file: '" + path + "': " + std::to_string(size) +
                           " bytes is more than a " + message->GetTypeName() + " file may hold");
  }
  ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(path));
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    return InvalidArgument("Invalid protobuf file: '" + path + "' (" + message->GetTypeName() +
                           "): " + errors.first());
  }
  return Status::OK();
}

StatusOr<tensorflow::serving::ModelServerConfig> ModelServerConfigFromFlags(
    const std::string& model_name, const std::string& model_base_path) {
  if (model_name.empty()) return InvalidArgument("--model_name must not be empty");
  if (model_base_path.empty()) {
    return InvalidArgument("Both server_model_config_file and model_base_path are empty!");
  }
  tensorflow::serving::ModelServerConfig config;
  auto* model = config.mutable_model_config_list()->add_config();
  model->set_name(model_name);
  model->set_base_path(model_base_path);
  model->set_model_platform("tensorflow");
  return config;
}

StatusOr<tensorflow::serving::ModelServerConfig> ReadModelServerConfigFile(Env* env,
                                                                           const std::string& path) {
  tensorflow::serving::ModelServerConfig config;
  RETURN_IF_ERROR(ParseTextProtoFile(env, path, &config));
  return config;
}

StatusOr<tensorflow::serving::BatchingParameters> ReadBatchingParametersFile(Env* env,
                                                                            const std::string& path) {
  tensorflow::serving::BatchingParameters params;
  RETURN_IF_ERROR(ParseTextProtoFile(env, path, &params));
  return params;
}

StatusOr<tensorflow::serving::MonitoringConfig> ReadMonitoringConfigFile(Env* env,
                                                                        const std::string& path) {
  tensorflow::serving::MonitoringConfig config;
  RETURN_IF_ERROR(ParseTextProtoFile(env, path, &config));
  if (config.prometheus_config().path().empty()) {
    config.mutable_prometheus_config()->set_path(kDefaultPrometheusPath);
  }
  return config;
}

}  // namespace savedmodel
