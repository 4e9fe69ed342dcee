// LoadOptions::mmap_variables: models loaded with their weights as views of
// the mapped variables file run, train and save exactly as models loaded with
// copies, and the file never changes under them.
#include <cstdlib>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "savedmodel/format/bundle/mapped_shard.h"
#include "savedmodel/train/ops.h"
#include "savedmodel/train/optimizer.h"
#include "savedmodel/train/saved_model_builder.h"
#include "savedmodel/train/saver.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using namespace ::savedmodel::train;

LoadOptions Mapped(bool on) {
  LoadOptions o;
  o.mmap_variables = on;
  return o;
}

// A 64 -> 128 -> 16 tanh network trained by Adam on a fixed batch: weights of
// 32 KiB and 8 KiB (and their Adam slots), large enough to be views.
struct Net {
  GraphBuilder b;
  Output x, target, y, loss;
  std::string train, init;
  tensorflow::SaverDef saver;
};

void BuildNet(Net& n) {
  GraphBuilder& b = n.b;
  n.x = Placeholder(b, DT_FLOAT, {-1, 64}, "x");
  n.target = Placeholder(b, DT_FLOAT, {-1, 16}, "target");
  VariableInfo w1 = train::Variable(b, RandomUniformInit(b, {64, 128}, -0.2f, 0.2f, 1), "W1", true, {64, 128});
  VariableInfo w2 = train::Variable(b, RandomUniformInit(b, {128, 16}, -0.2f, 0.2f, 2), "W2", true, {128, 16});
  n.y = Identity(b, MatMul(b, Tanh(b, MatMul(b, n.x, w1.snapshot)), w2.snapshot), "y");
  n.loss = ReduceMean(b, Square(b, Sub(b, n.y, n.target)));
  AdamOptimizer adam(0.01f);
  n.train = adam.Minimize(b, n.loss);
  n.init = GlobalVariablesInitializer(b);
  n.saver = AddSaver(b);
}

Tensor Batch(int64_t rows, int64_t cols, float scale) {
  Tensor t(DT_FLOAT, TensorShape{rows, cols});
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.flat<float>()[i] = scale * static_cast<float>((i * 37) % 101 - 50) / 50.f;
  }
  return t;
}

// Trains `steps` steps of `session`, returning the losses.
std::vector<float> TrainSteps(Session& session, const Net& n, int steps) {
  std::vector<float> losses;
  for (int i = 0; i < steps; ++i) {
    auto out = session.Run({{n.x.name(), Batch(32, 64, 1.f)}, {n.target.name(), Batch(32, 16, 0.5f)}},
                           {n.loss.name()}, {n.train});
    EXPECT_TRUE(out.ok()) << out.status();
    if (out.ok()) losses.push_back((*out)[0].scalar<float>());
  }
  return losses;
}

Tensor Fetch(Session& session, const std::string& name) {
  auto out = session.Run({}, {name});
  EXPECT_TRUE(out.ok()) << name << ": " << out.status();
  return out.ok() ? (*out)[0] : Tensor();
}

// Saves a trained Net as a SavedModel at `dir`.
void SaveNet(Net& n, const std::string& dir) {
  BuildNet(n);
  ASSERT_TRUE(n.b.status().ok()) << n.b.status();
  auto graph = Graph::Import(n.b.graph_def());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = Session::Create(std::move(graph).value());
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE((*session)->Run({}, {}, {n.init}).ok());
  TrainSteps(**session, n, 3);
  SavedModelBuilder builder(dir);
  ASSERT_TRUE(builder
                  .AddMetaGraphAndVariables(**session, MetaGraphFromBuilder(n.b, n.saver), {"serve"},
                                            {{"serving_default",
                                              PredictSignature({{"x", n.x}}, {{"y", n.y}})}})
                  .ok());
  ASSERT_TRUE(builder.Save().ok());
}

