#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "savedmodel/kernels/testing/kernel_test_helpers.h"

namespace savedmodel {
namespace {

using testing::ExpectError;
using testing::ExpectTensor;
using testing::OpTest;
using testing::S_;
using testing::Str;
using testing::T_;
using testing::V_;

TEST(CastTest, NumericPairs) {
  ExpectTensor<int32_t>(OpTest("Cast").Input(V_<float>({1.7f, -1.7f, 0}))
                            .Attr("DstT", DT_INT32).Run1(),
                        {1, -1, 0}, {3});
  ExpectTensor<bool>(OpTest("Cast").Input(V_<int32_t>({0, 3})).Attr("DstT", DT_BOOL).Run1(),
                     {false, true}, {2});
  ExpectTensor<double>(OpTest("Cast").Input(V_<bool>({true, false})).Attr("DstT", DT_DOUBLE).Run1(),
                       {1, 0}, {2});
  auto h = OpTest("Cast").Input(V_<float>({1.5f})).Attr("DstT", DT_HALF).Run1();
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(HalfToFloat(h->flat<half>()[0]), 1.5f);
}

TEST(CastTest, FloatToIntIsDefinedForNaNAndOverflow) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ExpectTensor<int32_t>(OpTest("Cast").Input(V_<float>({nan, 1e20f, -1e20f}))
                            .Attr("DstT", DT_INT32).Run1(),
                        {0, std::numeric_limits<int32_t>::max(),
                         std::numeric_limits<int32_t>::min()},
                        {3});
  ExpectTensor<uint8_t>(OpTest("Cast").Input(V_<double>({300, -5})).Attr("DstT", DT_UINT8).Run1(),
                        {255, 0}, {2});
}

TEST(ShapeOpsTest, ShapeSizeRank) {
  auto x = T_<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<int32_t>(OpTest("Shape").Input(x).Run1(), {2, 3}, {2});
  ExpectTensor<int64_t>(OpTest("Shape").Input(x).Attr("out_type", DT_INT64).Run1(), {2, 3}, {2});
  ExpectTensor<int32_t>(OpTest("Size").Input(x).Run1(), {6}, {});
  ExpectTensor<int32_t>(OpTest("Rank").Input(x).Run1(), {2}, {});
}

TEST(ShapeOpsTest, ReshapeInfersAndErrors) {
  auto x = T_<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<int32_t>(OpTest("Reshape").Input(x).Input(V_<int32_t>({-1, 2})).Run1(),
                        {1, 2, 3, 4, 5, 6}, {3, 2});
  ExpectTensor<int32_t>(OpTest("Reshape").Input(x).Input(V_<int64_t>({6})).Run1(),
                        {1, 2, 3, 4, 5, 6}, {6});
  ExpectError(OpTest("Reshape").Input(x).Input(V_<int32_t>({2, 2})).Run1(),
              "Input to reshape is a tensor with 6 values, but the requested shape has 4");
  ExpectError(OpTest("Reshape").Input(x).Input(V_<int32_t>({-1, -1})).Run1(),
              "Only one input size may be -1");
  ExpectError(OpTest("Reshape").Input(x).Input(V_<int32_t>({-1, 4})).Run1(),
              "requested shape requires a multiple of 4");
  ExpectTensor<std::string>(OpTest("Reshape").Input(Str({"a", "b"}, {2}))
                                .Input(V_<int32_t>({2, 1})).Run1(),
                            {"a", "b"}, {2, 1});
}

TEST(ShapeOpsTest, ExpandDimsAndSqueeze) {
  auto x = T_<float>({1, 2}, {2});
  ExpectTensor<float>(OpTest("ExpandDims").Input(x).Input(S_<int32_t>(0)).Run1(), {1, 2}, {1, 2});
  ExpectTensor<float>(OpTest("ExpandDims").Input(x).Input(S_<int32_t>(-1)).Run1(), {1, 2}, {2, 1});
  ExpectError(OpTest("ExpandDims").Input(x).Input(S_<int32_t>(3)).Run1(), "expand dim");
  auto y = T_<float>({1, 2}, {1, 2, 1});
  ExpectTensor<float>(OpTest("Squeeze").Input(y).Run1(), {1, 2}, {2});
  ExpectTensor<float>(OpTest("Squeeze").Input(y).Attr("squeeze_dims", std::vector<int64_t>{-1})
                          .Run1(),
                      {1, 2}, {1, 2});
  ExpectError(OpTest("Squeeze").Input(y).Attr("squeeze_dims", std::vector<int64_t>{1}).Run1(),
              "Can not squeeze dim[1], expected a dimension of 1, got 2");
}

TEST(PackTest, PackUnpackAxes) {
  auto a = V_<int32_t>({1, 2}), b = V_<int32_t>({3, 4});
  ExpectTensor<int32_t>(OpTest("Pack").Input(a).Input(b).Run1(), {1, 2, 3, 4}, {2, 2});
  ExpectTensor<int32_t>(OpTest("Pack").Input(a).Input(b).Attr("axis", 1).Run1(), {1, 3, 2, 4},
                        {2, 2});
  ExpectTensor<std::string>(OpTest("Pack").Input(Str({"x"}, {1})).Input(Str({"y"}, {1})).Run1(),
                            {"x", "y"}, {2, 1});
  ExpectError(OpTest("Pack").Input(a).Input(V_<int32_t>({1})).Run1(),
              "Shapes of all inputs must match");
  auto outs = OpTest("Unpack").Input(T_<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3}))
                  .Attr("num", 3).Attr("axis", 1).Run();
  ASSERT_TRUE(outs.ok()) << outs.status();
  ASSERT_EQ(outs->size(), 3u);
  ExpectTensor<int32_t>((*outs)[1], {2, 5}, {2});
}

