#include "savedmodel/serve/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "savedmodel/serve/model_manager.h"
#include "savedmodel/serve/prediction_api.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace savedmodel {
namespace {

namespace tfs = tensorflow::serving;

// Runs one call, reports it to the hook (as TF Serving's RecordRequestLatency
// and RecordModelRequestCount do around each handler) and answers with its
// status.
template <typename Call>
grpc::Status Observed(const GrpcCallHook& hook, const std::string& model, std::string_view api, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  const Status status = call();
  if (hook) hook(model, api, status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return ToGrpcStatus(status);
}

class PredictionServiceImpl final : public tfs::PredictionService::Service {
 public:
  PredictionServiceImpl(PredictionApi* api, GrpcCallHook hook) : api_(api), hook_(std::move(hook)) {}

  grpc::Status Predict(grpc::ServerContext*, const tfs::PredictRequest* request,
                       tfs::PredictResponse* response) override {
    return Observed(hook_, request->model_spec().name(), "predict",
                                 [&] { return api_->Predict(*request, response); });
  }

  grpc::Status Classify(grpc::ServerContext*, const tfs::ClassificationRequest* request,
                        tfs::ClassificationResponse* response) override {
    return Observed(hook_, request->model_spec().name(), "classify",
                                 [&] { return api_->Classify(*request, response); });
  }

  grpc::Status Regress(grpc::ServerContext*, const tfs::RegressionRequest* request,
                       tfs::RegressionResponse* response) override {
    return Observed(hook_, request->model_spec().name(), "regress",
                                 [&] { return api_->Regress(*request, response); });
  }

  grpc::Status MultiInference(grpc::ServerContext*, const tfs::MultiInferenceRequest* request,
                              tfs::MultiInferenceResponse* response) override {
    // Every task names the same model (PredictionApi enforces it); the first
    // one labels the call.
    const std::string model = request->tasks().empty() ? "" : request->tasks(0).model_spec().name();
    return Observed(hook_, model, "multi_inference",
                                 [&] { return api_->MultiInference(*request, response); });
  }

  grpc::Status GetModelMetadata(grpc::ServerContext*, const tfs::GetModelMetadataRequest* request,
                                tfs::GetModelMetadataResponse* response) override {
    return Observed(hook_, request->model_spec().name(), "get_model_metadata",
                    [&] { return api_->GetModelMetadata(*request, response); });
  }

 private:
  PredictionApi* const api_;
  const GrpcCallHook hook_;
};

class ModelServiceImpl final : public tfs::ModelService::Service {
 public:
  ModelServiceImpl(ModelManager* manager, GrpcCallHook hook) : manager_(manager), hook_(std::move(hook)) {}

  grpc::Status GetModelStatus(grpc::ServerContext*, const tfs::GetModelStatusRequest* request,
                              tfs::GetModelStatusResponse* response) override {
    return Observed(hook_, request->model_spec().name(), "get_model_status",
                    [&] { return manager_->GetModelStatus(request->model_spec(), response); });
  }

  // As TF Serving, the outcome goes into the response's StatusProto and the
  // call's status; on the wire a client sees the StatusProto only on success,
  // since gRPC sends no message with an error status.
  grpc::Status HandleReloadConfigRequest(grpc::ServerContext*, const tfs::ReloadConfigRequest* request,
                                         tfs::ReloadConfigResponse* response) override {
    Status status;
    if (request->config().config_case() == tfs::ModelServerConfig::kModelConfigList) {
      status = manager_->ReloadConfig(request->config());
    } else {
      status = InvalidArgument(
          "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is "
          "currently supported");
    }
    const grpc::Status grpc_status = ToGrpcStatus(status);
    response->mutable_status()->set_error_code(static_cast<tensorflow::error::Code>(status.code()));
    if (!status.ok()) response->mutable_status()->set_error_message(grpc_status.error_message());
    return grpc_status;
  }

 private:
  ModelManager* const manager_;
  const GrpcCallHook hook_;
};

}  // namespace

struct GrpcServer::Services {
  Services(PredictionApi* api, ModelManager* manager, GrpcCallHook hook)
      : prediction(api, hook), model(manager, std::move(hook)) {}
  PredictionServiceImpl prediction;
  ModelServiceImpl model;
};

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  constexpr size_t kErrorMessageLimit = 1024;
  std::string message = status.message();
  if (message.size() > kErrorMessageLimit) {
    message.resize(kErrorMessageLimit);
    message += "...TRUNCATED";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::move(message));
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options, PredictionApi* api,
                                                        ModelManager* manager, GrpcCallHook hook) {
  if (api == nullptr || manager == nullptr) {
    return InvalidArgument("gRPC server needs a PredictionApi and a ModelManager");
  }
  if (options.max_threads < 0) {
    return InvalidArgument("gRPC max threads must not be negative, got " + std::to_string(options.max_threads));
  }
  if (options.max_message_bytes <= 0) {
    return InvalidArgument("gRPC max message size must be positive, got " +
                           std::to_string(options.max_message_bytes));
  }
  auto services = std::make_unique<Services>(api, manager, std::move(hook));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&services->model);
  builder.RegisterService(&services->prediction);
  builder.SetMaxMessageSize(options.max_message_bytes);
  // gRPC turns on SO_REUSEPORT by default, so a second server on a taken port
  // would start and silently share it; a port in use must fail the start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (options.max_threads > 0) {
    grpc::ResourceQuota quota("savedmodel_grpc");
    quota.SetMaxThreads(options.max_threads);
    builder.SetResourceQuota(quota);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Status(StatusCode::kUnavailable, "cannot start the gRPC server on " + options.address +
                                                " (address in use or not valid)");
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(services), std::move(server), port));
}

GrpcServer::GrpcServer(std::unique_ptr<Services> services, std::unique_ptr<grpc::Server> server, int port)
    : services_(std::move(services)), server_(std::move(server)), port_(port) {}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    // Without a deadline, gRPC waits for every call in progress to return.
    server_->Shutdown();
    server_->Wait();
  });
}

}  // namespace savedmodel
