// `savedmodel scan` on TensorFlow-written models: saved_model_cli's first
// line, and the op table checked against the ops counted here from the file.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "savedmodel/format/saved_model/saved_model_reader.h"
#include "savedmodel/kernels/kernel.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::RunCli;

TEST(CliScanTest, DefaultDenylistAsSavedModelCli) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  ASSERT_EQ(RunCli("scan --dir '" + dir.string() + "'", &out), 0) << out;
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "MetaGraph with tag set ['serve'] does not contain the default denylisted ops: "
            "{'PrintV2', 'ReadFile', 'WriteFile'}");
}

TEST(CliScanTest, CustomDenylistFindsUsedOps) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  ASSERT_EQ(RunCli("scan '" + dir.string() + "' --tag_set serve --op_denylist 'Mul, RestoreV2,,NoSuchOp'", &out), 0)
      << out;
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "MetaGraph with tag set ['serve'] contains the following denylisted ops: {'Mul', 'RestoreV2'}");
  EXPECT_NE(out.find("RestoreV2                             1 node   denylisted"), std::string::npos) << out;
}

TEST(CliScanTest, TableCountsEveryOpOfTheGraph) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto sm = ReadSavedModelProto(Env::Default(), dir.string(), nullptr);
  ASSERT_TRUE(sm.ok()) << sm.status();
  std::map<std::string, int> expected;
  for (const auto& n : sm->meta_graphs(0).graph_def().node()) ++expected[n.op()];
  std::string out;
  ASSERT_EQ(RunCli("scan '" + dir.string() + "'", &out), 0) << out;
  std::istringstream lines(out);
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  EXPECT_EQ(line, "Ops used: " + std::to_string(expected.size()) + ", 0 without a kernel in savedmodel");
  std::map<std::string, int> listed;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string op;
    int nodes = 0;
    fields >> op >> nodes;
    listed[op] = nodes;
  }
  EXPECT_EQ(listed, expected);
}

TEST(CliScanTest, MarksOpsWithoutKernels) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/rnn_series_gru_tf2_6");
  std::string out;
  ASSERT_EQ(RunCli("scan '" + dir.string() + "'", &out), 0) << out;
  // The GRU's gradient functions (kept in the library, never called by the
  // signature) use cuDNN ops no CPU build has; call ops are inlined, so run.
  ASSERT_FALSE(KernelRegistry::Global().Has("CudnnRNN"));
  EXPECT_NE(out.find("CudnnRNN "), std::string::npos);
  EXPECT_NE(out.find("no kernel"), std::string::npos);
  EXPECT_EQ(out.find("StatefulPartitionedCall                31 nodes  no kernel"), std::string::npos) << out;
}

TEST(CliScanTest, UnknownTagSetFailsListingTheTagSets) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  std::string out;
  EXPECT_NE(RunCli("scan '" + dir.string() + "' --tag_set gpu", &out), 0);
  EXPECT_NE(out.find("serve"), std::string::npos) << out;
}

}  // namespace
}  // namespace savedmodel
