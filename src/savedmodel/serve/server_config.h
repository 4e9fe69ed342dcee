// The server's configuration files and flags, read as tensorflow_model_server
// reads them: --model_name/--model_base_path or --model_config_file (a
// text-format ModelServerConfig), --batching_parameters_file (text-format
// BatchingParameters) and --monitoring_config_file (text-format
// MonitoringConfig). Files are read through Env; a parse failure names the
// file, line and column.
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "savedmodel/base/env.h"
#include "savedmodel/base/status.h"
#include "tensorflow_serving/config/model_server_config.pb.h"
#include "tensorflow_serving/config/monitoring_config.pb.h"
#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb.h"

namespace savedmodel {

// TF Serving's path when prometheus_config.path is empty.
inline constexpr char kDefaultPrometheusPath[] = "/monitoring/prometheus/metrics";

// One model, as tensorflow_model_server builds it from --model_name (default
// "default") and --model_base_path: platform "tensorflow", the default
// version policy (latest 1). INVALID_ARGUMENT when either is empty.
StatusOr<tensorflow::serving::ModelServerConfig> ModelServerConfigFromFlags(
    const std::string& model_name, const std::string& model_base_path);

// Parses a text-format ModelServerConfig. INVALID_ARGUMENT naming `path` (and
// the parser's line:column message) when it does not parse; NOT_FOUND when it
// cannot be read. Does not check the models (ModelManager::ReloadConfig does).
StatusOr<tensorflow::serving::ModelServerConfig> ReadModelServerConfigFile(Env* env,
                                                                           const std::string& path);

StatusOr<tensorflow::serving::BatchingParameters> ReadBatchingParametersFile(Env* env,
                                                                            const std::string& path);

StatusOr<tensorflow::serving::MonitoringConfig> ReadMonitoringConfigFile(Env* env,
                                                                        const std::string& path);

// The text-format parse shared by the three readers above. Errors name the
// file and the message type.
Status ParseTextProtoFile(Env* env, const std::string& path, google::protobuf::Message* message);

}  // namespace savedmodel
