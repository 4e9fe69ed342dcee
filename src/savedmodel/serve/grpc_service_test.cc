#include "savedmodel/serve/grpc_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "half_plus_two_model.h"
#include "savedmodel/serve/batching.h"
#include "savedmodel/serve/model_manager.h"
#include "savedmodel/serve/prediction_api.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace tfs = tensorflow::serving;

struct Call {
  std::string model, api;
  StatusCode code;
};

// half_plus_two (y = 0.5 x + 2) served as "hp2" version 1 by the real manager
// and PredictionApi, behind a GrpcServer on a free loopback port.
class GrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::WriteHalfPlusTwo((dir_.path() / "hp2" / "1").string()).ok());
    ModelManagerOptions options;
    options.file_system_poll_wait_seconds = 0;
    auto manager = ModelManager::Create(options);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
    ASSERT_TRUE(manager_->ReloadConfig(Config("hp2")).ok());
    ASSERT_TRUE(manager_->WaitUntilReady(std::chrono::seconds(60)));
    api_ = std::make_unique<PredictionApi>(manager_.get(), &runner_);
    StartServer();
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  tfs::ModelServerConfig Config(const std::string& name) const {
    tfs::ModelServerConfig config;
    tfs::ModelConfig* model = config.mutable_model_config_list()->add_config();
    model->set_name(name);
    model->set_base_path((dir_.path() / "hp2").string());
    model->set_model_platform("tensorflow");
    return config;
  }

  void StartServer(int max_threads = 0) {
    if (server_) server_->Shutdown();
    GrpcServerOptions options;
    options.address = "127.0.0.1:0";
    options.max_threads = max_threads;
    auto server = GrpcServer::Start(options, api_.get(), manager_.get(),
                                    [this](std::string_view model, std::string_view api, const Status& s, double) {
                                      {
                                        std::lock_guard<std::mutex> lock(mu_);
                                        calls_.push_back({std::string(model), std::string(api), s.code()});
                                        max_in_hook_ = std::max(max_in_hook_, ++in_hook_);
                                      }
                                      const std::chrono::milliseconds delay = hook_delay_.load();
                                      if (delay.count() > 0) std::this_thread::sleep_for(delay);
                                      std::lock_guard<std::mutex> lock(mu_);
                                      --in_hook_;
                                    });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                         grpc::InsecureChannelCredentials(), args);
    predict_ = tfs::PredictionService::NewStub(channel_);
    models_ = tfs::ModelService::NewStub(channel_);
  }

  static tfs::PredictRequest HalfPlusTwoRequest(const std::string& model, const std::vector<float>& x) {
    tfs::PredictRequest request;
    request.mutable_model_spec()->set_name(model);
    tensorflow::TensorProto& t = (*request.mutable_inputs())["x"];
    t.set_dtype(tensorflow::DT_FLOAT);
    t.mutable_tensor_shape()->add_dim()->set_size(static_cast<int64_t>(x.size()));
    t.mutable_tensor_shape()->add_dim()->set_size(1);
    for (float v : x) t.add_float_val(v);
    return request;
  }

  // Every float of the response's "y", whichever field carries it.
  static std::vector<float> Y(const tfs::PredictResponse& response) {
    const tensorflow::TensorProto& y = response.outputs().at("y");
    if (!y.tensor_content().empty()) {
      std::vector<float> out(y.tensor_content().size() / sizeof(float));
      std::memcpy(out.data(), y.tensor_content().data(), out.size() * sizeof(float));
      return out;
    }
    return {y.float_val().begin(), y.float_val().end()};
  }

  // A Predict of x = {1} on hp2 from a thread of its own; its status code.
  std::future<grpc::StatusCode> PredictOnAnotherThread() {
    return std::async(std::launch::async, [this] {
      grpc::ClientContext context;
      tfs::PredictResponse response;
      return predict_->Predict(&context, HalfPlusTwoRequest("hp2", {1}), &response).error_code();
    });
  }

  std::vector<Call> Calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  testing::TempDir dir_;
  DirectPredictRunner runner_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<PredictionApi> api_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tfs::PredictionService::Stub> predict_;
  std::unique_ptr<tfs::ModelService::Stub> models_;
  std::mutex mu_;
  std::vector<Call> calls_;
  std::atomic<std::chrono::milliseconds> hook_delay_{std::chrono::milliseconds(0)};
  int in_hook_ = 0;      // guarded by mu_
  int max_in_hook_ = 0;  // guarded by mu_
};

