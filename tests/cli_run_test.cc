// `savedmodel run` end to end on real models: saved_model_cli's input flags,
// --outdir, and running by tensor name.
#include <cmath>
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
  // saved_model_cli prints the key, then NumPy's text of the array, nothing else.
  EXPECT_EQ(out, "Result for output key y:\n[[2.5]\n [3. ]\n [4.5]]\n");
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
  EXPECT_EQ(out, "Result for output key y:\n[[4.]\n [5.]]\nOutput y is saved to " + outdir + "/y.npy\n");
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
  EXPECT_EQ(out, "Result for output key y:0:\n[[3.]]\n");
}

TEST(CliRunTest, ErrorsAreClear) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  const std::string base = "run '" + dir.string() + "' --tag_set serve --signature_def serving_default ";
  EXPECT_EQ(RunCli(base + "--input_exprs 'x=[[1.0],[2.0]'", &out), 1);
  EXPECT_NE(out.find("cannot parse"), std::string::npos) << out;
  EXPECT_EQ(RunCli(base + "--input_exprs 'z=[1.0]'", &out), 1);
  EXPECT_NE(out.find("\"z\" is not a valid input key. Please choose from \"x\", or use --show option."),
            std::string::npos) << out;
  EXPECT_EQ(RunCli(base + "--inputs 'x=/nonexistent.npy'", &out), 1);
  EXPECT_NE(out.find("/nonexistent.npy"), std::string::npos) << out;
  EXPECT_EQ(RunCli(base, &out), 1);
  EXPECT_NE(out.find("At least one of --inputs, --input_exprs or --input_examples must be required"),
            std::string::npos) << out;
  EXPECT_EQ(RunCli("run '" + dir.string() + "' --signature_def serving_default", &out), 2);
}

// Each of these once ran with exit code 0 and a wrong answer; saved_model_cli
// refuses every one of them.
TEST(CliRunTest, InputsSavedModelCliRefusesAreErrors) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  const std::string sig = "run '" + dir.string() + "' --tag_set serve --signature_def ";
  struct Case {
    std::string args, message;
  } cases[] = {
      {"serving_default --input_exprs 'x={\"a\":1}'", "not 'dict'"},
      {"serving_default --input_exprs 'x=[{\"x\":[5.0]}]'", "not 'dict'"},
      {"serving_default --input_exprs 'x=[[{1.0}]]'", "not 'set'"},
      {"serving_default --input_exprs 'x=[[\"a\"],[2.0]]'", "could not convert string to float: 'a'"},
      {"serving_default --input_exprs 'x=[[1.0],2.0]'", "not rectangular"},
      {"serving_default --input_exprs 'x=[[1.0],[[2.0]]]'", "not rectangular"},
      {"serving_default --input_exprs 'x=(1.0,2.0)'",
       "Cannot feed value of shape (2,) for Tensor x:0, which has shape (None, 1)"},
      {"serving_default --input_exprs 'x=1.0'", "Cannot feed value of shape () for Tensor x:0"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[1, 2.0]}]'", "a float cannot go in the int64_list"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[\"a\", 5.0]}]'", "a float cannot go in the bytes_list"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[1.0, \"a\"]}]'", "a str cannot go in the float_list"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[True]}]'", "got a boolean"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[1, True]}]'", "a bool cannot go in the int64_list"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[[1.0]]}]'", "type list is not supported"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[None]}]'", "type NoneType is not supported"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[]}]'", "empty value list"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":(1.0,)}]'", "must be a list, but x is a tuple"},
      {"regress_x_to_y --input_examples 'inputs={\"x\":[1.0]}'", "must be a list of dictionaries"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[1.0]}, 5]'", "must be a dict"},
      {"regress_x_to_y --input_examples 'inputs=[{\"x\":[99999999999999999999]}]'", "value out of range"},
      {"serving_default --input_exprs 'x=[[2**70]]'", "is not a valid python literal"},
      {"nope --input_exprs 'x=[[1.0]]'", "Could not find signature \"nope\". Please choose from: classify_x_to_y"},
      {"serving_default --inputs 'x=a[b][c]'", "format is incorrect"},
      {"serving_default --input_exprs 'x'", "format is incorrect"},
  };
  for (const auto& c : cases) {
    std::string out;
    EXPECT_EQ(RunCli(sig + c.args, &out), 1) << c.args << "\n" << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << "\n" << out;
    EXPECT_EQ(out.find("Result for output key"), std::string::npos) << c.args << "\n" << out;
  }
}

