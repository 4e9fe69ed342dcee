// `savedmodel serve`: the whole model server, wired from tensorflow_model_
// server's flags. It owns, in start-up order: the metrics registry, the model
// manager (loaded from --model_name/--model_base_path or
// --model_config_file), the Predict runner (the batcher with
// --enable_batching), the prediction API, the gRPC server on --port, the HTTP
// server on --rest_api_port (when not 0) and, with
// --model_config_file_poll_wait_seconds, a thread that re-reads the config
// file and reloads it when it changed.
//
// HTTP routes besides TF Serving's /v1/... REST API:
//   GET /healthz  200 while the process serves (liveness);
//   GET /readyz   200 when every configured model has an AVAILABLE version,
//                 503 otherwise and once shutdown began (readiness);
//   GET <prometheus path> the metrics in Prometheus' text format
//                 (/monitoring/prometheus/metrics unless
//                 --monitoring_config_file says otherwise).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "savedmodel/base/status.h"
#include "savedmodel/serve/http_server.h"

namespace savedmodel {

class BatchingRunner;
class GrpcServer;
class MetricRegistry;
class ModelManager;
class PredictionApi;
class PredictRunner;
class RestHandler;
class ServingMetrics;

// tensorflow_model_server's flags, with its defaults.
struct ServerOptions {
  int port = 8500;           // gRPC
  int grpc_max_threads = 0;  // 0: four per hardware thread, TF Serving's default
  int rest_api_port = 0;     // 0: no HTTP/REST server, as in TF Serving
  std::string model_name = "default";
  std::string model_base_path;
  std::string model_config_file;
  // 0: the config file is read once.
  int64_t model_config_file_poll_wait_seconds = 0;
  int64_t file_system_poll_wait_seconds = 1;
  int rest_api_num_threads = 0;  // 0: 4 per hardware thread, TF Serving's default
  int64_t rest_api_timeout_in_ms = 30000;
  // Not a TF Serving flag (evhttp there has no limit): request bodies above
  // this get 413 instead of being buffered.
  int64_t rest_api_max_body_bytes = int64_t{256} << 20;
  bool enable_batching = false;
  std::string batching_parameters_file;
  std::string monitoring_config_file;
  bool allow_version_labels_for_unavailable_models = false;
  int tensorflow_intra_op_parallelism = 0;  // 0: hardware threads
  int tensorflow_inter_op_parallelism = 0;
  // Where the servers listen; 0.0.0.0 as TF Serving.
  std::string listen_address = "0.0.0.0";
};

class ModelServer {
 public:
  // Reads the config files, loads the models (returning once each wanted
  // version has loaded or failed; a model with none AVAILABLE is served as
  // not ready, as TF Serving keeps waiting for it) and starts the servers.
  // Errors: INVALID_ARGUMENT for contradictory flags or a bad config file,
  // UNAVAILABLE when a port cannot be bound.
  static StatusOr<std::unique_ptr<ModelServer>> Start(const ServerOptions& options);

  ~ModelServer();  // Shutdown()
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;

  int grpc_port() const;
  int rest_port() const;  // 0 without REST

  // Graceful stop: readiness turns 503, both servers stop accepting and
  // answer what they already received, then the config poller, the batcher
  // and the manager stop. Idempotent; thread-safe.
  void Shutdown();

  // The HTTP routing, without sockets (for tests): /healthz, /readyz, the
  // metrics path, then the REST API.
  HttpResponse HandleHttp(const HttpRequest& request);

 private:
  explicit ModelServer(const ServerOptions& options);
  Status Init();
  void PollConfigLoop();

  const ServerOptions options_;
  std::string metrics_path_;  // empty: no metrics endpoint

  // Declared in dependency order: each is destroyed after everything that
  // points to it.
  std::unique_ptr<MetricRegistry> registry_;
  std::unique_ptr<ServingMetrics> metrics_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<PredictRunner> runner_;
  std::unique_ptr<PredictionApi> api_;
  std::unique_ptr<RestHandler> rest_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpServer> http_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread poller_;
  std::once_flag shutdown_once_;
};

}  // namespace savedmodel
