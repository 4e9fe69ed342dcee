// `savedmodel freeze_model` end to end on real models (expected texts are
// what saved_model_cli freeze_model of TensorFlow 2.21 wrote for the same
// model and flags), and train::FreezeModel on hand-built graphs.
#include <filesystem>

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "savedmodel/exec/session.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/train/freeze.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::RunCli;

const char* kHalfPlusTwo = "tf_serving/saved_model_half_plus_two_cpu/00000123";
const char* kTimesThree = "corpus/tfjs_times_three_float";

// saved_model_cli freeze_model --tag_set serve on kHalfPlusTwo: x is an
// Identity of parsed tf.Examples (not a Placeholder), so it keeps its -1 dim.
const char* kHalfPlusTwoConfig = R"(feed {
  id {
    node_name: "x"
  }
  shape {
    dim {
      size: -1
    }
    dim {
      size: 1
    }
  }
  name: "feed_x"
  type: DT_FLOAT
}
fetch {
  id {
    node_name: "y"
  }
  name: "fetch_y"
  shape {
    dim {
      size: -1
    }
    dim {
      size: 1
    }
  }
  type: DT_FLOAT
}
)";

// The same for kTimesThree with --variables_to_feed ALL: its one resource
// variable, only read, left to the caller.
const char* kTimesThreeFeedAllConfig = R"(feed {
  id {
    node_name: "serving_default_x"
  }
  shape {
  }
  name: "feed_x"
  type: DT_FLOAT
}
fetch {
  id {
    node_name: "StatefulPartitionedCall"
  }
  name: "fetch_output_0"
  shape {
  }
  type: DT_FLOAT
}
variable {
  node_name: "Variable"
  name: "param_Variable"
  shape {
  }
  type: DT_FLOAT
  readonly: true
}
)";

tensorflow::GraphDef ReadGraph(const std::filesystem::path& path) {
  tensorflow::GraphDef g;
  EXPECT_TRUE(g.ParseFromString(testing::ReadFileOrDie(path))) << path;
  return g;
}

// The float values of `fetch` (read while the session is alive).
StatusOr<std::vector<float>> RunGraph(const tensorflow::GraphDef& g,
                                      const std::vector<std::pair<std::string, Tensor>>& feeds,
                                      const std::string& fetch) {
  ASSIGN_OR_RETURN(auto graph, Graph::Import(g));
  ASSIGN_OR_RETURN(auto session, Session::Create(std::move(graph)));
  ASSIGN_OR_RETURN(auto out, session->Run(feeds, {fetch}));
  std::vector<float> values;
  for (float v : out[0].flat<float>()) values.push_back(v);
  return values;
}

TEST(CliFreezeModelTest, HalfPlusTwoWritesSavedModelClisFiles) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  testing::TempDir tmp;
  const auto prefix = tmp.path() / "aot" / "out";
  std::string out;
  ASSERT_EQ(RunCli("freeze_model --dir '" + dir.string() + "' --tag_set serve --output_prefix '" + prefix.string() +
                       "'",
                   &out),
            0)
      << out;
  EXPECT_EQ(testing::ReadFileOrDie(prefix / "config.pbtxt"), kHalfPlusTwoConfig);
  // original_graph.pb is the stored graph itself.
  auto sm = ReadSavedModelProto(Env::Default(), dir.string());
  ASSERT_TRUE(sm.ok()) << sm.status();
  tensorflow::GraphDef original = ReadGraph(prefix / "original_graph.pb");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(original, sm->meta_graphs(0).graph_def()));
  EXPECT_TRUE(std::filesystem::exists(prefix / "prefrozen_graph.pb"));

  tensorflow::GraphDef frozen = ReadGraph(prefix / "frozen_graph.pb");
  for (const auto& n : frozen.node()) {
    EXPECT_NE(n.op(), "VariableV2") << n.name();
    EXPECT_NE(n.op(), "RestoreV2") << n.name();
  }
  // y = 0.5 * x + 2 with a and b now constants.
  auto y = RunGraph(frozen, {{"x:0", Tensor::FromVector<float>({1, 3}, TensorShape{2, 1})}}, "y:0");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, (std::vector<float>{2.5f, 3.5f}));
}

