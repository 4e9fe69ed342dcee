#include "savedmodel/serve/model_server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include <google/protobuf/util/message_differencer.h>

#include "savedmodel/serve/batching.h"
#include "savedmodel/serve/grpc_service.h"
#include "savedmodel/serve/metrics.h"
#include "savedmodel/serve/model_manager.h"
#include "savedmodel/serve/prediction_api.h"
#include "savedmodel/serve/rest_handler.h"
#include "savedmodel/serve/server_config.h"

namespace savedmodel {
namespace {

// Start-up lines in tensorflow_model_server's words, which scripts wait on.
void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

HttpResponse Text(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

}  // namespace

ModelServer::ModelServer(const ServerOptions& options) : options_(options) {}

ModelServer::~ModelServer() {
  Shutdown();
}

StatusOr<std::unique_ptr<ModelServer>> ModelServer::Start(const ServerOptions& options) {
  // As tensorflow_model_server: the config file, when given, wins over
  // --model_name/--model_base_path (images pass those by default).
  if (options.model_config_file.empty() && options.model_base_path.empty()) {
    return InvalidArgument("Both --model_base_path and --model_config_file are empty: give one");
  }
  if (options.port < 0 || options.port > 65535 || options.rest_api_port < 0 || options.rest_api_port > 65535) {
    return InvalidArgument("ports must be in [0, 65535]");
  }
  if (options.rest_api_port != 0 && options.rest_api_port == options.port) {
    return InvalidArgument("--rest_api_port cannot be same as --port. Please use a different port for HTTP/REST API.");
  }
  if (options.rest_api_timeout_in_ms <= 0) return InvalidArgument("--rest_api_timeout_in_ms must be positive");
  std::unique_ptr<ModelServer> server(new ModelServer(options));
  RETURN_IF_ERROR(server->Init());
  return server;
}

Status ModelServer::Init() {
  Env* env = Env::Default();
  tensorflow::serving::ModelServerConfig config;
  if (!options_.model_config_file.empty()) {
    ASSIGN_OR_RETURN(config, ReadModelServerConfigFile(env, options_.model_config_file));
  } else {
    ASSIGN_OR_RETURN(config, ModelServerConfigFromFlags(options_.model_name, options_.model_base_path));
  }

  // TF Serving exports metrics only when a monitoring config enables them;
  // here the endpoint is on by default (a probe-friendly server's metrics
  // should not need a file), and a config file decides both enable and path.
  metrics_path_ = kDefaultPrometheusPath;
  if (!options_.monitoring_config_file.empty()) {
    ASSIGN_OR_RETURN(auto monitoring, ReadMonitoringConfigFile(env, options_.monitoring_config_file));
    const auto& prom = monitoring.prometheus_config();
    metrics_path_ = !prom.enable() ? "" : prom.path().empty() ? kDefaultPrometheusPath : prom.path();
  }

  registry_ = std::make_unique<MetricRegistry>();
  metrics_ = std::make_unique<ServingMetrics>(registry_.get());

  ModelManagerOptions mo;
  mo.file_system_poll_wait_seconds = options_.file_system_poll_wait_seconds;
  mo.allow_version_labels_for_unavailable_models = options_.allow_version_labels_for_unavailable_models;
  mo.intra_op_threads = options_.tensorflow_intra_op_parallelism;
  mo.inter_op_threads = options_.tensorflow_inter_op_parallelism;
  mo.metrics = metrics_.get();
  ASSIGN_OR_RETURN(manager_, ModelManager::Create(mo));
  RETURN_IF_ERROR(manager_->ReloadConfig(config));

  if (options_.enable_batching) {
    tensorflow::serving::BatchingParameters params;
    if (!options_.batching_parameters_file.empty()) {
      ASSIGN_OR_RETURN(params, ReadBatchingParametersFile(env, options_.batching_parameters_file));
    }
    ASSIGN_OR_RETURN(BatchingOptions bo, BatchingOptionsFromParameters(params));
    ASSIGN_OR_RETURN(runner_, BatchingRunner::Create(bo, metrics_.get()));
  } else {
    runner_ = std::make_unique<DirectPredictRunner>();
  }
  api_ = std::make_unique<PredictionApi>(manager_.get(), runner_.get());
  RestHandlerOptions ro;
  ro.max_body_bytes = static_cast<size_t>(options_.rest_api_max_body_bytes);
  rest_ = std::make_unique<RestHandler>(manager_.get(), api_.get(), metrics_->RequestRecorder("REST"), ro);

  GrpcServerOptions go;
  go.address = options_.listen_address + ":" + std::to_string(options_.port);
  go.max_threads = options_.grpc_max_threads;
  ASSIGN_OR_RETURN(grpc_, GrpcServer::Start(go, api_.get(), manager_.get(), metrics_->RequestRecorder("GRPC")));
  Log("Running gRPC ModelServer at " + options_.listen_address + ":" + std::to_string(grpc_->port()) + " ...");

  if (options_.rest_api_port != 0) {
    HttpServerOptions ho;
    ho.address = options_.listen_address;
    ho.port = options_.rest_api_port;
    ho.num_threads = options_.rest_api_num_threads > 0
                         ? options_.rest_api_num_threads
                         : 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ho.timeout_ms = options_.rest_api_timeout_in_ms;
    ho.max_body_bytes = options_.rest_api_max_body_bytes;
    ho.shutdown_grace_ms = options_.rest_api_timeout_in_ms;  // no request is waited for longer than it may run
    ASSIGN_OR_RETURN(http_, HttpServer::Start(ho, [this](const HttpRequest& r) { return HandleHttp(r); }));
    Log("Exporting HTTP/REST API at:localhost:" + std::to_string(http_->port()) + " ...");
  }

  if (!options_.model_config_file.empty() && options_.model_config_file_poll_wait_seconds > 0) {
    poller_ = std::thread([this] { PollConfigLoop(); });
  }
  return Status::OK();
}

int ModelServer::grpc_port() const {
  return grpc_ ? grpc_->port() : 0;
}

int ModelServer::rest_port() const {
  return http_ ? http_->port() : 0;
}

HttpResponse ModelServer::HandleHttp(const HttpRequest& request) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && request.path == "/healthz") return Text(200, "ok\n");
  if (get && request.path == "/readyz") {
    bool stopping;
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping = stopping_;
    }
    if (stopping) return Text(503, "shutting down\n");
    return manager_->Ready() ? Text(200, "ready\n") : Text(503, "not ready: a model has no AVAILABLE version\n");
  }
  if (get && !metrics_path_.empty() && request.path == metrics_path_) {
    // Prometheus' text exposition format, version 0.0.4.
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", registry_->RenderText()};
  }
  RestResponse r = rest_->Handle(request.method, request.path, request.body);
  return HttpResponse{r.http_status, std::move(r.content_type), std::move(r.body)};
}

