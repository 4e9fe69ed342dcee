// End-to-end checks of `savedmodel show` against real TensorFlow models.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "commands.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::RunCli;

TEST(CliShowTest, ListsTagSets) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/rust_regression_tf1_train_serve");
  std::string out;
  ASSERT_EQ(RunCli("show '" + dir.string() + "'", &out), 0) << out;
  EXPECT_EQ(out, "The given SavedModel contains the following tag-sets:\n'serve, train'\n");
}

TEST(CliShowTest, ListsSignatureKeysSorted) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  ASSERT_EQ(RunCli("show --dir '" + dir.string() + "' --tag_set serve", &out), 0) << out;
  EXPECT_EQ(out,
            "The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\n"
            "SignatureDef key: \"classify_x_to_y\"\n"
            "SignatureDef key: \"regress_x2_to_y3\"\n"
            "SignatureDef key: \"regress_x_to_y\"\n"
            "SignatureDef key: \"regress_x_to_y2\"\n"
            "SignatureDef key: \"serving_default\"\n");
}

TEST(CliShowTest, PrintsSignatureLikeSavedModelCli) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  ASSERT_EQ(RunCli("show '" + dir.string() + "' --tag_set serve --signature_def serving_default",
                   &out),
            0)
      << out;
  EXPECT_EQ(out,
            "The given SavedModel SignatureDef contains the following input(s):\n"
            "  inputs['x'] tensor_info:\n"
            "      dtype: DT_FLOAT\n"
            "      shape: (-1, 1)\n"
            "      name: x:0\n"
            "The given SavedModel SignatureDef contains the following output(s):\n"
            "  outputs['y'] tensor_info:\n"
            "      dtype: DT_FLOAT\n"
            "      shape: (-1, 1)\n"
            "      name: y:0\n"
            "Method name is: tensorflow/serving/predict\n");
}

TEST(CliShowTest, AllIncludesConcreteFunctionsOfTf2Models) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  std::string out;
  ASSERT_EQ(RunCli("show '" + dir.string() + "' --all", &out), 0) << out;
  EXPECT_NE(out.find("MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("signature_def['serving_default']:"), std::string::npos);
  EXPECT_NE(out.find("Concrete Functions:"), std::string::npos) << out;
  EXPECT_NE(out.find("Function Name: '"), std::string::npos) << out;
}

TEST(CliShowTest, MissingTagSetAndSignatureAreClearErrors) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  EXPECT_EQ(RunCli("show '" + dir.string() + "' --tag_set gpu", &out), 1);
  // saved_model_cli's messages.
  EXPECT_NE(out.find("MetaGraphDef associated with tag-set gpu could not be found in the SavedModel. "
                     "Please use one of the following tag-sets: ['serve']"),
            std::string::npos) << out;
  EXPECT_EQ(RunCli("show '" + dir.string() + "' --tag_set serve --signature_def nope", &out), 1);
  EXPECT_NE(out.find("Could not find signature \"nope\". Please choose from: classify_x_to_y, "
                     "regress_x2_to_y3, regress_x_to_y, regress_x_to_y2, serving_default"),
            std::string::npos) << out;
  EXPECT_EQ(RunCli("run '" + dir.string() + "' --tag_set gpu,serve --signature_def serving_default "
                   "--input_exprs 'x=[[1.0]]'", &out), 1);
  EXPECT_NE(out.find("MetaGraphDef associated with tag-set gpu,serve could not be found"),
            std::string::npos) << out;
  EXPECT_EQ(RunCli("show /nonexistent/dir", &out), 1);
  EXPECT_NE(out.find("/nonexistent/dir"), std::string::npos) << out;
}