TEST(CliFreezeModelTest, ResourceVariableFrozenOrFed) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kTimesThree);
  testing::TempDir tmp;
  std::string out;
  const std::string base = "freeze_model --dir '" + dir.string() + "' --tag_set serve --output_prefix '";
  ASSERT_EQ(RunCli(base + (tmp.path() / "frozen").string() + "'", &out), 0) << out;
  tensorflow::GraphDef frozen = ReadGraph(tmp.path() / "frozen" / "frozen_graph.pb");
  for (const auto& n : frozen.node()) {
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
    EXPECT_NE(n.op(), "ReadVariableOp") << n.name();
    EXPECT_NE(n.op(), "StatefulPartitionedCall") << n.name();  // inlined
  }
  // The scalar input became a zero Const; feeding it overrides the zero.
  auto zero = RunGraph(frozen, {}, "StatefulPartitionedCall:0");
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(*zero, std::vector<float>{0.0f});
  auto six = RunGraph(frozen, {{"serving_default_x:0", Tensor::Scalar<float>(2)}}, "StatefulPartitionedCall:0");
  ASSERT_TRUE(six.ok()) << six.status();
  EXPECT_EQ(*six, std::vector<float>{6.0f});

  ASSERT_EQ(RunCli(base + (tmp.path() / "fed").string() + "' --variables_to_feed ALL", &out), 0) << out;
  EXPECT_EQ(testing::ReadFileOrDie(tmp.path() / "fed" / "config.pbtxt"), kTimesThreeFeedAllConfig);
  bool kept = false;
  const tensorflow::GraphDef fed = ReadGraph(tmp.path() / "fed" / "frozen_graph.pb");
  for (const auto& n : fed.node()) {
    kept = kept || (n.name() == "Variable" && n.op() == "VarHandleOp");
  }
  EXPECT_TRUE(kept);
}

TEST(CliFreezeModelTest, CheckpointPathGivesTheValues) {
  SAVEDMODEL_REQUIRE_TESTDATA(two, kHalfPlusTwo);
  SAVEDMODEL_REQUIRE_TESTDATA(three, "tf_serving/saved_model_half_plus_three/00000123");
  testing::TempDir tmp;
  std::string out;
  const std::string base = "freeze_model --dir '" + three.string() + "' --tag_set serve --output_prefix '";
  // half_plus_three: y = 0.5 * x + 3.
  ASSERT_EQ(RunCli(base + (tmp.path() / "own").string() + "'", &out), 0) << out;
  auto y = RunGraph(ReadGraph(tmp.path() / "own" / "frozen_graph.pb"),
                    {{"x:0", Tensor::FromVector<float>({2}, TensorShape{1, 1})}}, "y:0");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, std::vector<float>{4.0f});
  // half_plus_two's checkpoint holds the same variables (and more), b = 2.
  ASSERT_EQ(RunCli(base + (tmp.path() / "two").string() + "' --checkpoint_path '" +
                       (two / "variables" / "variables").string() + "'",
                   &out),
            0)
      << out;
  y = RunGraph(ReadGraph(tmp.path() / "two" / "frozen_graph.pb"),
               {{"x:0", Tensor::FromVector<float>({2}, TensorShape{1, 1})}}, "y:0");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(*y, std::vector<float>{3.0f});
}