TEST(CliRunTest, InputsSavedModelCliAcceptsConvertAsNumpy) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  const std::string base = "run '" + dir.string() + "' --tag_set serve --signature_def serving_default ";
  std::string out;
  // np.asarray([[True], [2.0]]).astype(float32), None -> nan, numeric strings parse.
  ASSERT_EQ(RunCli(base + "--input_exprs 'x=[[True],[2.0],[None],[\"1.5\"]]'", &out), 0) << out;
  EXPECT_EQ(out, "Result for output key y:\n[[2.5 ]\n [3.  ]\n [ nan]\n [2.75]]\n");
  // A key given twice: the later value wins; --input_exprs overrides --inputs with a warning.
  ASSERT_EQ(RunCli(base + "--input_exprs 'x=[[1.0]];x=[[3.0]]'", &out), 0) << out;
  EXPECT_EQ(out, "Result for output key y:\n[[3.5]]\n");
}

TEST(PyLiteralTest, OverflowAndStringsInNumericInputsAreErrors) {
  auto conv = [](const std::string& text, DataType dt) {
    auto v = cli::ParsePyLiteral(text);
    EXPECT_TRUE(v.ok()) << text << " " << v.status();
    return cli::PyValueToTensor(*v, dt);
  };
  EXPECT_FALSE(conv("[300]", DT_INT8).ok());
  EXPECT_FALSE(conv("[-1]", DT_UINT8).ok());
  EXPECT_FALSE(conv("[9223372036854775808]", DT_INT64).ok());
  EXPECT_FALSE(conv("[2147483648]", DT_INT32).ok());
  EXPECT_FALSE(conv("[1e20]", DT_INT32).ok());
  EXPECT_FALSE(cli::ParsePyLiteral("[float('nan')]").ok());
  EXPECT_FALSE(conv("[None]", DT_INT32).ok());
  EXPECT_FALSE(conv("['1.5']", DT_INT32).ok());
  EXPECT_FALSE(conv("['1', 2.0]", DT_INT32).ok());   // numpy: int('2.0') fails
  EXPECT_FALSE(conv("['1', True]", DT_FLOAT).ok());  // numpy: float('True') fails
  EXPECT_FALSE(conv("[{'a': 1}]", DT_BOOL).ok());
  EXPECT_FALSE(conv("[1.0]", DT_STRING).ok());
  auto big = conv("[18446744073709551615, 1180591620717411303424]", DT_DOUBLE);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->flat<double>()[1], 1180591620717411303424.0);
  auto u64 = conv("[18446744073709551615]", DT_UINT64);
  ASSERT_TRUE(u64.ok()) << u64.status();
  EXPECT_EQ(u64->flat<uint64_t>()[0], 18446744073709551615ull);
  auto ints = conv("[' 1_000 ', True, -128, 2.9]", DT_INT16);
  EXPECT_FALSE(ints.ok());  // a text array: int('2.9') fails in numpy too
  auto under = conv("[1_000, 2_5.0_1]", DT_DOUBLE);
  ASSERT_TRUE(under.ok()) << under.status();
  EXPECT_EQ(under->flat<double>()[0], 1000.0);
  EXPECT_EQ(under->flat<double>()[1], 25.01);
  EXPECT_FALSE(cli::ParsePyLiteral("[1__0]").ok());
  EXPECT_FALSE(cli::ParsePyLiteral("[10_]").ok());
  auto i8 = conv("[True, -128, 127, 2.9]", DT_INT8);
  ASSERT_TRUE(i8.ok()) << i8.status();
  EXPECT_EQ(i8->flat<int8_t>()[1], -128);
  EXPECT_EQ(i8->flat<int8_t>()[3], 2);
  auto b = conv("[0, 2.5, '', 'x', None]", DT_BOOL);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->flat<bool>()[0], false);
  EXPECT_EQ(b->flat<bool>()[1], true);
  EXPECT_EQ(b->flat<bool>()[2], false);
  EXPECT_EQ(b->flat<bool>()[3], true);
  EXPECT_EQ(b->flat<bool>()[4], false);
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

// Expected values are Python's and numpy's: ast.literal_eval of the text, then
// np.asarray(v).astype(dtype) (np.asarray(v, dtype=bool) for bool).
TEST(PyLiteralTest, ComplexLiteralsAsLiteralEvalReadsThem) {
  auto c = [](const std::string& text) { return cli::ParsePyLiteral(text); };
  auto v = c("1+2j");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, cli::PyValue::kComplex);
  EXPECT_EQ(v->f, 1.0);
  EXPECT_EQ(v->imag, 2.0);
  v = c("-2j");  // -(0+2j) == (-0-2j)
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(std::signbit(v->f));
  EXPECT_EQ(v->imag, -2.0);
  v = c("1 - 0J");  // (1+0j): 0.0 - 0.0 is +0.0
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->f, 1.0);
  EXPECT_FALSE(std::signbit(v->imag));
  v = c("(1.5-0.5j)");  // parentheses, not a tuple
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, cli::PyValue::kComplex);
  EXPECT_EQ(v->imag, -0.5);
  v = c("(2)");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, cli::PyValue::kInt);
  v = c("(2,)");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, cli::PyValue::kList);
  // literal_eval allows only real +/- imaginary literals: no calls, no other sums.
  for (const char* bad : {"complex(1, 2)", "1j+1", "1+2", "1+2j+3j", "1+-2j", "[1 - 2]"}) {
    EXPECT_FALSE(c(bad).ok()) << bad;
  }
}

