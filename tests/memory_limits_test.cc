// Memory budgets per Run (SessionOptions::max_bytes_per_run) and per loaded
// model (LoadOptions::max_model_bytes): checked before allocating, reported as
// RESOURCE_EXHAUSTED naming the node, the size and the setting.
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "half_plus_two_model.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/exec/session.h"
#include "test_util.h"

namespace savedmodel {
namespace {

// x = Fill(dims, 1.0); y = Neg(x): each float tensor of n elements is 4n bytes.
constexpr char kFillNeg[] = R"pb(
  node { name: "dims" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
  node { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } } }
  node { name: "x" op: "Fill" input: "dims" input: "one"
         attr { key: "T" value { type: DT_FLOAT } }
         attr { key: "index_type" value { type: DT_INT32 } } }
  node { name: "y" op: "Neg" input: "x" attr { key: "T" value { type: DT_FLOAT } } })pb";

std::unique_ptr<Session> MakeSession(size_t max_bytes_per_run) {
  tensorflow::GraphDef g;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kFillNeg, &g));
  auto graph = Graph::Import(g);
  EXPECT_TRUE(graph.ok()) << graph.status();
  SessionOptions options;
  options.max_bytes_per_run = max_bytes_per_run;
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  auto session = Session::Create(std::move(graph).value(), options);
  EXPECT_TRUE(session.ok()) << session.status();
  return std::move(session).value();
}

StatusOr<std::vector<Tensor>> RunFillNeg(Session& s, int32_t n, const std::string& fetch = "y") {
  return s.Run({{"dims", Tensor::FromVector<int32_t>({n})}}, {fetch});
}

void ExpectExhausted(const Status& s, const std::vector<std::string>& needles) {
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s;
  for (const std::string& n : needles) EXPECT_NE(s.message().find(n), std::string::npos) << n << " in " << s;
}

TEST(MemoryLimitsTest, OneTensorOverTheRunBudget) {
  auto session = MakeSession(4000);
  // 1000 floats fit; 1024 (4096 bytes) do not, and nothing is allocated for them.
  ASSERT_TRUE(RunFillNeg(*session, 500, "x").ok());
  auto r = RunFillNeg(*session, 1024, "x");
  ExpectExhausted(r.status(), {"node 'x' (op Fill)", "1024 elements (4096 bytes)",
                               "limit of 4000 (SessionOptions::max_bytes_per_run)"});
}

// The budget counts every live tensor of the Run, not each on its own: x and
// y (3000 bytes each) fit alone but not together.
TEST(MemoryLimitsTest, TheRunBudgetSumsLiveTensors) {
  auto tight = MakeSession(5000);
  ASSERT_TRUE(RunFillNeg(*tight, 750, "x").ok());
  auto r = RunFillNeg(*tight, 750, "y");
  ExpectExhausted(r.status(), {"node 'y' (op Neg)", "3000 bytes", "3000 bytes are already live"});
  auto roomy = MakeSession(6000);
  auto ok = RunFillNeg(*roomy, 750, "y");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0].flat<float>()[749], -1.0f);
}

// Each Run starts from zero: sequential Runs do not accumulate, and
// concurrent Runs each get the whole budget.
TEST(MemoryLimitsTest, EachRunHasItsOwnBudget) {
  auto session = MakeSession(6000);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(RunFillNeg(*session, 750).ok()) << i;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) failures += !RunFillNeg(*session, 750).ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(MemoryLimitsTest, DefaultsRunNormalGraphs) {
  EXPECT_EQ(SessionOptions().max_bytes_per_run, size_t{8} << 30);
  EXPECT_EQ(LoadOptions().max_model_bytes, size_t{12} << 30);
  auto session = MakeSession(SessionOptions().max_bytes_per_run);
  auto r = RunFillNeg(*session, 1 << 20);  // 8 MiB in all
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].flat<float>()[12345], -1.0f);
}

TEST(MemoryLimitsTest, ModelBudgetBoundsRestoredVariables) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "half_plus_two").string();
  ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());

  auto bundle = LoadSavedModel(dir, {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  // Variables a and b (one float each) and the decoded Const values stay
  // charged to the model.
  size_t const_bytes = 0;
  for (const Node& n : (*bundle)->session().graph().nodes()) {
    if (n.const_value.has_value()) const_bytes += n.const_value->byte_size();
  }
  EXPECT_GE(const_bytes, 2 * sizeof(float));  // a's and b's initial values at least
  EXPECT_GE((*bundle)->memory().used(), 2 * sizeof(float) + const_bytes);
  EXPECT_EQ((*bundle)->memory().limit(), LoadOptions().max_model_bytes);
  auto y = (*bundle)->Predict("serving_default", {{"x", Tensor::FromVector<float>({1, 2})}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->at("y").flat<float>()[1], 3.0f);  // 0.5 * 2 + 2

  LoadOptions options;
  options.max_model_bytes = 2;  // less than one float
  auto refused = LoadSavedModel(dir, {"serve"}, options);
  ExpectExhausted(refused.status(), {"(LoadOptions::max_model_bytes)", "bytes) of type"});
}

}  // namespace
}  // namespace savedmodel
