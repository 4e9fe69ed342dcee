#include "savedmodel/serve/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/serve/model_manager.h"
#include "savedmodel/serve/prediction_api.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace savedmodel {
namespace {

namespace tfs = tensorflow::serving;

// Handlers use gRPC's callback API: gRPC matches every call the moment it
// arrives (the sync API keeps one outstanding request per method and
// completion queue, and cancels calls still waiting for one at Shutdown, which
// lost accepted requests on SIGTERM under load), and the work runs on our own
// bounded pool, so calls beyond it queue instead of being refused or growing
// threads. The methods are registered raw (bytes in, bytes out) and parsed on
// the pool: the callback API answers a request it cannot parse with an empty
// UNIMPLEMENTED, where TF Serving (sync API) answers INTERNAL.
class Dispatcher {
 public:
  Dispatcher(int threads, GrpcCallHook hook) : pool_(threads), hook_(std::move(hook)) {}

  // Parses `in` as a Request, runs `call(request, &response)` on the pool,
  // reports it to the hook under `api` (as TF Serving's
  // RecordRequestLatency/RecordModelRequestCount around each handler; none
  // when `api` is empty), serializes the response into `out` and finishes.
  template <typename Request, typename Response, typename ModelOf, typename Call>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                grpc::ByteBuffer* out, std::string_view api, ModelOf model_of, Call call) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    pool_.Schedule([this, context, reactor, bytes = *in, out, api, model_of, call]() mutable {
      // A call whose client went away or whose deadline passed while it
      // waited for a thread is not run: under overload, the pool's time goes
      // to calls someone still waits for.
      if (context->IsCancelled()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
        return;
      }
      reactor->Finish(Handle<Request, Response>(&bytes, out, api, model_of, call));
    });
    return reactor;
  }

 private:
  template <typename Request, typename Response, typename ModelOf, typename Call>
  grpc::Status Handle(grpc::ByteBuffer* in, grpc::ByteBuffer* out, std::string_view api, const ModelOf& model_of,
                      const Call& call) {
    try {
      Request request;
      if (!grpc::SerializationTraits<Request>::Deserialize(in, &request).ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            "cannot parse the request as " + std::string(Request::descriptor()->full_name()));
      }
      Response response;
      const auto start = std::chrono::steady_clock::now();
      const Status status = call(request, &response);
      if (hook_ && !api.empty()) {
        hook_(model_of(request), api, status,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      if (!status.ok()) return ToGrpcStatus(status);
      bool own_buffer = false;
      return grpc::SerializationTraits<Response>::Serialize(response, out, &own_buffer);
    } catch (const std::bad_alloc&) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory answering the request");
    } catch (const std::exception& e) {
      return grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
  }

  ThreadPool pool_;
  const GrpcCallHook hook_;
};

std::string ModelName(const tfs::ModelSpec& spec) { return spec.name(); }

using RawPredictionService = tfs::PredictionService::WithRawCallbackMethod_Classify<
    tfs::PredictionService::WithRawCallbackMethod_Regress<tfs::PredictionService::WithRawCallbackMethod_Predict<
        tfs::PredictionService::WithRawCallbackMethod_MultiInference<
            tfs::PredictionService::WithRawCallbackMethod_GetModelMetadata<tfs::PredictionService::Service>>>>>;
using RawModelService = tfs::ModelService::WithRawCallbackMethod_GetModelStatus<
    tfs::ModelService::WithRawCallbackMethod_HandleReloadConfigRequest<tfs::ModelService::Service>>;

class PredictionServiceImpl final : public RawPredictionService {
 public:
  PredictionServiceImpl(PredictionApi* api, Dispatcher* dispatcher) : api_(api), dispatcher_(dispatcher) {}

