// Hostile sizes and indices for the layer ops of issue 8 (their values are
// compared with TensorFlow in tests/reference/kernel_cases.py): each must be
// a clear error naming the node, never a crash or an unbounded allocation.
#include <cstdint>
#include <string>

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

constexpr int64_t kHuge = int64_t{1} << 62;

TEST(LayerOpsHostileTest, PadBeyondInt64) {
  auto got = OpTest("Pad").Input(V_<float>({1, 2})).Input(T_<int64_t>({kHuge, kHuge}, {1, 2})).Run1();
  ExpectError(got, "overflows");
  got = OpTest("Pad").Input(V_<float>({1, 2})).Input(T_<int64_t>({0, int64_t{1} << 41}, {1, 2})).Run1();
  EXPECT_FALSE(got.ok());
}

TEST(LayerOpsHostileTest, PadOfAnEmptyTensorBuildsNoIndexMaps) {
  // [0, 3] padded by 2^39 columns has no elements; nothing may be sized by the padding.
  auto got = OpTest("Pad").Input(T_<float>({}, {0, 3})).Input(T_<int64_t>({0, 0, 0, int64_t{1} << 39}, {2, 2})).Run1();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->dim(1), 3 + (int64_t{1} << 39));
}

TEST(LayerOpsHostileTest, RaggedHugeFirstDimension) {
  tensorflow::AttrValue types;
  types.mutable_list()->add_s("FIRST_DIM_SIZE");
  types.mutable_list()->add_s("VALUE_ROWIDS");
  auto got = OpTest("RaggedTensorToTensor")
                 .Input(S_<int64_t>(-1)).Input(V_<float>({1, 2})).Input(S_<float>(0))
                 .Input(S_<int64_t>(kHuge)).Input(V_<int64_t>({0, kHuge - 1}))
                 .Attr("row_partition_types", types).Run1();
  EXPECT_FALSE(got.ok());
  got = OpTest("RaggedTensorToTensor")
            .Input(S_<int64_t>(-1)).Input(V_<float>({1, 2})).Input(S_<float>(0))
            .Input(S_<int64_t>(2)).Input(V_<int64_t>({0, 5}))
            .Attr("row_partition_types", types).Run1();
  ExpectError(got, "value_rowids[1] = 5");
}

TEST(LayerOpsHostileTest, ScatterAndGatherIndices) {
  ExpectError(OpTest("ScatterNd").Input(T_<int32_t>({7}, {1, 1})).Input(V_<float>({1})).Input(V_<int32_t>({4})).Run1(),
              "does not index into shape");
  EXPECT_FALSE(OpTest("ScatterNd").Input(T_<int64_t>({0}, {1, 1})).Input(V_<float>({1}))
                   .Input(V_<int64_t>({kHuge, kHuge})).Run1().ok());
  ExpectError(OpTest("GatherNd").Input(V_<float>({1, 2, 3})).Input(T_<int64_t>({-1}, {1, 1})).Run1(),
              "does not index into param shape");
}

TEST(LayerOpsHostileTest, StitchAndCountSizesFromValues) {
  // A huge index or size asks for a huge output: refused, not allocated.
  EXPECT_FALSE(OpTest("DynamicStitch").Input(V_<int32_t>({0, 1 << 30})).Input(V_<double>({1, 2}))
                   .Attr("N", 1).Run1().ok());
  EXPECT_FALSE(OpTest("DenseBincount").Input(V_<int64_t>({1})).Input(S_<int64_t>(kHuge))
                   .Input(T_<float>({}, {0})).Run1().ok());
  ExpectError(OpTest("DynamicPartition").Input(V_<float>({1, 2})).Input(V_<int32_t>({0, 9}))
                  .Attr("num_partitions", 2).Run(),
              "partitions[1] = 9 is not in [0, 2)");
}

TEST(LayerOpsHostileTest, BroadcastToHugeShape) {
  EXPECT_FALSE(OpTest("BroadcastTo").Input(S_<float>(1)).Input(V_<int64_t>({kHuge, kHuge})).Run1().ok());
  ExpectError(OpTest("BroadcastTo").Input(V_<float>({1, 2})).Input(V_<int32_t>({3})).Run1(),
              "Unable to broadcast tensor of shape [2] to tensor of shape [3]");
}

TEST(LayerOpsHostileTest, SubstrPositions) {
  ExpectTensor<std::string>(
      OpTest("Substr").Input(Str({"hello"}, {1})).Input(S_<int32_t>(-3)).Input(S_<int32_t>(2)).Run1(), {"ll"}, {1});
  ExpectError(OpTest("Substr").Input(Str({"hi"}, {1})).Input(S_<int64_t>(INT64_MIN)).Input(S_<int64_t>(1)).Run1(),
              "out of range");
}

}  // namespace
}  // namespace savedmodel
