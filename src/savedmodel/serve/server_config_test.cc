#include "savedmodel/serve/server_config.h"

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

class ServerConfigTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(env_->WriteStringToFile(path, text).ok());
  }
  std::unique_ptr<Env> env_ = NewMemEnv();
};

TEST_F(ServerConfigTest, ModelConfigFileAsTfServingWritesIt) {
  Write("models.config", R"(
model_config_list {
  config {
    name: 'hp'
    base_path: '/models/hp'
    model_platform: 'tensorflow'
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: 'stable' value: 1 }
  }
})");
  auto c = ReadModelServerConfigFile(env_.get(), "models.config");
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& m = c->model_config_list().config(0);
  EXPECT_EQ(m.name(), "hp");
  EXPECT_EQ(m.model_version_policy().specific().versions_size(), 2);
  EXPECT_EQ(m.version_labels().at("stable"), 1);
}

TEST_F(ServerConfigTest, ParseErrorsNameFileAndLine) {
  Write("bad.config", "model_config_list {\n  config { nme: 'x' }\n}\n");
  auto c = ReadModelServerConfigFile(env_.get(), "bad.config");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("Invalid protobuf file: 'bad.config'"), std::string::npos)
      << c.status();
  EXPECT_NE(c.status().message().find("2:"), std::string::npos) << c.status();
  EXPECT_FALSE(ReadModelServerConfigFile(env_.get(), "/none").ok());
}

TEST_F(ServerConfigTest, BatchingAndMonitoringFiles) {
  Write("batching.config",
        "max_batch_size { value: 32 }\nbatch_timeout_micros { value: 1000 }\n"
        "num_batch_threads { value: 4 }\nallowed_batch_sizes: 8\nallowed_batch_sizes: 32\n");
  auto b = ReadBatchingParametersFile(env_.get(), "batching.config");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->max_batch_size().value(), 32);
  EXPECT_EQ(b->allowed_batch_sizes_size(), 2);
  EXPECT_FALSE(b->has_max_enqueued_batches());

  Write("monitoring.config", "prometheus_config { enable: true }\n");
  auto m = ReadMonitoringConfigFile(env_.get(), "monitoring.config");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->prometheus_config().enable());
  EXPECT_EQ(m->prometheus_config().path(), "/monitoring/prometheus/metrics");
}

TEST_F(ServerConfigTest, SingleModelFromFlags) {
  auto c = ModelServerConfigFromFlags("default", "/models/hp");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model_config_list().config(0).model_platform(), "tensorflow");
  EXPECT_FALSE(ModelServerConfigFromFlags("default", "").ok());
}

}  // namespace
}  // namespace savedmodel