  grpc::ServerUnaryReactor* Predict(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                    grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::PredictRequest, tfs::PredictResponse>(
        context, in, out, "predict", [](const auto& r) { return ModelName(r.model_spec()); },
        [this](const auto& request, auto* response) { return api_->Predict(request, response); });
  }

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                     grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::ClassificationRequest, tfs::ClassificationResponse>(
        context, in, out, "classify", [](const auto& r) { return ModelName(r.model_spec()); },
        [this](const auto& request, auto* response) { return api_->Classify(request, response); });
  }

  grpc::ServerUnaryReactor* Regress(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                    grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::RegressionRequest, tfs::RegressionResponse>(
        context, in, out, "regress", [](const auto& r) { return ModelName(r.model_spec()); },
        [this](const auto& request, auto* response) { return api_->Regress(request, response); });
  }

  // Every task names the same model (PredictionApi enforces it); the first
  // one labels the call.
  grpc::ServerUnaryReactor* MultiInference(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                           grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::MultiInferenceRequest, tfs::MultiInferenceResponse>(
        context, in, out, "multi_inference",
        [](const auto& r) { return r.tasks().empty() ? std::string() : ModelName(r.tasks(0).model_spec()); },
        [this](const auto& request, auto* response) { return api_->MultiInference(request, response); });
  }

  grpc::ServerUnaryReactor* GetModelMetadata(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                             grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::GetModelMetadataRequest, tfs::GetModelMetadataResponse>(
        context, in, out, "get_model_metadata", [](const auto& r) { return ModelName(r.model_spec()); },
        [this](const auto& request, auto* response) { return api_->GetModelMetadata(request, response); });
  }

 private:
  PredictionApi* const api_;
  Dispatcher* const dispatcher_;
};

class ModelServiceImpl final : public RawModelService {
 public:
  ModelServiceImpl(ModelManager* manager, Dispatcher* dispatcher) : manager_(manager), dispatcher_(dispatcher) {}

  grpc::ServerUnaryReactor* GetModelStatus(grpc::CallbackServerContext* context, const grpc::ByteBuffer* in,
                                           grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::GetModelStatusRequest, tfs::GetModelStatusResponse>(
        context, in, out, "get_model_status", [](const auto& r) { return ModelName(r.model_spec()); },
        [this](const auto& request, auto* response) {
          return manager_->GetModelStatus(request.model_spec(), response);
        });
  }

  // As TF Serving, the outcome goes into the response's StatusProto and the
  // call's status; on the wire a client sees the StatusProto only on success,
  // since gRPC sends no message with an error status. Not a per-model request:
  // TF Serving counts none for it.
  grpc::ServerUnaryReactor* HandleReloadConfigRequest(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* in, grpc::ByteBuffer* out) override {
    return dispatcher_->Run<tfs::ReloadConfigRequest, tfs::ReloadConfigResponse>(
        context, in, out, "", [](const auto&) { return std::string(); },
        [this](const tfs::ReloadConfigRequest& request, tfs::ReloadConfigResponse* response) {
          Status status;
          if (request.config().config_case() == tfs::ModelServerConfig::kModelConfigList) {
            status = manager_->ReloadConfig(request.config());
          } else {
            status = InvalidArgument(
                "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is "
                "currently supported");
          }
          response->mutable_status()->set_error_code(static_cast<tensorflow::error::Code>(status.code()));
          if (!status.ok()) response->mutable_status()->set_error_message(ToGrpcStatus(status).error_message());
          return status;
        });
  }

 private:
  ModelManager* const manager_;
  Dispatcher* const dispatcher_;
};

int PoolThreads(int max_threads) {
  if (max_threads > 0) return max_threads;
  // TF Serving's --grpc_max_threads default: four per hardware thread.
  const unsigned hardware = std::thread::hardware_concurrency();
  return 4 * static_cast<int>(hardware > 0 ? hardware : 1);
}

}  // namespace

struct GrpcServer::Services {
  Services(PredictionApi* api, ModelManager* manager, int threads, GrpcCallHook hook)
      : dispatcher(threads, std::move(hook)), prediction(api, &dispatcher), model(manager, &dispatcher) {}
  Dispatcher dispatcher;  // its pool outlives the services that schedule on it
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
  auto services = std::make_unique<Services>(api, manager, PoolThreads(options.max_threads), std::move(hook));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&services->model);
  builder.RegisterService(&services->prediction);
  builder.SetMaxMessageSize(options.max_message_bytes);
  // gRPC turns on SO_REUSEPORT by default, so a second server on a taken port
  // would start and silently share it; a port in use must fail the start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
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
    // Without a deadline, gRPC waits for every call it matched to finish; the
    // pool runs them all (it is destroyed only with services_).
    server_->Shutdown();
    server_->Wait();
  });
}

}  // namespace savedmodel
