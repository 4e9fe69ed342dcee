#include "savedmodel/train/freeze.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "test_util.h"

namespace savedmodel::train {
namespace {

TEST(FreezeTest, HalfPlusTwoFreezesToConstants) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto frozen = FreezeSignature(**bundle, "serving_default");
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  for (const auto& n : frozen->node()) {
    EXPECT_NE(n.op(), "VariableV2") << n.name();
    EXPECT_NE(n.op(), "SaveV2") << n.name();
  }
  EXPECT_LT(frozen->node_size(), (*bundle)->meta_graph_def().graph_def().node_size());
  auto graph = Graph::Import(*frozen);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok());
  auto y = (*session)->Run({{"x:0", Tensor::FromVector<float>({3}, TensorShape{1, 1})}}, {"y:0"});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ((*y)[0].flat<float>()[0], 3.5f);
}

TEST(FreezeTest, ResavedTensorFlowModelKeepsSignaturesAndValues) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto bundle = LoadSavedModel(dir.string(), {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  testing::TempDir tmp;
  const std::string out = (tmp.path() / "resaved").string();
  ASSERT_TRUE(ResaveBundle(**bundle, out, {"serve"}).ok());
  auto again = LoadSavedModel(out, {"serve"});
  ASSERT_TRUE(again.ok()) << again.status();
  std::vector<std::string> a, b;
  for (const auto& [k, _] : (*bundle)->meta_graph_def().signature_def()) a.push_back(k);
  for (const auto& [k, _] : (*again)->meta_graph_def().signature_def()) b.push_back(k);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  auto orig = bundle::BundleReader::Open(Env::Default(), (*bundle)->data().VariablesPrefix());
  auto copy = bundle::BundleReader::Open(Env::Default(), (*again)->data().VariablesPrefix());
  ASSERT_TRUE(orig.ok() && copy.ok());
  EXPECT_EQ((*orig)->Keys(), (*copy)->Keys());
  for (const auto& key : (*orig)->Keys()) {
    auto x = (*orig)->Read(key);
    auto y = (*copy)->Read(key);
    ASSERT_TRUE(x.ok() && y.ok()) << key;
    EXPECT_TRUE(x->Equals(*y)) << key;
  }
  auto y = (*again)->Predict("serving_default", {{"x", Tensor::FromVector<float>({4}, TensorShape{1, 1})}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->at("y").flat<float>()[0], 4.0f);
  std::string cli_out;
  EXPECT_EQ(testing::RunCli("freeze '" + dir.string() + "' '" + (tmp.path() / "f.pb").string() + "'", &cli_out), 0)
      << cli_out;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "f.pb"));
}

}  // namespace
}  // namespace savedmodel::train
