#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace savedmodel {
namespace {

using ::savedmodel::testing::RunCli;

constexpr char kHalfPlusTwo[] = "tf_serving/saved_model_half_plus_two_cpu/00000123";

TEST(CliVariablesTest, ListsHalfPlusTwo) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  ASSERT_EQ(RunCli("variables '" + dir.string() + "'", &out), 0) << out;
  EXPECT_NE(out.find("a (float) []\n"), std::string::npos) << out;
  EXPECT_NE(out.find("b (float) []\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c (float) []\n"), std::string::npos) << out;
  // A checkpoint prefix works too.
  std::string out2;
  ASSERT_EQ(RunCli("variables '" + (dir / "variables/variables").string() + "'", &out2), 0);
  EXPECT_EQ(out, out2);
}

TEST(CliVariablesTest, PrintsValues) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  ASSERT_EQ(RunCli("variables '" + dir.string() + "' --values a", &out), 0) << out;
  EXPECT_EQ(out, "0.5\n");
  ASSERT_EQ(RunCli("variables '" + dir.string() + "' --values b", &out), 0) << out;
  EXPECT_EQ(out, "2.0\n");
  ASSERT_EQ(RunCli("variables '" + dir.string() + "' --all_tensors", &out), 0) << out;
  EXPECT_NE(out.find("tensor_name: c\n3.0\n"), std::string::npos) << out;
}

TEST(CliVariablesTest, Errors) {
  std::string out;
  EXPECT_EQ(RunCli("variables /no/such/model", &out), 1);
  EXPECT_NE(out.find("/no/such/model"), std::string::npos) << out;
  EXPECT_EQ(RunCli("variables", &out), 2) << out;
  EXPECT_EQ(RunCli("variables a b c --bogus", &out), 2) << out;
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  EXPECT_EQ(RunCli("variables '" + dir.string() + "' --values nope", &out), 1);
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
}

}  // namespace
}  // namespace savedmodel