TEST_F(GrpcServiceTest, PredictAnswersAsTfServing) {
  grpc::ClientContext context;
  tfs::PredictResponse response;
  const grpc::Status status = predict_->Predict(&context, HalfPlusTwoRequest("hp2", {1, 2, 5}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // TF Serving's published answer for half_plus_two.
  EXPECT_EQ(Y(response), (std::vector<float>{2.5f, 3.0f, 4.5f}));
  EXPECT_EQ(response.model_spec().name(), "hp2");
  EXPECT_EQ(response.model_spec().version().value(), 1);
  EXPECT_EQ(response.model_spec().signature_name(), "serving_default");
  const std::vector<Call> calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].model, "hp2");
  EXPECT_EQ(calls[0].api, "predict");
  EXPECT_EQ(calls[0].code, StatusCode::kOk);
}

TEST_F(GrpcServiceTest, ErrorsKeepCodeAndMessage) {
  grpc::ClientContext context;
  tfs::PredictResponse response;
  grpc::Status status = predict_->Predict(&context, HalfPlusTwoRequest("nope", {1}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "Servable not found for request: Latest(nope)");

  tfs::PredictRequest request = HalfPlusTwoRequest("hp2", {1});
  request.mutable_model_spec()->set_signature_name("nope");
  grpc::ClientContext context2;
  status = predict_->Predict(&context2, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "Serving signature key \"nope\" not found.");

  const std::vector<Call> calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].model, "nope");
  EXPECT_EQ(calls[0].code, StatusCode::kNotFound);
  EXPECT_EQ(calls[1].code, StatusCode::kFailedPrecondition);
}

TEST_F(GrpcServiceTest, RequestsAboveGrpcsDefaultLimit) {
  // 1.5M floats in float_val: some 6 MiB each way, above gRPC's 4 MiB default.
  std::vector<float> x(1536 * 1024);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 1000);
  grpc::ClientContext context;
  tfs::PredictResponse response;
  const grpc::Status status = predict_->Predict(&context, HalfPlusTwoRequest("hp2", x), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<float> y = Y(response);
  ASSERT_EQ(y.size(), x.size());
  for (size_t i = 0; i < x.size(); i += 4099) EXPECT_EQ(y[i], 0.5f * x[i] + 2) << i;
}

