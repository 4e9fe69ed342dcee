// Build -> train -> save (builder, simple_save, checkpoints) -> reload, on a
// small softmax regression with synthetic data.
#include <filesystem>

#include <gtest/gtest.h>

#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/format/saved_model/fingerprint.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/optimizer.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"
#include "test_util.h"

namespace savedmodel::train {
namespace {

struct Model {
  GraphBuilder b;
  Output x, labels, y, loss;
  std::string train, init;
  tensorflow::SaverDef saver;
};

// Softmax regression 4 -> 3 with the tutorial's loss.
void BuildModel(Model& m, Optimizer& opt) {
  GraphBuilder& b = m.b;
  m.x = Placeholder(b, DT_FLOAT, {-1, 4}, "myInput");
  m.labels = Placeholder(b, DT_FLOAT, {-1, 3}, "labels");
  VariableInfo W = Variable(b, Zeros(b, DT_FLOAT, {4, 3}), "W");
  VariableInfo bias = Variable(b, Zeros(b, DT_FLOAT, {3}), "b");
  Output probs = Softmax(b, Add(b, MatMul(b, m.x, W.snapshot), bias.snapshot));
  m.y = Identity(b, probs, "myOutput");
  m.loss = ReduceMean(b, Neg(b, ReduceSum(b, Mul(b, m.labels, Log(b, probs)), {1})));
  m.train = opt.Minimize(b, m.loss);
  m.init = GlobalVariablesInitializer(b);
  m.saver = AddSaver(b);
}

Tensor Batch() {
  // Class = argmax of the first three features.
  return Tensor::FromVector<float>({1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 3, 0, 1, 0, 0, 2, 0},
                                   TensorShape{6, 4});
}
Tensor Labels() {
  return Tensor::FromVector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, TensorShape{6, 3});
}

std::unique_ptr<Session> Train(Model& m, int steps, std::vector<float>* losses) {
  auto graph = Graph::Import(m.b.graph_def());
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  EXPECT_TRUE(session.ok());
  EXPECT_TRUE((*session)->Run({}, {}, {m.init}).ok());
  for (int i = 0; i < steps; ++i) {
    auto out = (*session)->Run({{m.x.name(), Batch()}, {m.labels.name(), Labels()}}, {m.loss.name()}, {m.train});
    EXPECT_TRUE(out.ok()) << out.status();
    if (out.ok()) losses->push_back((*out)[0].scalar<float>());
  }
  return std::move(session).value();
}

TEST(TrainSaveTest, GradientDescentLowersTheLossFromLog3) {
  GradientDescentOptimizer opt(0.5f);
  Model m;
  BuildModel(m, opt);
  ASSERT_TRUE(m.b.status().ok()) << m.b.status();
  std::vector<float> losses;
  Train(m, 50, &losses);
  ASSERT_EQ(losses.size(), 50u);
  EXPECT_NEAR(losses[0], std::log(3.0f), 1e-6);  // zero weights: uniform predictions
  EXPECT_LT(losses.back(), 0.3f);
  for (size_t i = 1; i < losses.size(); ++i) EXPECT_LE(losses[i], losses[i - 1] + 1e-6) << i;
}

TEST(TrainSaveTest, MomentumAndAdamTrainToo) {
  MomentumOptimizer mom(0.2f, 0.9f);
  Model a;
  BuildModel(a, mom);
  std::vector<float> la;
  Train(a, 40, &la);
  ASSERT_FALSE(la.empty());
  EXPECT_LT(la.back(), 0.2f * la.front());
  AdamOptimizer adam(0.1f);
  Model c;
  BuildModel(c, adam);
  ASSERT_TRUE(c.b.status().ok()) << c.b.status();
  std::vector<float> lc;
  Train(c, 40, &lc);
  ASSERT_FALSE(lc.empty());
  EXPECT_LT(lc.back(), 0.2f * lc.front());
}

TEST(TrainSaveTest, BuilderSaveReloadPredict) {
  GradientDescentOptimizer opt(0.5f);
  Model m;
  BuildModel(m, opt);
  std::vector<float> losses;
  auto session = Train(m, 20, &losses);
  auto before = session->Run({{m.x.name(), Batch()}}, {m.y.name()});
  ASSERT_TRUE(before.ok());

  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "model" / "1").string();
  {
    SavedModelBuilder builder(dir);
    ASSERT_TRUE(builder.AddMetaGraphAndVariables(*session, MetaGraphFromBuilder(m.b, m.saver), {"serve"},
                                                 {{"predict", PredictSignature({{"myInput", m.x}}, {{"myOutput", m.y}})}})
                    .ok());
    ASSERT_TRUE(builder.AddMetaGraph(MetaGraphFromBuilder(m.b, m.saver), {"train"}, {}).ok());
    ASSERT_TRUE(builder.Save().ok());
  }
  // What TensorFlow writes: both files, no temp directory left over.
  EXPECT_TRUE(std::filesystem::exists(dir + "/saved_model.pb"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/variables/variables.index"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/variables/variables.data-00000-of-00001"));
  // fingerprint.pb with TensorFlow's hashes of what was written.
  auto written = ReadSavedModel(Env::Default(), dir);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE(written->fingerprint.has_value());
  EXPECT_EQ(written->fingerprint->saved_model_checksum(),
            Fingerprint64(testing::ReadFileOrDie(dir + "/saved_model.pb")));
  EXPECT_EQ(written->fingerprint->checkpoint_hash(),
            Fingerprint64(testing::ReadFileOrDie(dir + "/variables/variables.index")));
  EXPECT_NE(written->fingerprint->signature_def_hash(), 0u);
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.path() / "model")) entries += !e.path().empty();
  EXPECT_EQ(entries, 1);

  auto bundle = LoadSavedModel(dir, {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto after = (*bundle)->Predict("predict", {{"myInput", Batch()}});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->at("myOutput").Equals((*before)[0]));
  auto by_name = (*bundle)->session().Run({{"myInput:0", Batch()}}, {"myOutput:0"});
  ASSERT_TRUE(by_name.ok());
  EXPECT_TRUE((*by_name)[0].Equals((*before)[0]));
  EXPECT_TRUE(LoadSavedModel(dir, {"train"}).ok());

  // Like TensorFlow, an existing export directory is refused, and left untouched.
  SavedModelBuilder again(dir);
  Status s = again.AddMetaGraphAndVariables(*session, MetaGraphFromBuilder(m.b, m.saver), {"serve"}, {});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s;
  EXPECT_TRUE(LoadSavedModel(dir, {"serve"}).ok());
}

