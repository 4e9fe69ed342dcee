#include "savedmodel/serve/model_server.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;

ServerOptions LoopbackOptions() {
  ServerOptions o;
  o.listen_address = "127.0.0.1";
  o.port = 0;           // the kernel picks the gRPC port
  o.rest_api_port = 0;  // no HTTP socket: HandleHttp is called directly
  o.file_system_poll_wait_seconds = 0;
  o.tensorflow_intra_op_parallelism = 1;
  o.tensorflow_inter_op_parallelism = 1;
  return o;
}

TEST(ModelServerTest, RoutesProbesMetricsAndTheRestApi) {
  SAVEDMODEL_REQUIRE_TESTDATA(model, "tf_serving/saved_model_half_plus_two_cpu");
  ServerOptions o = LoopbackOptions();
  o.model_name = "half_plus_two";
  o.model_base_path = model.string();
  auto server = ModelServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  ModelServer& s = **server;
  EXPECT_GT(s.grpc_port(), 0);  // the kernel's pick, not the 0 asked for
  EXPECT_EQ(s.rest_port(), 0);

  EXPECT_EQ(s.HandleHttp({"GET", "/healthz", ""}).status, 200);
  EXPECT_EQ(s.HandleHttp({"GET", "/readyz", ""}).status, 200);
  HttpResponse r = s.HandleHttp({"POST", "/v1/models/half_plus_two:predict", "{\"instances\": [1.0, 2.0, 5.0]}"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("2.5"), std::string::npos) << r.body;
  r = s.HandleHttp({"GET", "/monitoring/prometheus/metrics", ""});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find(":tensorflow:serving:request_count{model_name=\"half_plus_two\",status=\"OK\"} 1"),
            std::string::npos)
      << r.body;
  // Probes answer GET only; anything else goes to the REST API, which refuses it.
  EXPECT_EQ(s.HandleHttp({"POST", "/healthz", ""}).status, 400);

  s.Shutdown();
  EXPECT_EQ(s.HandleHttp({"GET", "/readyz", ""}).status, 503);
}

TEST(ModelServerTest, NotReadyWithoutAVersionAndMetricsPathFromConfig) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "empty_model");
  {
    std::ofstream(dir.path() / "monitoring.config") << "prometheus_config { enable: true path: \"/m\" }\n";
  }
  ServerOptions o = LoopbackOptions();
  o.model_base_path = (dir.path() / "empty_model").string();
  o.monitoring_config_file = (dir.path() / "monitoring.config").string();
  auto server = ModelServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->HandleHttp({"GET", "/healthz", ""}).status, 200);
  EXPECT_EQ((*server)->HandleHttp({"GET", "/readyz", ""}).status, 503);
  EXPECT_EQ((*server)->HandleHttp({"GET", "/m", ""}).status, 200);
  EXPECT_NE((*server)->HandleHttp({"GET", "/monitoring/prometheus/metrics", ""}).status, 200);
}

TEST(ModelServerTest, RefusesContradictoryFlags) {
  ServerOptions o = LoopbackOptions();
  EXPECT_EQ(ModelServer::Start(o).status().code(), StatusCode::kInvalidArgument);  // no model at all
  o.model_base_path = "/nonexistent";
  o.port = 8555;
  o.rest_api_port = 8555;
  auto s = ModelServer::Start(o);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("--rest_api_port cannot be same as --port"), std::string::npos);
}

}  // namespace
}  // namespace savedmodel