TEST(CliFreezeModelTest, ErrorsNameWhatIsWrongAndWriteNothing) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  SAVEDMODEL_REQUIRE_TESTDATA(types, "corpus/mlnet_types_test");
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "out").string();
  auto run = [&](const std::filesystem::path& model, const std::string& flags, std::string* out) {
    return RunCli("freeze_model --dir '" + model.string() + "' --output_prefix '" + prefix + "' " + flags, out);
  };
  std::string out;
  EXPECT_EQ(run(dir, "--tag_set serve --signature_def_key nope", &out), 1);
  EXPECT_NE(out.find("Unable to find signature_def_key 'nope'"), std::string::npos) << out;
  EXPECT_NE(out.find("'regress_x_to_y'"), std::string::npos) << out;
  EXPECT_EQ(run(types, "--tag_set serve", &out), 1);
  EXPECT_NE(out.find("Expected fully defined input shape for signature_def 'b', tensor name: 'b'; but shape is: "
                     "(None, 2)."),
            std::string::npos)
      << out;
  EXPECT_EQ(run(dir, "--tag_set serve --variables_to_feed nope,a", &out), 1);
  // half_plus_two's a and b are TF1 variables, which are never fed.
  EXPECT_NE(out.find("Asked to feed variables that were not found in graph: {'a', 'nope'}"), std::string::npos)
      << out;
  EXPECT_EQ(run(dir, "--tag_set serve --variables_to_feed ' , '", &out), 1);
  EXPECT_NE(out.find("variables_to_feed must contain at least one non-empty item."), std::string::npos) << out;
  EXPECT_EQ(run(dir, "--tag_set ' , '", &out), 1);
  EXPECT_NE(out.find("tag_set must contain at least one non-empty item."), std::string::npos) << out;
  EXPECT_EQ(run(dir, "--tag_set serve --checkpoint_path '" + (tmp.path() / "none").string() + "'", &out), 1);
  EXPECT_NE(out.find((tmp.path() / "none").string()), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(prefix));
  // --output_prefix and --tag_set are required, as saved_model_cli marks them.
  EXPECT_EQ(RunCli("freeze_model --dir '" + dir.string() + "' --tag_set serve", &out), 2);
  EXPECT_EQ(RunCli("freeze_model --dir '" + dir.string() + "' --output_prefix '" + prefix + "'", &out), 2);
  // Help has an example, as saved_model_cli's does.
  EXPECT_EQ(RunCli("freeze_model --help", &out), 0);
  EXPECT_NE(out.find("$savedmodel freeze_model \\"), std::string::npos) << out;
}

// A MetaGraphDef of `graph_text` with one signature "s": x:0 -> y:0.
tensorflow::MetaGraphDef MetaGraph(const std::string& graph_text, const std::string& x_shape) {
  tensorflow::MetaGraphDef mg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(graph_text, mg.mutable_graph_def()));
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "inputs { key: 'x' value { name: 'x:0' dtype: DT_FLOAT tensor_shape { " + x_shape +
          " } } } outputs { key: 'out/y' value { name: 'y:0' dtype: DT_FLOAT } }",
      &(*mg.mutable_signature_def())["s"]));
  return mg;
}

const char* kVarGraph = R"(
node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }
node { name: 'v/w' op: 'VarHandleOp' attr { key: 'dtype' value { type: DT_FLOAT } }
       attr { key: 'shape' value { shape { dim { size: 2000 } } } }
       attr { key: 'shared_name' value { s: 'v/w' } } }
node { name: 'read' op: 'ReadVariableOp' input: 'v/w' attr { key: 'dtype' value { type: DT_FLOAT } } }
node { name: 'y' op: 'AddV2' input: 'x' input: 'read' attr { key: 'T' value { type: DT_FLOAT } } }
node { name: 'one' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } }
       attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2000 } } float_val: 1 } } } }
node { name: 'bump' op: 'AssignAddVariableOp' input: 'v/w' input: 'one' attr { key: 'dtype' value { type: DT_FLOAT } } }
)";