TEST(TrainSaveTest, SimpleSaveAndCheckpoints) {
  GradientDescentOptimizer opt(0.5f);
  Model m;
  BuildModel(m, opt);
  std::vector<float> losses;
  auto session = Train(m, 5, &losses);
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "simple").string();
  ASSERT_TRUE(SimpleSave(*session, m.b, m.saver, dir, {{"myInput", m.x}}, {{"myOutput", m.y}}).ok());
  auto bundle = LoadSavedModel(dir, {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE((*bundle)->Predict("serving_default", {{"myInput", Batch()}}).ok());

  // Checkpoint, train further, restore: the loss returns to the saved point.
  const std::string prefix = (tmp.path() / "ckpt" / "model.ckpt").string();
  std::filesystem::create_directories(tmp.path() / "ckpt");
  ASSERT_TRUE(SaveCheckpoint(*session, m.saver, prefix).ok());
  auto loss_at = [&] {
    auto out = session->Run({{m.x.name(), Batch()}, {m.labels.name(), Labels()}}, {m.loss.name()});
    return out.ok() ? (*out)[0].scalar<float>() : -1.0f;
  };
  float saved_loss = loss_at();
  ASSERT_TRUE(session->Run({{m.x.name(), Batch()}, {m.labels.name(), Labels()}}, {}, {m.train}).ok());
  EXPECT_NE(loss_at(), saved_loss);
  auto latest = LatestCheckpoint(Env::Default(), (tmp.path() / "ckpt").string());
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(*latest, prefix);
  ASSERT_TRUE(RestoreCheckpoint(*session, m.saver, *latest).ok());
  EXPECT_EQ(loss_at(), saved_loss);
}

TEST(TrainSaveTest, VariableFromRandomInitializer) {
  GraphBuilder b;
  VariableInfo w = Variable(b, RandomUniformInit(b, {3, 2}, -1.0f, 1.0f, 5), "w", true, {3, 2});
  std::string init = GlobalVariablesInitializer(b);
  ASSERT_TRUE(b.status().ok()) << b.status();
  auto graph = Graph::Import(b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE((*session)->Run({}, {}, {init}).ok());
  auto v = (*session)->Run({}, {w.snapshot.name()});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0].shape(), (TensorShape{3, 2}));
  for (float x : (*v)[0].flat<float>()) {
    EXPECT_GE(x, -1.0f);
    EXPECT_LT(x, 1.0f);
  }
  GraphBuilder c;
  Variable(c, RandomUniformInit(c, {2}, 0, 1), "v");  // no shape: a clear error
  EXPECT_FALSE(c.status().ok());
}