TEST_F(GrpcServiceTest, GetModelStatus) {
  tfs::GetModelStatusRequest request;
  request.mutable_model_spec()->set_name("hp2");
  tfs::GetModelStatusResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(models_->GetModelStatus(&context, request, &response).ok());
  ASSERT_EQ(response.model_version_status_size(), 1);
  EXPECT_EQ(response.model_version_status(0).version(), 1);
  EXPECT_EQ(response.model_version_status(0).state(), tfs::ModelVersionStatus::AVAILABLE);

  request.mutable_model_spec()->set_name("nope");
  grpc::ClientContext context2;
  EXPECT_EQ(models_->GetModelStatus(&context2, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServiceTest, ReloadConfig) {
  tfs::ReloadConfigRequest request;
  *request.mutable_config() = Config("renamed");
  tfs::ReloadConfigResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(models_->HandleReloadConfigRequest(&context, request, &response).ok());
  EXPECT_EQ(response.status().error_code(), tensorflow::error::OK);
  EXPECT_EQ(response.status().error_message(), "");
  ASSERT_TRUE(manager_->WaitUntilReady(std::chrono::seconds(60)));
  grpc::ClientContext context2;
  tfs::PredictResponse predict_response;
  ASSERT_TRUE(predict_->Predict(&context2, HalfPlusTwoRequest("renamed", {1}), &predict_response).ok());
  EXPECT_EQ(Y(predict_response), std::vector<float>{2.5f});

  // Not a model_config_list: refused (gRPC sends no response message with an
  // error status, so the call's status is all a client sees).
  request.mutable_config()->mutable_custom_model_config()->set_type_url("type.googleapis.com/x");
  grpc::ClientContext context3;
  const grpc::Status status = models_->HandleReloadConfigRequest(&context3, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is "
            "currently supported");
}

TEST_F(GrpcServiceTest, ShutdownFinishesCallsInFlight) {
  hook_delay_ = std::chrono::milliseconds(500);
  auto in_flight = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    tfs::PredictResponse response;
    const grpc::Status status = predict_->Predict(&context, HalfPlusTwoRequest("hp2", {5}), &response);
    return std::make_tuple(status.error_code(), status.ok() ? Y(response) : std::vector<float>{});
  });
  // Until the call is inside the handler (the hook runs there, then sleeps).
  while (Calls().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->Shutdown();
  const auto [code, y] = in_flight.get();
  EXPECT_EQ(code, grpc::StatusCode::OK);
  EXPECT_EQ(y, std::vector<float>{4.5f});
  // After shutdown nothing is accepted.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  tfs::PredictResponse response;
  EXPECT_EQ(predict_->Predict(&context, HalfPlusTwoRequest("hp2", {1}), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  server_->Shutdown();  // idempotent
}

// Calls beyond max_threads wait for a thread instead of being refused.
TEST_F(GrpcServiceTest, ThreadCapQueuesCalls) {
  StartServer(/*max_threads=*/3);
  hook_delay_ = std::chrono::milliseconds(30);
  std::vector<std::future<grpc::StatusCode>> calls;
  for (int i = 0; i < 24; ++i) calls.push_back(PredictOnAnotherThread());
  int ok = 0;
  for (auto& c : calls) ok += c.get() == grpc::StatusCode::OK;
  EXPECT_EQ(ok, 24);
  EXPECT_EQ(Calls().size(), 24u);
  EXPECT_LE(max_in_hook_, 3);
  EXPECT_GE(max_in_hook_, 2);
}

// Calls the server has read but not yet run (queued behind a busy pool) are
// answered across Shutdown too.
TEST_F(GrpcServiceTest, ShutdownRunsQueuedCalls) {
  StartServer(/*max_threads=*/1);
  hook_delay_ = std::chrono::milliseconds(300);
  std::vector<std::future<grpc::StatusCode>> calls;
  for (int i = 0; i < 3; ++i) calls.push_back(PredictOnAnotherThread());
  // The first call is in the (only) thread; give the other two time to arrive.
  while (Calls().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server_->Shutdown();
  for (auto& c : calls) EXPECT_EQ(c.get(), grpc::StatusCode::OK);
  EXPECT_EQ(Calls().size(), 3u);
}

// A call whose deadline passes while it waits for a thread is dropped unrun.
TEST_F(GrpcServiceTest, ExpiredQueuedCallsDoNotRun) {
  StartServer(/*max_threads=*/1);
  hook_delay_ = std::chrono::milliseconds(400);
  auto first = PredictOnAnotherThread();
  while (Calls().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
  tfs::PredictResponse response;
  EXPECT_EQ(predict_->Predict(&context, HalfPlusTwoRequest("hp2", {2}), &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(first.get(), grpc::StatusCode::OK);
  hook_delay_ = std::chrono::milliseconds(0);
  grpc::ClientContext context2;
  ASSERT_TRUE(predict_->Predict(&context2, HalfPlusTwoRequest("hp2", {3}), &response).ok());
  // The first call and the last ran; the expired one never reached the API.
  EXPECT_EQ(Calls().size(), 2u);
}

TEST_F(GrpcServiceTest, PortInUseIsAnError) {
  GrpcServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(server_->port());
  auto second = GrpcServer::Start(options, api_.get(), manager_.get(), nullptr);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status();
  options.address = "no such host name:x";
  EXPECT_FALSE(GrpcServer::Start(options, api_.get(), manager_.get(), nullptr).ok());
}

TEST(ToGrpcStatusTest, SameCodeAndMessageTruncatedAsTfServing) {
  EXPECT_TRUE(ToGrpcStatus(Status::OK()).ok());
  for (int code = 1; code <= 16; ++code) {
    const grpc::Status s = ToGrpcStatus(Status(static_cast<StatusCode>(code), "why"));
    EXPECT_EQ(static_cast<int>(s.error_code()), code);
    EXPECT_EQ(s.error_message(), "why");
  }
  const std::string exact(1024, 'a');
  EXPECT_EQ(ToGrpcStatus(InvalidArgument(exact)).error_message(), exact);
  EXPECT_EQ(ToGrpcStatus(InvalidArgument(exact + "b")).error_message(), exact + "...TRUNCATED");
}

}  // namespace
}  // namespace savedmodel
