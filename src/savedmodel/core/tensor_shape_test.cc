#include "savedmodel/core/tensor_shape.h"

#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

TEST(TensorShapeTest, Basics) {
  TensorShape scalar;
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.num_elements(), 1);
  EXPECT_EQ(scalar.DebugString(), "[]");

  TensorShape s{2, 3, 4};
  EXPECT_EQ(s.rank(), 3);
  EXPECT_EQ(s.dim(1), 3);
  EXPECT_EQ(s.num_elements(), 24);
  EXPECT_EQ(s.DebugString(), "[2,3,4]");
  EXPECT_EQ(s.dims(), (std::vector<int64_t>{2, 3, 4}));

  TensorShape empty{5, 0, 7};
  EXPECT_EQ(empty.num_elements(), 0);

  TensorShape grown;
  grown.AddDim(2);
  grown.AddDim(3);
  EXPECT_EQ(grown, (TensorShape{2, 3}));
  EXPECT_FALSE(grown == (TensorShape{3, 2}));
  EXPECT_FALSE(grown == (TensorShape{2, 3, 1}));
}

TEST(TensorShapeTest, FromDimsAccepts) {
  std::vector<int64_t> dims = {4, 1, 5};
  auto s = TensorShape::FromDims(dims);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->num_elements(), 20);
  EXPECT_EQ(*s, (TensorShape{4, 1, 5}));

  auto scalar = TensorShape::FromDims({});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_EQ(scalar->num_elements(), 1);

  // Exactly at the element limit.
  std::vector<int64_t> at_limit = {int64_t{1} << 20, int64_t{1} << 20};
  auto big = TensorShape::FromDims(at_limit);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->num_elements(), kMaxTensorElements);

  std::vector<int64_t> max_rank(kMaxTensorRank, 1);
  EXPECT_TRUE(TensorShape::FromDims(max_rank).ok());
}

TEST(TensorShapeTest, FromDimsRejectsNegative) {
  std::vector<int64_t> dims = {2, -1, 3};
  auto s = TensorShape::FromDims(dims);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("dimension 1 is -1"), std::string::npos)
      << s.status();
  std::vector<int64_t> most_negative = {INT64_MIN};
  EXPECT_FALSE(TensorShape::FromDims(most_negative).ok());
}

TEST(TensorShapeTest, FromDimsRejectsOverflow) {
  std::vector<int64_t> over = {(int64_t{1} << 20) + 1, int64_t{1} << 20};
  auto s = TensorShape::FromDims(over);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("2^40"), std::string::npos);

  // Products that would wrap int64 are caught before they wrap.
  std::vector<int64_t> wrap = {int64_t{1} << 32, int64_t{1} << 32, 16};
  EXPECT_FALSE(TensorShape::FromDims(wrap).ok());
  std::vector<int64_t> huge = {INT64_MAX};
  EXPECT_FALSE(TensorShape::FromDims(huge).ok());
  std::vector<int64_t> two_huge = {INT64_MAX, INT64_MAX};
  EXPECT_FALSE(TensorShape::FromDims(two_huge).ok());
  // A zero dim does not excuse absurd others: strides would still overflow.
  std::vector<int64_t> zero_and_huge = {0, int64_t{1} << 62, int64_t{1} << 62};
  EXPECT_FALSE(TensorShape::FromDims(zero_and_huge).ok());
  std::vector<int64_t> zero_and_fine = {0, 1000, 1000};
  auto ok = TensorShape::FromDims(zero_and_fine);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->num_elements(), 0);
}

TEST(TensorShapeTest, FromDimsRejectsHighRank) {
  std::vector<int64_t> dims(kMaxTensorRank + 1, 1);
  auto s = TensorShape::FromDims(dims);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("rank 255"), std::string::npos) << s.status();
}

TEST(PartialShapeTest, UnknownRank) {
  PartialShape u = PartialShape::Unknown();
  EXPECT_TRUE(u.unknown_rank());
  EXPECT_EQ(u.rank(), -1);
  EXPECT_FALSE(u.IsFullyDefined());
  EXPECT_TRUE(u.IsCompatibleWith(TensorShape{3, 4}));
  EXPECT_TRUE(u.IsCompatibleWith(TensorShape{}));
  EXPECT_EQ(u.DebugString(), "unknown_rank");
  EXPECT_TRUE(PartialShape().unknown_rank());
}

TEST(PartialShapeTest, KnownRank) {
  PartialShape p({-1, 3});
  EXPECT_FALSE(p.unknown_rank());
  EXPECT_EQ(p.rank(), 2);
  EXPECT_FALSE(p.IsFullyDefined());
  EXPECT_TRUE(p.IsCompatibleWith(TensorShape{7, 3}));
  EXPECT_TRUE(p.IsCompatibleWith(TensorShape{0, 3}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{7, 4}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{7}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{7, 3, 1}));
  EXPECT_EQ(p.DebugString(), "(-1, 3)");

  PartialShape full({2, 3});
  EXPECT_TRUE(full.IsFullyDefined());
  EXPECT_TRUE(full.IsCompatibleWith(TensorShape{2, 3}));

  PartialShape scalar(std::vector<int64_t>{});
  EXPECT_TRUE(scalar.IsFullyDefined());
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.DebugString(), "()");
  EXPECT_TRUE(scalar.IsCompatibleWith(TensorShape{}));
  EXPECT_FALSE(scalar.IsCompatibleWith(TensorShape{1}));

  EXPECT_EQ(PartialShape({-1}).DebugString(), "(-1,)");
}

}  // namespace
}  // namespace savedmodel