// saved_model_cli's handling of --list_ops and of --signature_def without a
// tag set, and the ops line --all prints after each MetaGraph's signatures.
TEST(CliShowTest, ListOpsAndAllOpsLineLikeSavedModelCli) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  const std::string base = "show '" + dir.string() + "'";
  const std::string ops =
      "The MetaGraph with tag set ['serve'] contains the following ops: {'Add', 'Assign', 'Const', "
      "'Identity', 'MergeV2Checkpoints', 'Mul', 'NoOp', 'Pack', 'ParseExample', 'Placeholder', "
      "'PlaceholderWithDefault', 'Reshape', 'RestoreV2', 'SaveV2', 'ShardedFilename', 'StringJoin', "
      "'VariableV2'}\n";
  std::string out;
  ASSERT_EQ(RunCli(base + " --signature_def serving_default", &out), 0) << out;
  EXPECT_EQ(out, "The given SavedModel contains the following tag-sets:\n'serve'\n");
  ASSERT_EQ(RunCli(base + " --list_ops", &out), 0) << out;
  EXPECT_EQ(out, "--list_ops must be paired with a tag-set or with --all.\n"
                 "The given SavedModel contains the following tag-sets:\n'serve'\n");
  ASSERT_EQ(RunCli(base + " --tag_set serve --list_ops", &out), 0) << out;
  EXPECT_EQ(out.substr(0, ops.size()), ops);
  EXPECT_NE(out.find("SignatureDef key: \"serving_default\"\n"), std::string::npos) << out;
  ASSERT_EQ(RunCli(base + " --tag_set serve --list_ops --signature_def serving_default", &out), 0) << out;
  EXPECT_NE(out.find(ops + "The given SavedModel SignatureDef contains the following input(s):"),
            std::string::npos) << out;
  ASSERT_EQ(RunCli(base + " --all", &out), 0) << out;
  ASSERT_GE(out.size(), ops.size());
  // A TF1 model has no concrete functions: the ops line ends the output.
  EXPECT_EQ(out.substr(out.size() - ops.size()), ops);
  EXPECT_NE(out.find("Method name is: tensorflow/serving/predict\n" + ops), std::string::npos) << out;
}

// saved_model_cli shows any SavedModel that parses; the graph's problems
// surface when it is loaded to run.
TEST(CliShowTest, FuzzModelsShowButFailToRunWithClearErrors) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "corpus");
  for (const char* name :
       {"tf_fuzz_bad_node_attr", "tf_fuzz_const_with_no_value", "tf_fuzz_negative_shape"}) {
    std::string out;
    const std::string dir = (root / name).string();
    EXPECT_EQ(RunCli("show '" + dir + "'", &out), 0) << name << ": " << out;
    EXPECT_EQ(out, "The given SavedModel contains the following tag-sets:\n'serve'\n") << name;
    EXPECT_EQ(RunCli("show '" + dir + "' --all", &out), 0) << name << ": " << out;
    EXPECT_NE(out.find("contains the following ops: {"), std::string::npos) << out;
    EXPECT_EQ(RunCli("run '" + dir + "' --tag_set serve --fetch y:0", &out), 1) << name << ": " << out;
    EXPECT_NE(out.find("INVALID_ARGUMENT"), std::string::npos) << out;
  }
}

void ExpectMetadataMatches(const std::string& model_dir, const std::string& args,
                           const std::string& expected_file) {
  std::string out;
  ASSERT_EQ(RunCli("show '" + model_dir + "' --json " + args, &out), 0) << out;
  rapidjson::Document got, want;
  ASSERT_FALSE(got.Parse(out.c_str()).HasParseError()) << out;
  std::string expected = testing::ReadFileOrDie(expected_file);
  ASSERT_FALSE(want.Parse(expected.c_str()).HasParseError());
  // rapidjson compares objects member-wise, ignoring key order.
  EXPECT_TRUE(got["metadata"] == want["metadata"]) << out;
  EXPECT_TRUE(got["model_spec"] == want["model_spec"]) << out;
}