TEST(ConcatTest, AxesAndErrors) {
  auto a = T_<float>({1, 2, 3, 4}, {2, 2});
  auto b = T_<float>({5, 6}, {2, 1});
  ExpectTensor<float>(OpTest("ConcatV2").Input(a).Input(b).Input(S_<int32_t>(1)).Run1(),
                      {1, 2, 5, 3, 4, 6}, {2, 3});
  ExpectTensor<float>(OpTest("ConcatV2").Input(a).Input(a).Input(S_<int64_t>(-2)).Run1(),
                      {1, 2, 3, 4, 1, 2, 3, 4}, {4, 2});
  ExpectError(OpTest("ConcatV2").Input(a).Input(b).Input(S_<int32_t>(0)).Run1(),
              "Dimension 1 in both shapes must be equal");
  ExpectTensor<std::string>(OpTest("ConcatV2").Input(Str({"a"}, {1})).Input(Str({"b", "c"}, {2}))
                                .Input(S_<int32_t>(0)).Run1(),
                            {"a", "b", "c"}, {3});
}

TEST(TransposeTest, PermutesAndValidates) {
  auto x = T_<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<int32_t>(OpTest("Transpose").Input(x).Input(V_<int32_t>({1, 0})).Run1(),
                        {1, 4, 2, 5, 3, 6}, {3, 2});
  std::vector<int32_t> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i;
  auto got = OpTest("Transpose").Input(T_<int32_t>(v, {2, 3, 4})).Input(V_<int64_t>({2, 0, 1}))
                 .Run1();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->shape(), (TensorShape{4, 2, 3}));
  // out[k][i][j] = in[i][j][k]
  EXPECT_EQ(got->flat<int32_t>()[1 * 6 + 1 * 3 + 2], 1 * 12 + 2 * 4 + 1);
  ExpectError(OpTest("Transpose").Input(x).Input(V_<int32_t>({0, 0})).Run1(), "");
  ExpectTensor<std::string>(OpTest("Transpose").Input(Str({"a", "b", "c", "d"}, {2, 2}))
                                .Input(V_<int32_t>({1, 0})).Run1(),
                            {"a", "c", "b", "d"}, {2, 2});
}

TEST(FillTest, FillZerosOnesRange) {
  ExpectTensor<float>(OpTest("Fill").Input(V_<int32_t>({2, 2})).Input(S_<float>(7)).Run1(),
                      {7, 7, 7, 7}, {2, 2});
  ExpectTensor<int64_t>(OpTest("ZerosLike").Input(V_<int64_t>({5, 6})).Run1(), {0, 0}, {2});
  ExpectTensor<float>(OpTest("OnesLike").Input(V_<float>({5, 6})).Run1(), {1, 1}, {2});
  ExpectTensor<int32_t>(OpTest("Range").Input(S_<int32_t>(3)).Input(S_<int32_t>(18))
                            .Input(S_<int32_t>(5)).Run1(),
                        {3, 8, 13}, {3});
  ExpectTensor<float>(OpTest("Range").Input(S_<float>(3)).Input(S_<float>(1))
                          .Input(S_<float>(-0.5f)).Run1(),
                      {3, 2.5f, 2, 1.5f}, {4});
  ExpectError(OpTest("Range").Input(S_<int32_t>(0)).Input(S_<int32_t>(1)).Input(S_<int32_t>(0))
                  .Run1(),
              "Requires delta != 0");
}

TEST(SliceTest, SliceAndTile) {
  auto x = T_<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensor<int32_t>(OpTest("Slice").Input(x).Input(V_<int32_t>({0, 1}))
                            .Input(V_<int32_t>({-1, 2})).Run1(),
                        {2, 3, 5, 6}, {2, 2});
  ExpectError(OpTest("Slice").Input(x).Input(V_<int32_t>({0, 2})).Input(V_<int32_t>({1, 2}))
                  .Run1(),
              "Expected size[1] in [0, 1], but got 2");
  ExpectTensor<int32_t>(OpTest("Tile").Input(T_<int32_t>({1, 2}, {1, 2}))
                            .Input(V_<int32_t>({2, 2})).Run1(),
                        {1, 2, 1, 2, 1, 2, 1, 2}, {2, 4});
}

