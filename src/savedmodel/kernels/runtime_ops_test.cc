// Tests of the graph-plumbing, state, I/O, parsing, string and nn kernels that
// the TF1 loader relies on, each with hand-worked values.
#include <filesystem>

#include <gtest/gtest.h>

#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"
#include "tensorflow/core/example/example.pb.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::ExpectError;
using testing::ExpectNear;
using testing::ExpectTensor;
using testing::OpTest;
using testing::S_;
using testing::Str;
using testing::T_;
using testing::V_;

TEST(Conv2DTest, ValidAndSamePadding) {
  // 1x3x3x1 input 1..9, 2x2x1x1 filter of ones: VALID sums each 2x2 window.
  auto x = T_<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  auto f = T_<float>({1, 1, 1, 1}, {2, 2, 1, 1});
  ExpectTensor<float>(OpTest("Conv2D").Input(x).Input(f).Attr("strides", std::vector<int64_t>{1, 1, 1, 1})
                          .Attr("padding", "VALID").Run1(),
                      {12, 16, 24, 28}, {1, 2, 2, 1});
  // SAME pads one row/column at the bottom/right.
  ExpectTensor<float>(OpTest("Conv2D").Input(x).Input(f).Attr("strides", std::vector<int64_t>{1, 1, 1, 1})
                          .Attr("padding", "SAME").Run1(),
                      {12, 16, 9, 24, 28, 15, 15, 17, 9}, {1, 3, 3, 1});
  // Stride 2, two output channels (filter weights 1 and -1).
  auto f2 = T_<float>({1, -1, 1, -1, 1, -1, 1, -1}, {2, 2, 1, 2});
  ExpectTensor<float>(OpTest("Conv2D").Input(x).Input(f2).Attr("strides", std::vector<int64_t>{1, 2, 2, 1})
                          .Attr("padding", "VALID").Run1(),
                      {12, -12}, {1, 1, 1, 2});
  ExpectError(OpTest("Conv2D").Input(x).Input(T_<float>({1, 1}, {1, 1, 2, 1}))
                  .Attr("strides", std::vector<int64_t>{1, 1, 1, 1}).Attr("padding", "VALID").Run1(),
              "not a multiple");
}

TEST(TopKTest, LargestFirstTiesByIndex) {
  auto out = OpTest("TopKV2").Input(T_<float>({1, 3, 3, 2, 5, 4, 6, 0}, {2, 4})).Input(S_<int32_t>(2)).Run();
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensor<float>((*out)[0], {3, 3, 6, 5}, {2, 2});
  ExpectTensor<int32_t>((*out)[1], {1, 2, 2, 0}, {2, 2});
  ExpectError(OpTest("TopKV2").Input(V_<float>({1, 2})).Input(S_<int32_t>(3)).Run1(), "at least k columns");
}

std::string Example(float x, std::vector<int64_t> ids) {
  tensorflow::Example e;
  auto& f = *e.mutable_features()->mutable_feature();
  f["x"].mutable_float_list()->add_value(x);
  for (int64_t id : ids) f["ids"].mutable_int64_list()->add_value(id);
  return e.SerializeAsString();
}

TEST(ParseExampleTest, DenseWithDefaultsAndSparse) {
  tensorflow::Example empty;
  auto serialized = Str({Example(1.5f, {7, 8}), empty.SerializeAsString(), Example(-2, {9})}, {3});
  tensorflow::AttrValue shapes;
  shapes.mutable_list()->add_shape();  // x: scalar per example
  auto out = OpTest("ParseExampleV2")
                 .Input(serialized)
                 .Input(Str({}, {0}))
                 .Input(Str({"ids"}, {1}))
                 .Input(Str({"x"}, {1}))
                 .Input(Str({}, {0}))
                 .Input(V_<float>({42}))
                 .Attr("num_sparse", 1)
                 .Attr("sparse_types", tensorflow::AttrValue())
                 .Attr("dense_shapes", shapes)
                 .Attr("ragged_value_types", tensorflow::AttrValue())
                 .Attr("ragged_split_types", tensorflow::AttrValue());
  // sparse_types = [int64]
  tensorflow::AttrValue st;
  st.mutable_list()->add_type(tensorflow::DT_INT64);
  out.Attr("sparse_types", st);
  auto r = out.Run();
  ASSERT_TRUE(r.ok()) << r.status();
  // Outputs: sparse_indices, sparse_values, sparse_shapes, dense_values.
  ExpectTensor<int64_t>((*r)[0], {0, 0, 0, 1, 2, 0}, {3, 2});
  ExpectTensor<int64_t>((*r)[1], {7, 8, 9}, {3});
  ExpectTensor<int64_t>((*r)[2], {3, 2}, {2});
  ExpectTensor<float>((*r)[3], {1.5f, 42, -2}, {3});
}