TEST(PyLiteralTest, ComplexValuesConvertAsNumpy) {
  auto tensor = [](const std::string& text, DataType dtype) {
    auto v = cli::ParsePyLiteral(text);
    EXPECT_TRUE(v.ok()) << v.status();
    return cli::PyValueToTensor(*v, dtype);
  };
  auto c64 = tensor("[1+2j, -2j, 3, True]", DT_COMPLEX64);
  ASSERT_TRUE(c64.ok()) << c64.status();
  EXPECT_EQ(c64->flat<complex64>()[0], complex64(1, 2));
  EXPECT_EQ(c64->flat<complex64>()[1], complex64(0, -2));
  EXPECT_EQ(c64->flat<complex64>()[2], complex64(3, 0));
  EXPECT_EQ(c64->flat<complex64>()[3], complex64(1, 0));
  auto c128 = tensor("['1+2j', '(3-4j)', ' 2j', '-j', '7']", DT_COMPLEX128);
  ASSERT_TRUE(c128.ok()) << c128.status();
  EXPECT_EQ(c128->flat<complex128>()[0], complex128(1, 2));
  EXPECT_EQ(c128->flat<complex128>()[1], complex128(3, -4));
  EXPECT_EQ(c128->flat<complex128>()[2], complex128(0, 2));
  EXPECT_EQ(c128->flat<complex128>()[3], complex128(0, -1));
  EXPECT_EQ(c128->flat<complex128>()[4], complex128(7, 0));
  auto none = tensor("[None, 1j]", DT_COMPLEX128);  // object array: complex(None) is nan+nanj
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(std::isnan(none->flat<complex128>()[0].real()));
  EXPECT_TRUE(std::isnan(none->flat<complex128>()[0].imag()));
  // Fed to a real type, numpy keeps the real part.
  auto f32 = tensor("[1.5+2j, -2j, 2.75]", DT_FLOAT);
  ASSERT_TRUE(f32.ok()) << f32.status();
  EXPECT_EQ(f32->flat<float>()[0], 1.5f);
  EXPECT_TRUE(std::signbit(f32->flat<float>()[1]));
  EXPECT_EQ(f32->flat<float>()[2], 2.75f);
  auto i32 = tensor("[2.7+1j, -1j]", DT_INT32);
  ASSERT_TRUE(i32.ok()) << i32.status();
  EXPECT_EQ(i32->flat<int32_t>()[0], 2);
  EXPECT_EQ(i32->flat<int32_t>()[1], 0);
  auto b = tensor("[0j, 1j, -0.0-0j]", DT_BOOL);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->flat<bool>()[0], false);
  EXPECT_EQ(b->flat<bool>()[1], true);
  EXPECT_EQ(b->flat<bool>()[2], false);
  // Mixed with None (an object array) or strings (a text array), float()
  // and int() refuse the complex value; a string input takes no complex.
  EXPECT_FALSE(tensor("[None, 1j]", DT_FLOAT).ok());
  EXPECT_FALSE(tensor("[None, 1j]", DT_INT64).ok());
  EXPECT_FALSE(tensor("['1', 1j]", DT_FLOAT).ok());
  EXPECT_FALSE(tensor("['1', 1j]", DT_INT32).ok());
  EXPECT_FALSE(tensor("['x', 1j]", DT_COMPLEX64).ok());
  EXPECT_FALSE(tensor("[1j]", DT_STRING).ok());
}

TEST(CliRunTest, ComplexLiteralFeedsAFloatInput) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  std::string out;
  // saved_model_cli: np.asarray([[1+2j],[-3j]]).astype(float32) == [[1],[-0.]].
  ASSERT_EQ(RunCli("run --dir '" + dir.string() +
                       "' --tag_set ' serve ,' --signature_def serving_default --input_exprs 'x=[[1+2j],[4-3j]]'",
                   &out),
            0)
      << out;
  EXPECT_EQ(out, "Result for output key y:\n[[2.5]\n [4. ]]\n");
}

}  // namespace
}  // namespace savedmodel
