// TF Serving's gRPC API: tensorflow.serving.PredictionService (Predict,
// Classify, Regress, MultiInference, GetModelMetadata) and
// tensorflow.serving.ModelService (GetModelStatus, HandleReloadConfigRequest),
// wire-compatible with tensorflow_model_server so the tensorflow-serving-api
// stubs work unchanged. The services are thin shells: every request goes to
// PredictionApi or ModelManager, which the REST front end shares, and their
// Status comes back as a grpc::Status with the same code and message.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include "savedmodel/base/status.h"
#include "savedmodel/serve/metrics.h"

namespace grpc {
class Server;
class Status;
}  // namespace grpc

namespace savedmodel {

class PredictionApi;
class ModelManager;

// Called once per call after it finished, with TF Serving's API label
// ("predict", "classify", "regress", "multi_inference", "get_model_metadata",
// "get_model_status"), the request's model_spec.name and the handler's wall
// time: ServingMetrics::RequestRecorder("GRPC") fits. Must be thread-safe:
// calls arrive from gRPC's worker threads concurrently.
using GrpcCallHook = ServingMetrics::RequestCallback;

struct GrpcServerOptions {
  // "host:port"; port 0 lets the kernel choose (GrpcServer::port() tells which).
  // TF Serving listens on "0.0.0.0:<--port>".
  std::string address = "0.0.0.0:8500";
  // Largest request or response message in bytes. TF Serving sets
  // ServerBuilder::SetMaxMessageSize(kint32max), well above gRPC's 4 MiB
  // default, so clients sending large batches are not refused.
  int max_message_bytes = std::numeric_limits<int32_t>::max();
  // Threads that run calls (TF Serving's --grpc_max_threads); calls beyond
  // them wait in a queue. 0: four per hardware thread, TF Serving's default.
  int max_threads = 0;
};

// A running gRPC server. Thread-safe.
class GrpcServer {
 public:
  // Binds options.address and starts serving `api` and `manager`, which must
  // outlive the returned server. `hook` may be empty. UNAVAILABLE when the
  // address cannot be bound.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options, PredictionApi* api,
                                                     ModelManager* manager, GrpcCallHook hook);

  // Shuts down (as Shutdown()) if still running.
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The bound port (the chosen one when the address asked for port 0).
  int port() const { return port_; }

  // Stops accepting new calls and returns once every call already accepted
  // has finished and been answered. Idempotent.
  void Shutdown();

 private:
  struct Services;
  GrpcServer(std::unique_ptr<Services> services, std::unique_ptr<grpc::Server> server, int port);

  std::unique_ptr<Services> services_;  // outlives server_ (declared first)
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::once_flag shutdown_once_;
};

// TF Serving's ToGRPCStatus: the same code and message, messages over 1024
// bytes cut there and marked "...TRUNCATED".
grpc::Status ToGrpcStatus(const Status& status);

}  // namespace savedmodel