TEST(ParseExampleTest, MissingRequiredAndWrongTypeFail) {
  tensorflow::AttrValue shapes, none;
  shapes.mutable_list()->add_shape();
  auto base = [&](Tensor serialized, Tensor def) {
    return OpTest("ParseExampleV2").Input(serialized).Input(Str({}, {0})).Input(Str({}, {0}))
        .Input(Str({"x"}, {1})).Input(Str({}, {0})).Input(def).Attr("num_sparse", 0)
        .Attr("sparse_types", none).Attr("dense_shapes", shapes).Attr("ragged_value_types", none)
        .Attr("ragged_split_types", none);
  };
  tensorflow::Example empty;
  ExpectError(base(Str({empty.SerializeAsString()}, {1}), T_<float>({}, {0})).Run(),
              "is required but could not be found");
  tensorflow::Example wrong;
  (*wrong.mutable_features()->mutable_feature())["x"].mutable_bytes_list()->add_value("a");
  ExpectError(base(Str({wrong.SerializeAsString()}, {1}), V_<float>({0})).Run(), "Data types don't match");
  ExpectError(base(Str({"\xff\xff garbage"}, {1}), V_<float>({0})).Run(), "Could not parse example");
}

TEST(RegexTest, FullMatchAndReplace) {
  ExpectTensor<bool>(OpTest("StaticRegexFullMatch").Input(Str({"s3://b/k", "/tmp/x"}, {2}))
                         .Attr("pattern", "^s3://.*").Run1(),
                     {true, false}, {2});
  auto out = OpTest("StaticRegexReplace").Input(Str({"a.b,c!"}, {1}))
                 .Attr("pattern", "[.,!]").Attr("rewrite", "").Attr("replace_global", true).Run1();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->flat<std::string>()[0], "abc");
}

TEST(StringJoinTest, BroadcastsScalars) {
  auto out = OpTest("StringJoin").Input(Str({"a", "b"}, {2})).Input(Str({"x"}, {})).Attr("separator", "-").Run1();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->flat<std::string>()[0], "a-x");
  EXPECT_EQ(out->flat<std::string>()[1], "b-x");
  auto name = OpTest("ShardedFilename").Input(Str({"/d/part"}, {})).Input(S_<int32_t>(0)).Input(S_<int32_t>(1)).Run1();
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->flat<std::string>()[0], "/d/part-00000-of-00001");
}

TEST(CheckpointOpsTest, SaveV2ThenRestoreV2) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  auto saved = OpTest("SaveV2").Input(Str({prefix}, {})).Input(Str({"a", "b"}, {2})).Input(Str({"", ""}, {2}))
                   .Input(V_<float>({1.5f, 2.5f})).Input(S_<int64_t>(7)).Run();
  ASSERT_TRUE(saved.ok()) << saved.status();
  tensorflow::AttrValue dtypes;
  dtypes.mutable_list()->add_type(tensorflow::DT_INT64);
  dtypes.mutable_list()->add_type(tensorflow::DT_FLOAT);
  auto restored = OpTest("RestoreV2").Input(Str({prefix}, {})).Input(Str({"b", "a"}, {2}))
                      .Input(Str({"", ""}, {2})).Attr("dtypes", dtypes).Run();
  ASSERT_TRUE(restored.ok()) << restored.status();
  ExpectTensor<int64_t>((*restored)[0], {7}, {});
  ExpectTensor<float>((*restored)[1], {1.5f, 2.5f}, {2});
  auto missing = OpTest("RestoreV2").Input(Str({prefix}, {})).Input(Str({"zz", "a"}, {2}))
                     .Input(Str({"", ""}, {2})).Attr("dtypes", dtypes).Run();
  ExpectError(missing, "zz");
}

TEST(RandomTest, UniformInRangeAndSeeded) {
  auto a = OpTest("RandomUniform").Input(V_<int32_t>({100})).Attr("dtype", DT_FLOAT).Attr("seed", 1).Attr("seed2", 2).Run1();
  auto b = OpTest("RandomUniform").Input(V_<int32_t>({100})).Attr("dtype", DT_FLOAT).Attr("seed", 1).Attr("seed2", 2).Run1();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(a->Equals(*b));
  for (float v : a->flat<float>()) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
  auto n = OpTest("TruncatedNormal").Input(V_<int64_t>({1000})).Attr("dtype", DT_DOUBLE).Attr("seed", 3).Attr("seed2", 0).Run1();
  ASSERT_TRUE(n.ok()) << n.status();
  for (double v : n->flat<double>()) EXPECT_LE(std::fabs(v), 2.0);
}

}  // namespace
}  // namespace savedmodel
