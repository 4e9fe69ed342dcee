// The public API (include/savedmodel/) as a user sees it: TF Serving's
// half_plus_two (y = 0.5 x + 2, the values TF Serving documents) loaded and
// run both ways, signatures as TensorFlow wrote them, and the errors hostile
// or mistaken calls get.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "half_plus_two_model.h"
#include "savedmodel/savedmodel.h"
#include "test_util.h"

namespace savedmodel::api {
namespace {

constexpr const char* kHalfPlusTwo = "tf_serving/saved_model_half_plus_two_cpu/00000123";

Tensor Floats(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  auto t = Tensor::FromVector<float>(shape, values);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : Tensor();
}

TEST(ApiTest, PredictsOnTensorFlowWrittenModel) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  auto model = Model::Load(dir.string(), {"serve"});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto out = model->Predict("serving_default", {{"x", Floats({3, 1}, {1, 2, 5})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  const Tensor& y = out->at("y");
  EXPECT_EQ(y.dtype(), DType::kFloat);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(y.ToVector<float>(), (std::vector<float>{2.5f, 3.0f, 4.5f}));
  EXPECT_EQ(y.ToString(), "[[2.5]\n [3. ]\n [4.5]]");  // numpy's str of the array
}

TEST(ApiTest, RunsTensorsByName) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  auto model = Model::Load(dir.string(), {"serve"});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto out = model->Run({{"x:0", Floats({2, 1}, {2.5f, 3.0f})}}, {"y:0"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].ToVector<float>(), (std::vector<float>{3.25f, 3.5f}));
}

TEST(ApiTest, DescribesSignaturesAsTensorFlowWroteThem) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  auto model = Model::Load(dir.string(), {"serve"});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->SignatureKeys(),
            (std::vector<std::string>{"classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y",
                                      "regress_x_to_y2", "serving_default"}));
  auto sig = model->GetSignature("serving_default");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->method_name, "tensorflow/serving/predict");
  ASSERT_EQ(sig->inputs.count("x"), 1u);
  const TensorInfo& x = sig->inputs.at("x");
  EXPECT_EQ(x.name, "x:0");
  EXPECT_EQ(x.dtype, DType::kFloat);
  EXPECT_FALSE(x.unknown_rank);
  EXPECT_EQ(x.shape, (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(sig->outputs.at("y").name, "y:0");
  EXPECT_EQ(model->GetSignature("nope").status().code(), StatusCode::kNotFound);
}

// Our own writer's half_plus_two, so the API is exercised without ../shared.
TEST(ApiTest, LoadsWithoutSharedTestData) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "1").string();
  ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());
  LoadOptions options;
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  options.confine_file_access = true;
  auto model = Model::Load(dir, {"serve"}, options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->export_dir(), dir);
  auto out = model->Predict("serving_default", {{"x", Floats({3}, {1, 2, 5})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("y").ToVector<float>(), (std::vector<float>{2.5f, 3.0f, 4.5f}));
}

TEST(ApiTest, LoadErrorsAreStatuses) {
  auto missing = Model::Load("/nonexistent/savedmodel/dir", {"serve"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/savedmodel/dir"), std::string::npos)
      << missing.status().ToString();

  SAVEDMODEL_REQUIRE_TESTDATA(dir, kHalfPlusTwo);
  auto wrong_tags = Model::Load(dir.string(), {"serve", "gpu"});
  ASSERT_FALSE(wrong_tags.ok());
  EXPECT_EQ(wrong_tags.status().code(), StatusCode::kNotFound) << wrong_tags.status().ToString();
}

TEST(ApiTest, PredictErrorsAreStatuses) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path() / "1").string();
  ASSERT_TRUE(testing::WriteHalfPlusTwo(dir).ok());
  auto model = Model::Load(dir, {"serve"});
  ASSERT_TRUE(model.ok()) << model.status().ToString();

  auto unknown = model->Predict("nope", {{"x", Floats({1}, {1})}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();

  auto ints = Tensor::FromVector<int32_t>({1}, {1});
  ASSERT_TRUE(ints.ok());
  auto wrong_dtype = model->Predict("serving_default", {{"x", *ints}});
  EXPECT_EQ(wrong_dtype.status().code(), StatusCode::kInvalidArgument)
      << wrong_dtype.status().ToString();

  // A default (empty) tensor is refused, not dereferenced.
  auto empty = model->Predict("serving_default", {{"x", Tensor()}});
  EXPECT_FALSE(empty.ok());
  auto empty_run = model->Run({{"x:0", Tensor()}}, {"y:0"});
  EXPECT_FALSE(empty_run.ok());

  auto missing_fetch = model->Run({{"x:0", Floats({1}, {1})}}, {"no_such_node:0"});
  EXPECT_FALSE(missing_fetch.ok());
}

TEST(ApiTest, TensorConstructionChecksItsArguments) {
  auto zeros = Tensor::Zeros(DType::kInt64, {2, 3});
  ASSERT_TRUE(zeros.ok()) << zeros.status().ToString();
  EXPECT_EQ(zeros->shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(zeros->num_elements(), 6);
  EXPECT_EQ(zeros->byte_size(), 48u);
  EXPECT_EQ(zeros->ToVector<int64_t>(), std::vector<int64_t>(6, 0));
  EXPECT_EQ(zeros->data<float>(), nullptr);  // not its dtype
  EXPECT_TRUE(zeros->ToVector<float>().empty());

  EXPECT_EQ(Tensor::Zeros(DType::kFloat, {2, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::Zeros(static_cast<DType>(99), {1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::Zeros(static_cast<DType>(20), {1}).status().code(),  // DT_RESOURCE
            StatusCode::kInvalidArgument);
  // 4 TiB: refused before any allocation.
  EXPECT_EQ(Tensor::Zeros(DType::kFloat, {int64_t{1} << 20, int64_t{1} << 20}).status().code(),
            StatusCode::kResourceExhausted);

  const float three[] = {1, 2, 3};
  EXPECT_EQ(Tensor::FromBytes(DType::kFloat, {2, 2}, three, sizeof(three)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::FromBytes(DType::kString, {1}, three, 4).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::FromBytes(DType::kFloat, {1}, nullptr, 4).status().code(),
            StatusCode::kInvalidArgument);
  auto none = Tensor::FromBytes(DType::kFloat, {0, 3}, nullptr, 0);  // empty: nothing to copy
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->num_elements(), 0);
  EXPECT_EQ(none->data(), nullptr);
  EXPECT_EQ(Tensor::FromVector<float>({3}, {1, 2}).status().code(), StatusCode::kInvalidArgument);

  auto strings = Tensor::FromStrings({2}, {"a", std::string("b\0c", 3)});
  ASSERT_TRUE(strings.ok()) << strings.status().ToString();
  EXPECT_EQ(strings->dtype(), DType::kString);
  EXPECT_EQ(strings->strings(), (std::vector<std::string>{"a", std::string("b\0c", 3)}));
  EXPECT_EQ(strings->data(), nullptr);
  EXPECT_EQ(Tensor::FromStrings({3}, {"a"}).status().code(), StatusCode::kInvalidArgument);

  Tensor empty;
  EXPECT_EQ(empty.dtype(), DType::kInvalid);
  EXPECT_EQ(empty.num_elements(), 0);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.mutable_data(), nullptr);
  EXPECT_TRUE(empty.strings().empty());
}

TEST(ApiTest, CopiesShareTheBufferClonesDoNot) {
  Tensor a = Floats({2}, {1, 2});
  Tensor b = a;
  Tensor c = a.Clone();
  static_cast<float*>(a.mutable_data())[0] = 7;
  EXPECT_EQ(b.ToVector<float>(), (std::vector<float>{7, 2}));
  EXPECT_EQ(c.ToVector<float>(), (std::vector<float>{1, 2}));
}

TEST(ApiTest, NamesAreTensorFlows) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(StatusCode::kUnauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(Status(StatusCode::kNotFound, "gone").ToString(), "NOT_FOUND: gone");
  EXPECT_EQ(Status().ToString(), "OK");
  EXPECT_EQ(DTypeName(DType::kFloat), "float");
  EXPECT_EQ(DTypeName(DType::kBfloat16), "bfloat16");
  EXPECT_STREQ(Version(), SAVEDMODEL_VERSION);
  StatusOr<int> error(Status(StatusCode::kAborted, "x"));
  EXPECT_FALSE(error.ok());
  StatusOr<int> made_ok(Status{});  // an OK status carries no value: INTERNAL, not OK
  EXPECT_EQ(made_ok.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace savedmodel::api
