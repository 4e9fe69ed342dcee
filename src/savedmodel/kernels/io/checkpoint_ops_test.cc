#include <gtest/gtest.h>

#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"
#include "test_util.h"

namespace savedmodel {
namespace {

using testing::ExpectError;
using testing::ExpectTensor;
using testing::OpTest;
using testing::S_;
using testing::Str;
using testing::T_;
using testing::V_;

tensorflow::TensorSliceProto SliceProto(std::vector<std::pair<int64_t, int64_t>> extents) {
  tensorflow::TensorSliceProto p;
  for (auto [start, length] : extents) {
    auto* e = p.add_extent();
    if (length != -1) {
      e->set_start(start);
      e->set_length(length);
    }
  }
  return p;
}

std::vector<float> Iota(int n, float from = 0) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = from + i;
  return v;
}

// A checkpoint as TF1 savers leave it:
//   full [4, 3] float 0..11, stored whole;
//   part [5, 2] float 0..9, stored as rows [0, 2) and [2, 5), as a saver of a
//        partitioned variable writes it;
//   cols [2, 4] string, stored as columns [0, 1) and [1, 4);
//   holes [4] float, only [0, 2) stored.
class RestoreSliceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = (tmp_.path() / "ckpt").string();
    bundle::BundleWriter w(Env::Default(), prefix_);
    ASSERT_TRUE(w.Add("full", T_<float>(Iota(12), {4, 3})).ok());
    ASSERT_TRUE(w.AddSlice("part", {5, 2}, SliceProto({{0, 2}, {0, -1}}),
                           T_<float>(Iota(4), {2, 2})).ok());
    ASSERT_TRUE(w.AddSlice("part", {5, 2}, SliceProto({{2, 3}, {0, -1}}),
                           T_<float>(Iota(6, 4), {3, 2})).ok());
    ASSERT_TRUE(w.AddSlice("cols", {2, 4}, SliceProto({{0, -1}, {0, 1}}),
                           Str({"a0", "b0"}, {2, 1})).ok());
    ASSERT_TRUE(w.AddSlice("cols", {2, 4}, SliceProto({{0, -1}, {1, 3}}),
                           Str({"a1", "a2", "a3", "b1", "b2", "b3"}, {2, 3})).ok());
    ASSERT_TRUE(w.AddSlice("holes", {4}, SliceProto({{0, 2}}), V_<float>({7, 8})).ok());
    ASSERT_TRUE(w.Finish().ok());
  }

  StatusOr<Tensor> Restore(const std::string& name, const std::string& spec,
                           DataType dtype = DT_FLOAT) const {
    tensorflow::AttrValue dtypes;
    dtypes.mutable_list()->add_type(static_cast<tensorflow::DataType>(dtype));
    return OpTest("RestoreV2")
        .Input(S_<std::string>(prefix_))
        .Input(Str({name}, {1}))
        .Input(Str({spec}, {1}))
        .Attr("dtypes", dtypes)
        .Run1();
  }

  savedmodel::testing::TempDir tmp_;
  std::string prefix_;
};

TEST_F(RestoreSliceTest, WholeTensorStillRestores) {
  ExpectTensor<float>(Restore("full", ""), Iota(12), {4, 3});
  ExpectTensor<float>(Restore("part", ""), Iota(10), {5, 2});
}

TEST_F(RestoreSliceTest, SliceOfTensorStoredWhole) {
  ExpectTensor<float>(Restore("full", "4 3 1,2:-"), {3, 4, 5, 6, 7, 8}, {2, 3});
  ExpectTensor<float>(Restore("full", "4 3 -:2,1"), {2, 5, 8, 11}, {4, 1});
  ExpectTensor<float>(Restore("full", "4 3 3,1:1,2"), {10, 11}, {1, 2});
  ExpectTensor<float>(Restore("full", "4 3 -:-"), Iota(12), {4, 3});
  // Empty extents between ':' are skipped, as TensorFlow's parser does.
  ExpectTensor<float>(Restore("full", "4 3 1,1::-"), {3, 4, 5}, {1, 3});
}