TEST(MmapVariablesTest, TrainingAMappedModelNeverWritesTheFile) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "net").string();
  Net n;
  SaveNet(n, dir);
  const std::string data = dir + "/variables/variables.data-00000-of-00001";
  const std::string before = testing::ReadFileOrDie(data);

  auto mapped = LoadSavedModel(dir, {"serve"}, Mapped(true));
  auto copied = LoadSavedModel(dir, {"serve"}, Mapped(false));
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_TRUE(copied.ok()) << copied.status();
  Session& ms = (*mapped)->session();
  Session& cs = (*copied)->session();
  // Restored through RestoreV2 and Assign: the weights and their Adam slots
  // are the file's pages in one, copies in the other.
  for (const char* v : {"W1:0", "W2:0", "W1/Adam:0", "W2/Adam_1:0"}) {
    Tensor m = Fetch(ms, v), c = Fetch(cs, v);
    EXPECT_TRUE(bundle::IsCheckpointView(m)) << v;
    EXPECT_FALSE(bundle::IsCheckpointView(c)) << v;
    EXPECT_TRUE(m.Equals(c)) << v;
  }
  auto y_m = ms.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  auto y_c = cs.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  ASSERT_TRUE(y_m.ok() && y_c.ok());
  EXPECT_TRUE((*y_m)[0].Equals((*y_c)[0]));

  // Training replaces the weights with buffers of its own: same losses, same
  // weights, and the file is as it was.
  const std::vector<float> lm = TrainSteps(ms, n, 5), lc = TrainSteps(cs, n, 5);
  ASSERT_EQ(lm.size(), 5u);
  EXPECT_EQ(lm, lc);
  for (const char* v : {"W1:0", "W2:0", "W1/Adam:0", "beta1_power:0"}) {
    Tensor m = Fetch(ms, v);
    EXPECT_TRUE(m.Equals(Fetch(cs, v))) << v;
    EXPECT_FALSE(bundle::IsCheckpointView(m)) << v;
  }
  EXPECT_EQ(testing::ReadFileOrDie(data), before);

  // Saving over the model's own variables while it is mapped: the saver
  // renames its files into place, the loaded model keeps running on its
  // pages, and a new load reads the trained values.
  const tensorflow::SaverDef& saver = (*mapped)->meta_graph_def().saver_def();
  auto saved = SaveCheckpoint(ms, saver, dir + "/variables/variables");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_NE(testing::ReadFileOrDie(data), before);
  auto after_m = ms.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  auto after_c = cs.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  ASSERT_TRUE(after_m.ok() && after_c.ok());
  EXPECT_TRUE((*after_m)[0].Equals((*after_c)[0]));
  auto reloaded = LoadSavedModel(dir, {"serve"}, Mapped(true));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto again = (*reloaded)->Predict("serving_default", {{"x", Batch(4, 64, 0.3f)}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->at("y").Equals((*after_m)[0]));
  EXPECT_TRUE(bundle::IsCheckpointView(Fetch((*reloaded)->session(), "W1:0")));
}

// Saving while the variables are still views of the very file the save
// replaces: the saver reads the mapped pages and renames its new file over
// the old, which the mapping keeps alive.
TEST(MmapVariablesTest, SavingViewsOverTheirOwnFile) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "net").string();
  Net n;
  SaveNet(n, dir);
  auto bundle = LoadSavedModel(dir, {"serve"}, Mapped(true));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  Session& s = (*bundle)->session();
  ASSERT_TRUE(bundle::IsCheckpointView(Fetch(s, "W1:0")));
  auto before = s.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  ASSERT_TRUE(before.ok()) << before.status();
  for (int i = 0; i < 2; ++i) {
    auto saved = SaveCheckpoint(s, (*bundle)->meta_graph_def().saver_def(), dir + "/variables/variables");
    ASSERT_TRUE(saved.ok()) << saved.status();
  }
  auto after = s.Run({{n.x.name(), Batch(4, 64, 0.3f)}}, {n.y.name()});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE((*after)[0].Equals((*before)[0]));
  auto reloaded = LoadSavedModel(dir, {"serve"}, Mapped(true));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto again = (*reloaded)->Predict("serving_default", {{"x", Batch(4, 64, 0.3f)}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->at("y").Equals((*before)[0]));
}