TEST(TrainSaveTest, TensorFlowNamingRules) {
  GraphBuilder b;
  Output a = Scalar<float>(b, 1);
  Output c = Scalar<float>(b, 2);
  EXPECT_EQ(a.node, "Const");
  EXPECT_EQ(c.node, "Const_1");
  {
    GraphBuilder::NameScope s(&b, "layer");
    EXPECT_EQ(Add(b, a, c).node, "layer/add");
  }
  {
    GraphBuilder::NameScope s(&b, "layer");
    EXPECT_EQ(Add(b, a, c).node, "layer_1/add");
  }
  VariableInfo v = Variable(b, Zeros(b, DT_FLOAT, {2}), "W");
  EXPECT_EQ(v.variable.name(), "W:0");
  EXPECT_EQ(v.initializer, "W/Assign");
  EXPECT_EQ(v.snapshot.name(), "W/read:0");
  // OpDef validation: MatMul of int8 is not an allowed type.
  Output i8 = Const(b, Tensor::FromVector<int8_t>({1}, TensorShape{1, 1}));
  MatMul(b, i8, i8);
  EXPECT_FALSE(b.status().ok());
  EXPECT_NE(b.status().message().find("does not allow"), std::string::npos) << b.status();
}

}  // namespace
}  // namespace savedmodel::train

namespace savedmodel::train {
namespace {

// Our saver subgraph has the node structure TensorFlow wrote for half_plus_two.
TEST(TrainSaveTest, SaverMatchesTensorFlowsStructure) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto tf = ReadSavedModel(Env::Default(), dir.string());
  ASSERT_TRUE(tf.ok()) << tf.status();
  const auto& tf_mg = tf->saved_model.meta_graphs(0);
  GraphBuilder b;
  for (const char* name : {"a", "b", "c", "a2", "c2"}) Variable(b, Scalar<float>(b, 1.0f), name);
  tensorflow::SaverDef ours = AddSaver(b);
  EXPECT_EQ(ours.SerializeAsString(), tf_mg.saver_def().SerializeAsString());
  int compared = 0;
  for (const auto& node : tf_mg.graph_def().node()) {
    if (node.name().rfind("save/", 0) != 0) continue;
    const tensorflow::NodeDef* mine = b.FindNode(node.name());
    ASSERT_NE(mine, nullptr) << node.name();
    EXPECT_EQ(mine->op(), node.op()) << node.name();
    EXPECT_EQ(std::vector<std::string>(mine->input().begin(), mine->input().end()),
              std::vector<std::string>(node.input().begin(), node.input().end()))
        << node.name();
    ++compared;
  }
  EXPECT_EQ(compared, 25);
  int ours_count = 0;
  for (const auto& node : b.graph_def().node()) ours_count += node.name().rfind("save/", 0) == 0;
  EXPECT_EQ(ours_count, compared);
}

TEST(TrainSaveTest, AssetsAreCopiedWithAssetFileDefs) {
  testing::TempDir tmp;
  std::string vocab = (tmp.path() / "vocab.txt").string();
  ASSERT_TRUE(Env::Default()->WriteStringToFile(vocab, "a\nb\n").ok());
  GraphBuilder b;
  Output path = Const(b, Tensor::Scalar<std::string>("vocab.txt"), "vocab_path");
  Output x = Placeholder(b, DT_FLOAT, {}, "x");
  Output y = Identity(b, x, "y");
  tensorflow::SaverDef saver = AddSaver(b);
  auto graph = Graph::Import(b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok());
  const std::string dir = (tmp.path() / "m").string();
  SavedModelBuilder builder(dir);
  ASSERT_TRUE(builder.AddMetaGraphAndVariables(**session, MetaGraphFromBuilder(b, saver), {"serve"},
                                               {{"serving_default", PredictSignature({{"x", x}}, {{"y", y}})}},
                                               {{path.name(), vocab}})
                  .ok());
  ASSERT_TRUE(builder.Save(/*as_text=*/true).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/saved_model.pbtxt"));
  EXPECT_EQ(testing::ReadFileOrDie(dir + "/assets/vocab.txt"), "a\nb\n");
  auto bundle = LoadSavedModel(dir, {"serve"});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto assets = GetAssetFiles((*bundle)->meta_graph_def());
  ASSERT_TRUE(assets.ok());
  ASSERT_EQ(assets->size(), 1u);
  EXPECT_EQ((*assets)[0].filename, "vocab.txt");
  EXPECT_EQ((*assets)[0].tensor_name, "vocab_path:0");
}

}  // namespace
}  // namespace savedmodel::train