TEST(CliShowTest, JsonMatchesTfServingGetModelMetadata) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  ExpectMetadataMatches(dir.string(), "",
                        (testing::TestDataDir() / "tf_serving/half_plus_two_model_metadata.json")
                            .string());
}

TEST(CliShowTest, JsonMatchesForTwoVersionsModel) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_2_versions/00000123");
  ExpectMetadataMatches(
      dir.string(), "--model_name saved_model_half_plus_two_2_versions",
      (testing::TestDataDir() / "tf_serving/saved_model_half_plus_two_2_versions_metadata.json")
          .string());
}

// saved_model_cli trims tags for --signature_def, --list_ops and run, but
// lists signature keys with the tags exactly as split at commas.
TEST(CliShowTest, TagSetSpacesAsSavedModelCliSplitsThem) {
  using cli::SplitTagSet;
  using cli::TagSplit;
  EXPECT_EQ(SplitTagSet("serve, gpu", TagSplit::kTrimmed), (std::vector<std::string>{"serve", "gpu"}));
  EXPECT_EQ(SplitTagSet("serve, gpu", TagSplit::kRaw), (std::vector<std::string>{"serve", " gpu"}));
  EXPECT_EQ(SplitTagSet(",\tserve\n,,", TagSplit::kTrimmed), (std::vector<std::string>{"serve"}));
  EXPECT_EQ(SplitTagSet(",\tserve\n,,", TagSplit::kRaw), (std::vector<std::string>{"\tserve\n"}));
  EXPECT_TRUE(SplitTagSet(" , ", TagSplit::kTrimmed).empty());
  EXPECT_TRUE(SplitTagSet("", TagSplit::kRaw).empty());

  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/rust_regression_tf1_train_serve");
  std::string out;
  const std::string show = "show --dir '" + dir.string() + "' ";
  EXPECT_EQ(RunCli(show + "--tag_set 'serve,train'", &out), 0) << out;
  EXPECT_EQ(RunCli(show + "--tag_set 'serve, train'", &out), 1);
  EXPECT_NE(out.find("MetaGraphDef associated with tag-set serve, train could not be found"), std::string::npos)
      << out;
  const std::string sig = " --signature_def tensorflow/serving/regress";
  EXPECT_EQ(RunCli(show + "--tag_set 'serve, train'" + sig, &out), 0) << out;
  EXPECT_EQ(RunCli(show + "--tag_set ' , '" + sig, &out), 1);
  EXPECT_NE(out.find("tag_set must contain at least one non-empty item."), std::string::npos) << out;
  EXPECT_EQ(RunCli(show + "--tag_set 'serve , gpu'" + sig, &out), 1);
  EXPECT_NE(out.find("tag-set serve,gpu could not be found"), std::string::npos) << out;
}

}  // namespace
}  // namespace savedmodel

namespace savedmodel {
namespace {

TEST(CliShowTest, JsonMatchesForTf2Export) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  std::string out;
  ASSERT_EQ(testing::RunCli("show '" + dir.string() +
                                "' --json --model_name saved_model_half_plus_two_2_versions",
                            &out),
            0)
      << out;
  rapidjson::Document got, want;
  ASSERT_FALSE(got.Parse(out.c_str()).HasParseError()) << out;
  std::string expected = testing::ReadFileOrDie(
      testing::TestDataDir() / "tf_serving/saved_model_half_plus_two_tf2_2_versions_metadata.json");
  ASSERT_FALSE(want.Parse(expected.c_str()).HasParseError());
  // TF Serving's file omits the (empty) defaults of the init-op signature only.
  auto& init = got["metadata"]["signature_def"]["signature_def"]["__saved_model_init_op"];
  ASSERT_TRUE(init.HasMember("defaults"));
  EXPECT_EQ(init["defaults"].MemberCount(), 0u);
  init.RemoveMember("defaults");
  EXPECT_TRUE(got == want) << out;
}

}  // namespace
}  // namespace savedmodel