// A confined model maps too: the files are opened through the confining Env,
// which checked them.
TEST(MmapVariablesTest, ConfinedModelsMapToo) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "net").string();
  Net n;
  SaveNet(n, dir);
  LoadOptions o;
  o.confine_file_access = true;
  auto bundle = LoadSavedModel(dir, {"serve"}, o);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle::IsCheckpointView(Fetch((*bundle)->session(), "W1:0")));
  o.mmap_variables = false;
  auto copied = LoadSavedModel(dir, {"serve"}, o);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_FALSE(bundle::IsCheckpointView(Fetch((*copied)->session(), "W1:0")));
}

TEST(MmapVariablesTest, EnvironmentVariableTurnsMappingOff) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "net").string();
  Net n;
  SaveNet(n, dir);
  for (const char* off : {"0", "false"}) {
    ASSERT_EQ(::setenv("SAVEDMODEL_MMAP_VARIABLES", off, 1), 0);
    auto bundle = LoadSavedModel(dir, {"serve"});
    ::unsetenv("SAVEDMODEL_MMAP_VARIABLES");
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    EXPECT_FALSE(bundle::IsCheckpointView(Fetch((*bundle)->session(), "W1:0"))) << off;
  }
  ASSERT_EQ(::setenv("SAVEDMODEL_MMAP_VARIABLES", "1", 1), 0);
  auto bundle = LoadSavedModel(dir, {"serve"});
  ::unsetenv("SAVEDMODEL_MMAP_VARIABLES");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_TRUE(bundle::IsCheckpointView(Fetch((*bundle)->session(), "W1:0")));
}

// Mapped weights count against LoadOptions::max_model_bytes as copies do.
TEST(MmapVariablesTest, MappedWeightsAreChargedToTheModel) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "net").string();
  Net n;
  SaveNet(n, dir);
  auto mapped = LoadSavedModel(dir, {"serve"}, Mapped(true));
  auto copied = LoadSavedModel(dir, {"serve"}, Mapped(false));
  ASSERT_TRUE(mapped.ok() && copied.ok());
  // 3 x (32 KiB + 8 KiB) of weights and slots, at least.
  EXPECT_GE((*mapped)->memory().used(), 3u * (32768 + 8192));
  LoadOptions small = Mapped(true);
  small.max_model_bytes = 40000;
  auto refused = LoadSavedModel(dir, {"serve"}, small);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status();
}

// Every case of corpus_expected gives bit-identical outputs with the weights
// mapped and copied.
TEST(MmapVariablesTest, CorpusOutputsAreBitIdenticalMappedOrCopied) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "corpus_expected");
  int cases = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() != "case.json") continue;
    const fs::path dir = e.path().parent_path();
    rapidjson::Document doc;
    const std::string json = testing::ReadFileOrDie(e.path());
    ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError()) << dir;
    const std::string model = doc["model"].GetString();
    const std::string signature = doc["signature"].GetString();
    const std::string model_dir = (testing::TestDataDir() / "corpus" / model).string();
    const auto tags = ParseTagSet(doc["tag_set"].GetString());
    std::map<std::string, Tensor> inputs;
    for (const auto& in : doc["inputs"].GetArray()) {
      const std::string key = in.GetString();
      auto t = ReadNpyFile(Env::Default(), (dir / ("input." + key + ".npy")).string());
      ASSERT_TRUE(t.ok()) << t.status();
      inputs[key] = *t;
    }
    auto mapped = LoadSavedModel(model_dir, tags, Mapped(true));
    auto copied = LoadSavedModel(model_dir, tags, Mapped(false));
    ASSERT_TRUE(mapped.ok()) << model << ": " << mapped.status();
    ASSERT_TRUE(copied.ok()) << model << ": " << copied.status();
    auto a = (*mapped)->Predict(signature, inputs);
    auto b = (*copied)->Predict(signature, inputs);
    ASSERT_TRUE(a.ok() && b.ok()) << model << "/" << signature << ": " << a.status() << " "
                                  << b.status();
    ASSERT_EQ(a->size(), b->size());
    for (const auto& [key, t] : *a) {
      EXPECT_TRUE(t.Equals(b->at(key))) << model << "/" << signature << " " << key;
    }
    ++cases;
  }
  EXPECT_GT(cases, 20);
}

}  // namespace
}  // namespace savedmodel