TEST_F(RestoreSliceTest, SliceOfTensorStoredInSlices) {
  // Exactly one stored slice, as a saver of the same partitioning restores it.
  ExpectTensor<float>(Restore("part", "5 2 2,3:0,2"), Iota(6, 4), {3, 2});
  // Across both stored slices, and a sub-rectangle of them.
  ExpectTensor<float>(Restore("part", "5 2 1,3:-"), {2, 3, 4, 5, 6, 7}, {3, 2});
  ExpectTensor<float>(Restore("part", "5 2 1,2:1,1"), {3, 5}, {2, 1});
  ExpectTensor<std::string>(Restore("cols", "2 4 -:0,2", DT_STRING), {"a0", "a1", "b0", "b1"},
                            {2, 2});
  ExpectTensor<std::string>(Restore("cols", "2 4 1,1:-", DT_STRING), {"b0", "b1", "b2", "b3"},
                            {1, 4});
  ExpectTensor<float>(Restore("holes", "4 0,2"), {7, 8}, {2});
  ExpectTensor<float>(Restore("holes", "4 1,1"), {8}, {1});
}

TEST_F(RestoreSliceTest, UncoveredSliceIsAnError) {
  auto r = Restore("holes", "4 1,2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  ExpectError(r, "'holes'");
  ExpectError(Restore("holes", "4 -"), "covering");
}

TEST_F(RestoreSliceTest, HostileSpecsAreInvalidArgumentNamingTheTensor) {
  for (const char* spec : {
           "4",                                          // no slice
           "4 3",                                        // "3" taken as the slice
           "-1 3 -:-",                                   // negative dim
           "4 -3 -:-",                                   // negative dim
           "4 3 -1,2:-",                                 // negative start
           "4 3 0,0:-",                                  // empty extent
           "4 3 0,-1:-",                                 // negative length
           "4 3 3,2:-",                                  // past the end
           "4 3 4,1:-",                                  // starts at the end
           "4 3 9223372036854775807,9223372036854775807:-",  // start + length overflows
           "4 3 1,9223372036854775807:-",
           "99999999999999999999 3 -:-",                 // dim overflows int64
           "4 3 99999999999999999999,1:-",               // start overflows int64
           "4 3 -",                                      // rank mismatch
           "4 3 -:-:-",
           "4 3 ::",
           "5 3 -:-",                                    // full shape is not the checkpoint's
           "4 3 1 -:-:-",
           "3 4 -:-",
           "4 3 a,b:-",
           "4 3 1,2,3:-",
           "4 3 1,:-",
           "4 3 ,1:-",
           "4 3 +1,1:-",
           "4 3 0x1,1:-",
           "4 3 1 ,1:-",
           "4 3 0,1:- extra",
           "4.0 3 -:-",
           "4  3 1,1:-",                                 // TensorFlow splits on each space
           " 4 3 -:-",
           "4 3 -:- ",
       }) {
    SCOPED_TRACE(spec);
    auto r = Restore("full", spec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
    ExpectError(r, "'full'");
  }
  // Huge full shapes are refused before anything is allocated.
  for (const char* spec : {"4000000000 4000000000 4000000000 -:-:-", "5000000000 2 0,5000000000:-"}) {
    SCOPED_TRACE(spec);
    auto r = Restore("part", spec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  }
}

TEST_F(RestoreSliceTest, DtypeAndNameMismatches) {
  auto r = Restore("cols", "2 4 -:-", DT_FLOAT);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  ExpectError(r, "'cols'");
  auto missing = Restore("nothing", "4 3 -:-");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status();
}

TEST_F(RestoreSliceTest, ReaderReadSliceChecksItsArguments) {
  auto reader = bundle::BundleReader::Open(Env::Default(), prefix_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->ReadSlice("full", {{0, -1}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*reader)->ReadSlice("full", {{1, -1}, {0, -1}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*reader)->ReadSlice("part", {{4, 2}, {0, -1}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*reader)->ReadSlice("part", {{INT64_MAX, INT64_MAX}, {0, -1}}).status().code(),
            StatusCode::kInvalidArgument);
  ExpectTensor<float>((*reader)->ReadSlice("part", {{4, 1}, {1, 1}}), {9}, {1, 1});
}

}  // namespace
}  // namespace savedmodel