void ModelServer::PollConfigLoop() {
  const auto wait = std::chrono::seconds(options_.model_config_file_poll_wait_seconds);
  Env* env = Env::Default();
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      if (cv_.wait_for(l, wait, [this] { return stopping_; })) return;
    }
    auto config = ReadModelServerConfigFile(env, options_.model_config_file);
    if (!config.ok()) {
      Log("Failed to read --model_config_file, keeping the current config: " + config.status().ToString());
      continue;
    }
    // An unchanged file costs a parse and no reload (version_labels is a
    // map, so compare messages, not bytes).
    if (google::protobuf::util::MessageDifferencer::Equals(*config, manager_->config())) continue;
    if (Status s = manager_->ReloadConfig(*config); !s.ok()) {
      Log("Failed to apply --model_config_file, keeping the current config: " + s.ToString());
      continue;
    }
    Log("Applied a changed --model_config_file");
  }
}

void ModelServer::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    // Both front ends stop accepting at the same moment, then each waits for
    // the requests it already took.
    std::thread grpc_stop([this] {
      if (grpc_) grpc_->Shutdown();
    });
    if (http_) http_->Shutdown();
    grpc_stop.join();
    if (poller_.joinable()) poller_.join();
    http_.reset();
    grpc_.reset();
    rest_.reset();
    api_.reset();
    runner_.reset();  // the batcher runs what it queued, then stops
    if (manager_) manager_->Stop();
  });
}

}  // namespace savedmodel