StatusOr<Tensor> StridedSlice(const Tensor& x, std::vector<int32_t> b, std::vector<int32_t> e,
                              std::vector<int32_t> s, int begin_mask = 0, int end_mask = 0,
                              int ellipsis = 0, int new_axis = 0, int shrink = 0) {
  return OpTest("StridedSlice").Input(x).Input(V_<int32_t>(b)).Input(V_<int32_t>(e))
      .Input(V_<int32_t>(s)).Attr("begin_mask", begin_mask).Attr("end_mask", end_mask)
      .Attr("ellipsis_mask", ellipsis).Attr("new_axis_mask", new_axis)
      .Attr("shrink_axis_mask", shrink).Run1();
}

TEST(StridedSliceTest, PythonSlices) {
  std::vector<int32_t> v(12);
  for (int i = 0; i < 12; ++i) v[i] = i;
  auto x = T_<int32_t>(v, {3, 4});
  // x[1:3, ::2]
  ExpectTensor<int32_t>(StridedSlice(x, {1, 0}, {3, 0}, {1, 2}, 0b10, 0b10), {4, 6, 8, 10},
                        {2, 2});
  // x[::-1, -1] (shrink axis 1)
  ExpectTensor<int32_t>(StridedSlice(x, {0, -1}, {0, 0}, {-1, 1}, 0b01, 0b01, 0, 0, 0b10),
                        {11, 7, 3}, {3});
  // x[..., 1:] (ellipsis then slice)
  ExpectTensor<int32_t>(StridedSlice(x, {0, 1}, {0, 4}, {1, 1}, 0, 0, 0b01),
                        {1, 2, 3, 5, 6, 7, 9, 10, 11}, {3, 3});
  // x[tf.newaxis, 0] -> [1, 4]
  ExpectTensor<int32_t>(StridedSlice(x, {0, 0}, {0, 1}, {1, 1}, 0, 0, 0, 0b01, 0b10),
                        {0, 1, 2, 3}, {1, 4});
  // x[:, -1] over a [3,4] : Keras-style last timestep
  ExpectTensor<int32_t>(StridedSlice(x, {0, -1}, {0, 0}, {1, 1}, 0b01, 0b01, 0, 0, 0b10),
                        {3, 7, 11}, {3});
  // x[5:9] clamps to empty; x[1] implicit trailing ellipsis.
  ExpectTensor<int32_t>(StridedSlice(x, {5}, {9}, {1}), {}, {0, 4});
  ExpectTensor<int32_t>(StridedSlice(x, {1}, {2}, {1}, 0, 0, 0, 0, 1), {4, 5, 6, 7}, {4});
  ExpectError(StridedSlice(x, {3}, {4}, {1}, 0, 0, 0, 0, 1), "out of bounds");
  ExpectError(StridedSlice(x, {0}, {1}, {0}), "must be non-zero");
}

TEST(GatherTest, AxisZeroAndOne) {
  auto p = T_<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  ExpectTensor<float>(OpTest("GatherV2").Input(p).Input(V_<int32_t>({2, 0}))
                          .Input(S_<int32_t>(0)).Run1(),
                      {5, 6, 1, 2}, {2, 2});
  ExpectTensor<float>(OpTest("GatherV2").Input(p).Input(T_<int64_t>({1, 1, 0, 1}, {2, 2}))
                          .Input(S_<int32_t>(1)).Run1(),
                      {2, 2, 1, 2, 4, 4, 3, 4, 6, 6, 5, 6}, {3, 2, 2});
  ExpectError(OpTest("GatherV2").Input(p).Input(V_<int32_t>({3})).Input(S_<int32_t>(0)).Run1(),
              "indices[0] = 3 is not in [0, 3)");
}

TEST(SelectTest, SelectAndSelectV2) {
  auto c = V_<bool>({true, false});
  auto x = T_<int32_t>({1, 2, 3, 4}, {2, 2});
  auto y = T_<int32_t>({5, 6, 7, 8}, {2, 2});
  // Select with a vector condition picks rows.
  ExpectTensor<int32_t>(OpTest("Select").Input(c).Input(x).Input(y).Run1(), {1, 2, 7, 8}, {2, 2});
  // SelectV2 broadcasts the condition along the last axis.
  ExpectTensor<int32_t>(OpTest("SelectV2").Input(c).Input(x).Input(S_<int32_t>(0)).Run1(),
                        {1, 0, 3, 0}, {2, 2});
}

TEST(OneHotTest, DefaultAndAxisZero) {
  auto idx = V_<int32_t>({0, 2, -1});
  ExpectTensor<float>(OpTest("OneHot").Input(idx).Input(S_<int32_t>(3)).Input(S_<float>(1))
                          .Input(S_<float>(0)).Run1(),
                      {1, 0, 0, 0, 0, 1, 0, 0, 0}, {3, 3});
  ExpectTensor<float>(OpTest("OneHot").Input(idx).Input(S_<int32_t>(3)).Input(S_<float>(5))
                          .Input(S_<float>(0)).Attr("axis", 0).Run1(),
                      {5, 0, 0, 0, 0, 0, 0, 5, 0}, {3, 3});
}

}  // namespace
}  // namespace savedmodel
