// `savedmodel run` end to end on real models: saved_model_cli's input flags,
// --outdir, and running by tensor name.
#include <filesystem>

#include <gtest/gtest.h>

#include "py_literal.h"
#include "savedmodel/core/npy.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::RunCli;

const char* kHalfPlusTwo = "tf_serving/saved_model_half_plus_two_cpu/00000123";

TEST(CliRunTest, InputExprs) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  ASSERT_EQ(RunCli("run --dir '" + dir.string() +
                       "' --tag_set serve --signature_def serving_default --input_exprs 'x=[[1.0],[2],[5]]'",
                   &out),
            0)
      << out;
  EXPECT_EQ(out, "Result for output key y:\ndtype: float, shape: [3,1]\n[[2.5]\n [3. ]\n [4.5]]\n");
}

TEST(CliRunTest, InputsFromNpyAndOutdir) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  testing::TempDir tmp;
  auto in = (tmp.path() / "x.npy").string();
  ASSERT_TRUE(WriteNpyFile(Env::Default(), in, Tensor::FromVector<double>({4, 6}, TensorShape{2, 1})).ok());
  auto outdir = (tmp.path() / "out").string();
  std::string out;
  std::string cmd = "run '" + dir.string() + "' --tag_set serve --signature_def serving_default --inputs 'x=" +
                    in + "' --outdir '" + outdir + "'";
  ASSERT_EQ(RunCli(cmd, &out), 0) << out;
  auto y = ReadNpyFile(Env::Default(), outdir + "/y.npy");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DT_FLOAT);
  EXPECT_EQ(y->flat<float>()[0], 4.0f);
  EXPECT_EQ(y->flat<float>()[1], 5.0f);
  // Like saved_model_cli, an existing output file needs --overwrite.
  EXPECT_EQ(RunCli(cmd, &out), 1);
  EXPECT_NE(out.find("--overwrite"), std::string::npos) << out;
  EXPECT_EQ(RunCli(cmd + " --overwrite", &out), 0) << out;
}

TEST(CliRunTest, InputExamplesAndPickledExamples) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  ASSERT_EQ(RunCli("run '" + dir.string() +
                       "' --tag_set serve --signature_def regress_x_to_y --input_examples "
                       "'inputs=[{\"x\":[1.0]},{\"x\":[3.0]}]'",
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("[[2.5]\n [3.5]]"), std::string::npos) << out;
  // np.save of an object array of serialized tf.Examples, as saved_model_cli users pass.
  SAVEDMODEL_REQUIRE_TESTDATA(npy, "corpus_expected/tf_half_plus_two_pbtxt/regress_x_to_y/input.inputs.npy");
  ASSERT_EQ(RunCli("run '" + dir.string() + "' --tag_set serve --signature_def regress_x_to_y --inputs 'inputs=" +
                       npy.string() + "'",
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("Result for output key outputs:"), std::string::npos) << out;
}

TEST(CliRunTest, ByTensorNameAndEmptyTagSet) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/tf_half_plus_two_empty_tags");
  testing::TempDir tmp;
  auto in = (tmp.path() / "x.npy").string();
  ASSERT_TRUE(WriteNpyFile(Env::Default(), in, Tensor::FromVector<float>({2}, TensorShape{1, 1})).ok());
  std::string out;
  ASSERT_EQ(RunCli("run '" + dir.string() + "' --tag_set '' --feed 'x:0=" + in + "' --fetch y:0", &out), 0) << out;
  EXPECT_EQ(out, "Result for output key y:0:\ndtype: float, shape: [1,1]\n[[3.]]\n");
}

TEST(CliRunTest, ErrorsAreClear) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  const std::string base = "run '" + dir.string() + "' --tag_set serve --signature_def serving_default ";
  EXPECT_EQ(RunCli(base + "--input_exprs 'x=[[1.0],[2.0]'", &out), 1);
  EXPECT_NE(out.find("cannot parse"), std::string::npos) << out;
  EXPECT_EQ(RunCli(base + "--input_exprs 'z=[1.0]'", &out), 1);
  EXPECT_NE(out.find("no input 'z'"), std::string::npos) << out;
  EXPECT_EQ(RunCli(base + "--inputs 'x=/nonexistent.npy'", &out), 1);
  EXPECT_NE(out.find("/nonexistent.npy"), std::string::npos) << out;
  EXPECT_EQ(RunCli(base, &out), 1);
  EXPECT_NE(out.find("'x' was not given"), std::string::npos) << out;
  EXPECT_EQ(RunCli("run '" + dir.string() + "' --signature_def serving_default", &out), 2);
}

TEST(PyLiteralTest, ParsesPythonLiterals) {
  auto v = cli::ParsePyLiteral("[[1, 2.5], [-3e2, True]]");
  ASSERT_TRUE(v.ok()) << v.status();
  auto t = cli::PyValueToTensor(*v, DT_FLOAT);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (TensorShape{2, 2}));
  EXPECT_EQ(t->flat<float>()[2], -300.0f);
  EXPECT_EQ(t->flat<float>()[3], 1.0f);
  auto s = cli::ParsePyLiteral("['a', b'b\\n', \"c\"]");
  ASSERT_TRUE(s.ok()) << s.status();
  auto st = cli::PyValueToTensor(*s, DT_STRING);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->flat<std::string>()[1], "b\n");
  EXPECT_FALSE(cli::PyValueToTensor(*cli::ParsePyLiteral("[[1], [2, 3]]"), DT_FLOAT).ok());
  EXPECT_FALSE(cli::ParsePyLiteral("[1, 2").ok());
  EXPECT_FALSE(cli::ParsePyLiteral("__import__('os')").ok());
  EXPECT_FALSE(cli::ParsePyLiteral(std::string(1000, '[')).ok());
}

}  // namespace
}  // namespace savedmodel
