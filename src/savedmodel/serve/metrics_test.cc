#include "savedmodel/serve/metrics.h"

#include <thread>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

TEST(MetricRegistryTest, RendersPrometheusTextFormat) {
  MetricRegistry r;
  r.Declare("requests", MetricRegistry::Type::kCounter, "Requests.", {"model", "code"});
  r.Declare("temp", MetricRegistry::Type::kGauge, "A gauge.", {});
  r.Declare("lat", MetricRegistry::Type::kHistogram, "Latency.", {"m"}, {1, 2.5});
  r.Declare("unused", MetricRegistry::Type::kCounter, "Never set.", {});
  r.Increment("requests", {"a", "OK"});
  r.Increment("requests", {"a", "OK"}, 2);
  r.Increment("requests", {"we\"ird\\\n", "OK"});
  r.Set("temp", {}, -0.5);
  r.Observe("lat", {"x"}, 0.5);
  r.Observe("lat", {"x"}, 2.5);
  r.Observe("lat", {"x"}, 7);
  // Wrong label count or type: dropped, never fatal.
  r.Increment("requests", {"a"});
  r.Increment("lat", {"x"});
  r.Observe("missing", {}, 1);
  EXPECT_EQ(r.RenderText(),
            "# HELP lat Latency.\n"
            "# TYPE lat histogram\n"
            "lat_bucket{m=\"x\",le=\"1\"} 1\n"
            "lat_bucket{m=\"x\",le=\"2.5\"} 2\n"
            "lat_bucket{m=\"x\",le=\"+Inf\"} 3\n"
            "lat_sum{m=\"x\"} 10\n"
            "lat_count{m=\"x\"} 3\n"
            "# HELP requests Requests.\n"
            "# TYPE requests counter\n"
            "requests{model=\"a\",code=\"OK\"} 3\n"
            "requests{model=\"we\\\"ird\\\\\\n\",code=\"OK\"} 1\n"
            "# HELP temp A gauge.\n"
            "# TYPE temp gauge\n"
            "temp -0.5\n");
  EXPECT_EQ(r.Value("requests", {"a", "OK"}), 3);
  EXPECT_EQ(r.Value("lat", {"x"}), 3);
}

TEST(ServingMetricsTest, TfServingNamesAndLabels) {
  MetricRegistry r;
  ServingMetrics m(&r);
  auto rest = m.RequestRecorder("REST");
  rest("hp", "predict", Status::OK(), 0.000015);  // 15 us: the 18 us bucket (10 * 1.8)
  rest("hp", "predict", NotFound("x"), 0.001);
  m.RecordLoad("/models/hp/1", Status::OK(), 0.25);
  const std::string text = m.registry()->RenderText();
  EXPECT_NE(text.find(":tensorflow:serving:request_count{model_name=\"hp\",status=\"OK\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find(":tensorflow:serving:request_count{model_name=\"hp\",status=\"NOT_FOUND\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE :tensorflow:serving:request_latency histogram\n"), std::string::npos);
  EXPECT_NE(text.find(":tensorflow:serving:request_latency_bucket{model_name=\"hp\",API=\"predict\","
                      "entrypoint=\"REST\",le=\"10\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find(":tensorflow:serving:request_latency_bucket{model_name=\"hp\",API=\"predict\","
                      "entrypoint=\"REST\",le=\"18\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find(":tensorflow:serving:request_latency_count{model_name=\"hp\",API=\"predict\","
                      "entrypoint=\"REST\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find(":tensorflow:cc:saved_model:load_attempt_count{model_path=\"/models/hp/1\","
                      "status=\"success\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find(":tensorflow:cc:saved_model:load_latency{model_path=\"/models/hp/1\"} 250000\n"),
            std::string::npos);
}

TEST(ServingMetricsTest, ConcurrentRecording) {
  MetricRegistry r;
  ServingMetrics m(&r);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        m.RecordRequest("hp", "predict", "GRPC", Status::OK(), 0.001);
        if (i % 100 == 0) r.RenderText();
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(r.Value(":tensorflow:serving:request_count", {"hp", "OK"}), 2000);
  EXPECT_EQ(r.Value(":tensorflow:serving:request_latency", {"hp", "predict", "GRPC"}), 2000);
}

}  // namespace
}  // namespace savedmodel