TEST(FreezeModelTest, LargeInputsBecomeAFillAndFedVariablesAreListed) {
  tensorflow::MetaGraphDef mg = MetaGraph(kVarGraph, "dim { size: 2000 }");
  train::FreezeModelOptions options;
  options.signature_key = "s";
  options.variables_to_feed = std::nullopt;  // 'all'
  auto frozen = train::FreezeModel(mg, options);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  // tf.zeros of 2000 elements: a Fill of a zero scalar to the shape.
  std::map<std::string, std::string> ops;
  for (const auto& n : frozen->frozen_graph.node()) ops[n.name()] = n.op();
  EXPECT_EQ(ops["x"], "Fill");
  EXPECT_EQ(ops["x/shape_as_tensor"], "Const");
  EXPECT_EQ(ops["x/Const"], "Const");
  EXPECT_EQ(ops["v/w"], "VarHandleOp");
  EXPECT_EQ(ops["read"], "ReadVariableOp");
  EXPECT_EQ(ops.count("bump"), 0u);  // not needed by y
  ASSERT_EQ(frozen->config.feed_size(), 1);
  EXPECT_EQ(frozen->config.fetch(0).name(), "fetch_out_y");
  ASSERT_EQ(frozen->config.variable_size(), 1);
  EXPECT_EQ(frozen->config.variable(0).name(), "param_v_w");
  EXPECT_EQ(frozen->config.variable(0).shape().dim(0).size(), 2000);
  // The graph's AssignAddVariableOp is not in any signature's reach, so the
  // variable is read-only, as grappler's pruning leaves it for TensorFlow.
  EXPECT_TRUE(frozen->config.variable(0).readonly());

  // Frozen without a checkpoint, the variable has no value.
  options.variables_to_feed = std::vector<std::string>{};
  auto unset = train::FreezeModel(mg, options);
  EXPECT_EQ(unset.status().code(), StatusCode::kFailedPrecondition) << unset.status();
  EXPECT_NE(unset.status().message().find("'v/w'"), std::string::npos) << unset.status();
}

TEST(FreezeModelTest, AWriteInASignatureMakesTheVariableWritable) {
  tensorflow::MetaGraphDef mg = MetaGraph(kVarGraph, "dim { size: 3 }");
  // A second signature whose output depends on the AssignAddVariableOp.
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "outputs { key: 'b' value { name: 'bump' dtype: DT_INVALID } }", &(*mg.mutable_signature_def())["write"]));
  train::FreezeModelOptions options;
  options.signature_key = "s";
  options.variables_to_feed = std::vector<std::string>{"v/w"};
  auto frozen = train::FreezeModel(mg, options);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  ASSERT_EQ(frozen->config.variable_size(), 1);
  EXPECT_FALSE(frozen->config.variable(0).readonly());
  // A small input is one Const holding a single zero, of the input's shape.
  for (const auto& n : frozen->frozen_graph.node()) {
    if (n.name() != "x") continue;
    EXPECT_EQ(n.op(), "Const");
    const auto& t = n.attr().at("value").tensor();
    EXPECT_EQ(t.tensor_shape().dim(0).size(), 3);
    ASSERT_EQ(t.float_val_size(), 1);
    EXPECT_EQ(t.float_val(0), 0.0f);
  }
}

TEST(FreezeModelTest, UnknownInputShapeIsRefused) {
  tensorflow::MetaGraphDef mg = MetaGraph(kVarGraph, "dim { size: -1 } dim { size: 3 }");
  train::FreezeModelOptions options;
  options.signature_key = "s";
  auto frozen = train::FreezeModel(mg, options);
  EXPECT_EQ(frozen.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(frozen.status().message().find("but shape is: (None, 3)."), std::string::npos) << frozen.status();
  mg = MetaGraph(kVarGraph, "unknown_rank: true");
  frozen = train::FreezeModel(mg, options);
  EXPECT_NE(frozen.status().message().find("but shape is: <unknown>."), std::string::npos) << frozen.status();
}

}  // namespace
}  // namespace savedmodel
