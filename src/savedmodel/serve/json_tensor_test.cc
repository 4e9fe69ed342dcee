#include "savedmodel/serve/json_tensor.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "savedmodel/serve/base64.h"
#include "tensorflow/core/example/example.pb.h"

namespace savedmodel {
namespace {

using Infos = google::protobuf::Map<std::string, tensorflow::TensorInfo>;

Infos MakeInfos(std::initializer_list<std::pair<std::string, DataType>> inputs) {
  Infos infos;
  for (const auto& [name, dtype] : inputs) infos[name].set_dtype(static_cast<tensorflow::DataType>(dtype));
  return infos;
}

StatusOr<std::map<std::string, Tensor>> Decode(const std::string& body, const Infos& infos,
                                               JsonPredictFormat* format = nullptr) {
  ASSIGN_OR_RETURN(JsonPredictRequest r, JsonPredictRequest::Parse(body));
  JsonPredictFormat f;
  return r.DecodeInputs(infos, format ? format : &f);
}

// The error message of a decode that must fail with INVALID_ARGUMENT.
std::string DecodeError(const std::string& body, const Infos& infos) {
  auto r = Decode(body, infos);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  return r.status().message();
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST(JsonTensorTest, RowFormatStacksInstancesAlongANewBatchDimension) {
  JsonPredictFormat format;
  auto r = Decode(R"({"instances": [[1, 2], [3, 4], [5, 6]]})", MakeInfos({{"x", DT_FLOAT}}), &format);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(format, JsonPredictFormat::kRow);
  const Tensor& x = r->at("x");
  EXPECT_TRUE(x.Equals(Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, TensorShape{3, 2})));
}

TEST(JsonTensorTest, RowFormatWithNamedInputs) {
  auto r = Decode(R"({"signature_name": "s", "instances": [{"a": 1, "b": "p"}, {"a": 2, "b": {"b64": "cQ=="}}]})",
                  MakeInfos({{"a", DT_INT64}, {"b", DT_STRING}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->at("a").Equals(Tensor::FromVector<int64_t>({1, 2})));
  EXPECT_TRUE(r->at("b").Equals(Tensor::FromVector<std::string>({"p", "q"})));
}

TEST(JsonTensorTest, ColumnarFormatKeepsTheGivenShape) {
  JsonPredictFormat format;
  auto r = Decode(R"({"inputs": {"a": [[1.5], [2.5]], "b": true}})", MakeInfos({{"a", DT_DOUBLE}, {"b", DT_BOOL}}),
                  &format);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(format, JsonPredictFormat::kColumnar);
  EXPECT_TRUE(r->at("a").Equals(Tensor::FromVector<double>({1.5, 2.5}, TensorShape{2, 1})));
  EXPECT_TRUE(r->at("b").Equals(Tensor::Scalar<bool>(true)));
  // A bare value for a one-input signature.
  r = Decode(R"({"inputs": [3, 4]})", MakeInfos({{"x", DT_INT32}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->at("x").Equals(Tensor::FromVector<int32_t>({3, 4})));
}

TEST(JsonTensorTest, NanAndInfinityAreAcceptedForFloats) {
  auto r = Decode(R"({"instances": [NaN, Infinity, -Infinity]})", MakeInfos({{"x", DT_FLOAT}}));
  ASSERT_TRUE(r.ok()) << r.status();
  auto v = r->at("x").flat<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[2], -std::numeric_limits<float>::infinity());
}

// TF Serving's own wording (util/json_tensor.cc), so clients' error handling
// written against it keeps working.
TEST(JsonTensorTest, MalformedRequestsGiveTfServingsMessages) {
  const Infos x = MakeInfos({{"x", DT_FLOAT}});
  auto parse = JsonPredictRequest::Parse("");
  ASSERT_FALSE(parse.ok());
  EXPECT_EQ(parse.status().message(), "JSON Parse error: The document is empty");
  parse = JsonPredictRequest::Parse("instances = [1, 2]");
  ASSERT_FALSE(parse.ok());
  EXPECT_EQ(parse.status().message(), "JSON Parse error: Invalid value. at offset: 0");
  parse = JsonPredictRequest::Parse("[1, 2]");
  ASSERT_FALSE(parse.ok());
  EXPECT_HAS(parse.status().message(), "Is not object");
  parse = JsonPredictRequest::Parse(R"({"signature_name": 100})");
  ASSERT_FALSE(parse.ok());
  EXPECT_HAS(parse.status().message(), "'signature_name' key must be a string value.");

  EXPECT_EQ(DecodeError(R"({"foo": 1})", x), "Missing 'inputs' or 'instances' key");
  EXPECT_HAS(DecodeError(R"({"instances": [1], "inputs": [1]})", x),
             "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist");
  EXPECT_HAS(DecodeError(R"({"instances": 1})", x), "Excepting 'instances' to be an list/array");
  EXPECT_HAS(DecodeError(R"({"instances": []})", x), "No values in 'instances' array");
  EXPECT_HAS(DecodeError(R"({"instances": ["x", "y"]})", x),
             "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"x\" Type: "
             "String is not of expected type: float");
  // Ragged rows: the second row's shape differs from the first's.
  // Ragged rows: sizes are compared first, then shapes.
  EXPECT_HAS(DecodeError(R"({"instances": [[1, 2], [3]]})", x), "Expecting tensor size: 2 but got: 1");
  EXPECT_HAS(DecodeError(R"({"instances": [[1, 2], [[3], [4]]]})", x), "Expecting shape [2] but got: [2,1]");
  // Ragged within one value.
  EXPECT_HAS(DecodeError(R"({"inputs": [[1, 2], [3]]})", x),
             "Encountered list at unexpected size: 1 at level: 1 expected size: 2");
  EXPECT_HAS(DecodeError(R"({"inputs": [[1, 2], 3]})", x), "found at incorrect level: 2 in the JSON DOM");
  EXPECT_HAS(DecodeError(R"({"inputs": [1, [2]]})", x), "Encountered list at unexpected level: 1 expected < 1");
  // 2^24 + 1 has no float.
  EXPECT_HAS(DecodeError(R"({"inputs": [16777217]})", x),
             "Cannot convert JSON value: 16777217 to float without loss of precision.");
  EXPECT_HAS(DecodeError(R"({"inputs": [1e39]})", x), "to float without loss of precision.");
  EXPECT_HAS(DecodeError(R"({"inputs": [1.5]})", MakeInfos({{"x", DT_INT32}})), "is not of expected type: int32");
  EXPECT_HAS(DecodeError(R"({"inputs": [300]})", MakeInfos({{"x", DT_UINT8}})), "is not of expected type: uint8");
  EXPECT_HAS(DecodeError(R"({"inputs": [1]})", MakeInfos({{"x", DT_BOOL}})), "is not of expected type: bool");
  EXPECT_HAS(DecodeError(R"({"inputs": {"b64": "!!"}})", MakeInfos({{"x", DT_STRING}})), "Unable to base64 decode");
  EXPECT_HAS(DecodeError(R"({"inputs": {"c": 1}})", MakeInfos({{"x", DT_STRING}})),
             "Missing named input: x in 'inputs' object.");
  EXPECT_HAS(DecodeError(R"({"inputs": {"x": null}})", MakeInfos({{"x", DT_STRING}})),
             "JSON Value: null Type: Null is not of expected type: string");

  const Infos ab = MakeInfos({{"a", DT_FLOAT}, {"b", DT_FLOAT}});
  EXPECT_HAS(DecodeError(R"({"instances": [1, 2]})", ab),
             "instances is a plain list, but expecting list of objects as multiple input tensors required");
  EXPECT_HAS(DecodeError(R"({"inputs": [1, 2]})", ab),
             "inputs is a plain value/list, but expecting an object as multiple input tensors required");
  EXPECT_HAS(DecodeError(R"({"instances": [{"a": 1, "b": 2}, {"a": 1}]})", ab),
             "Failed to process element: 1 of 'instances' list. JSON object: ");
  EXPECT_HAS(DecodeError(R"({"instances": [{"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3}]})", ab),
             "JSON object: does not have named input: c");
  EXPECT_HAS(DecodeError(R"({"instances": [{"a": 1, "b": 2}, [1]]})", ab),
             "Expecting object but got list at item 1 of input list");
  EXPECT_HAS(DecodeError(R"({"instances": [{"a": 1, "a": 2, "b": 1}]})", ab), "duplicate key: a");
}

TEST(JsonTensorTest, HostileBodiesAreRefusedWithoutCrashing) {
  const Infos x = MakeInfos({{"x", DT_FLOAT}});
  // Nesting that would overflow a recursive parser's stack.
  const std::string deep = R"({"inputs": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto parse = JsonPredictRequest::Parse(deep);
  ASSERT_FALSE(parse.ok());
  EXPECT_HAS(parse.status().message(), "nesting deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_TRUE(JsonPredictRequest::Parse(R"({"s": ")" + std::string(1000, '[') + R"("})").ok());
  // A number past double's range is a parse error, not infinity.
  parse = JsonPredictRequest::Parse(R"({"inputs": [1e400]})");
  ASSERT_FALSE(parse.ok());
  EXPECT_HAS(parse.status().message(), "Number too big to be stored in double");
  // Truncated documents.
  for (const char* body : {"{", R"({"instances": [1, 2)", R"({"instances": [1, 2]]})", "\xff\xfe"}) {
    EXPECT_FALSE(JsonPredictRequest::Parse(body).ok()) << body;
  }
  // A short body claiming a huge shape through ragged rows fails before any
  // allocation: the first row holds 1000 values, every other row none.
  std::string ragged = R"({"instances": [[)";
  for (int i = 0; i < 1000; ++i) ragged += i ? ",1" : "1";
  ragged += "]";
  for (int i = 0; i < 1000; ++i) ragged += ",[]";
  ragged += "]}";
  EXPECT_HAS(DecodeError(ragged, x), "Expecting tensor size: 1000 but got: 0");
  // Error messages quote at most 1 KiB of the request.
  const std::string big = R"({"instances": ")" + std::string(100000, 'a') + R"("})";
  std::string msg = DecodeError(big, x);
  EXPECT_LT(msg.size(), 2000u);
}

TEST(JsonTensorTest, FloatsAreWrittenAsTfServingWritesThem) {
  // Six significant digits when they read back exactly, else 9 (float) or 17
  // (double); whole numbers get ".0"; non-finite values bare.
  auto r = MakeJsonFromTensors(
      {{"y", Tensor::FromVector<float>({2.5f, 3.0f, 0.1f, 1.0f / 3.0f, 1e-5f, 9e6f, -0.0f,
                                        std::numeric_limits<float>::quiet_NaN(),
                                        std::numeric_limits<float>::infinity(),
                                        -std::numeric_limits<float>::infinity()})}},
      JsonPredictFormat::kColumnar);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "{\n    \"outputs\": [\n        2.5,\n        3.0,\n        0.1,\n        0.333333343,\n"
                "        1e-05,\n        9e+06,\n        -0.0,\n        NaN,\n        Infinity,\n"
                "        -Infinity\n    ]\n}");
  r = MakeJsonFromTensors({{"d", Tensor::FromVector<double>({0.1, 1.0 / 3.0})}}, JsonPredictFormat::kColumnar);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_HAS(*r, "0.1,\n        0.33333333333333331\n");
}

TEST(JsonTensorTest, RowFormatWritesOneEntryPerBatchRow) {
  // One output: a list of rows, each row's values on one line.
  auto r = MakeJsonFromTensors({{"y", Tensor::FromVector<float>({2.5f, 3.0f, 4.5f})}}, JsonPredictFormat::kRow);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "{\n    \"predictions\": [2.5, 3.0, 4.5\n    ]\n}");
  // Several outputs: an object per row; "_bytes" aliases as base64.
  r = MakeJsonFromTensors({{"n", Tensor::FromVector<int64_t>({1, -2}, TensorShape{2, 1})},
                           {"s_bytes", Tensor::FromVector<std::string>({"\x01\x02", "ab"})},
                           {"t", Tensor::FromVector<std::string>({"x", "y"})},
                           {"b", Tensor::FromVector<bool>({true, false})}},
                          JsonPredictFormat::kRow);
  ASSERT_TRUE(r.ok()) << r.status();
  // (PrettyWriter's single-line mode covers arrays only, so TF Serving's
  // objects span lines.)
  EXPECT_EQ(*r, R"({
    "predictions": [
        {
            "b": true,
            "n": [1],
            "s_bytes": {
                "b64": "AQI="
            },
            "t": "x"
        },
        {
            "b": false,
            "n": [-2],
            "s_bytes": {
                "b64": "YWI="
            },
            "t": "y"
        }
    ]
})");

  auto bad = MakeJsonFromTensors({{"a", Tensor::FromVector<float>({1, 2})}, {"b", Tensor::FromVector<float>({1})}},
                                 JsonPredictFormat::kRow);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS(bad.status().message(), "Tensor name: b has inconsistent batch size: 1 expecting: 2");
  bad = MakeJsonFromTensors({{"a", Tensor::Scalar<float>(1)}}, JsonPredictFormat::kRow);
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS(bad.status().message(), "Tensor name: a has no shape information");
  bad = MakeJsonFromTensors({}, JsonPredictFormat::kRow);
  ASSERT_FALSE(bad.ok());
}

TEST(JsonTensorTest, ExamplesInferFeatureTypesAsTfServingDoes) {
  tensorflow::serving::RegressionRequest request;
  Status s = FillRegressionRequestFromJson(
      R"({"signature_name": "r", "context": {"c": "ctx"},
          "examples": [{"f": 1.5, "i": [1, 2], "s": ["a", {"b64": "Yg=="}], "b": true}, {"f": [2.5, 3.5]}]})",
      &request);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(request.model_spec().signature_name(), "r");
  ASSERT_TRUE(request.input().has_example_list_with_context());
  const auto& list = request.input().example_list_with_context();
  EXPECT_EQ(list.context().features().feature().at("c").bytes_list().value(0), "ctx");
  ASSERT_EQ(list.examples_size(), 2);
  const auto& f0 = list.examples(0).features().feature();
  EXPECT_EQ(f0.at("f").float_list().value(0), 1.5f);
  EXPECT_EQ(f0.at("i").int64_list().value_size(), 2);
  EXPECT_EQ(f0.at("s").bytes_list().value(1), "b");
  EXPECT_EQ(f0.at("b").int64_list().value(0), 1);
  const auto& f1 = list.examples(1).features().feature();
  EXPECT_EQ(f1.at("f").float_list().value(1), 3.5f);

  tensorflow::serving::ClassificationRequest c;
  EXPECT_TRUE(FillClassificationRequestFromJson(R"({"examples": [{"x": 1}]})", &c).ok());
  EXPECT_TRUE(c.input().has_example_list());
  EXPECT_EQ(c.model_spec().signature_name(), "");
}

TEST(JsonTensorTest, ExampleErrors) {
  auto error = [](const std::string& body) {
    tensorflow::serving::RegressionRequest r;
    Status s = FillRegressionRequestFromJson(body, &r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
    return s.message();
  };
  EXPECT_HAS(error(R"({"context": {}})"), "key 'examples' is expected and was not found");
  EXPECT_HAS(error(R"({"examples": 1})"), "Expecting 'examples' value to be an list/array");
  EXPECT_HAS(error(R"({"examples": []})"), "'examples' value is an empty array");
  EXPECT_HAS(error(R"({"examples": [1]})"), "Example must be JSON object but got JSON Number");
  EXPECT_HAS(error(R"({"examples": [{"x": [1, "a"]}]})"),
             "Unexpected element type in feature: x expecting type: int64");
  EXPECT_HAS(error(R"({"examples": [{"x": [[1]]}]})"), "Feature: x has element with unexpected JSON type: Array");
  EXPECT_HAS(error(R"({"examples": [{"x": null}]})"), "Feature: x has element with unexpected JSON type: Null");
  EXPECT_HAS(error(R"({"examples": [{"x": 18446744073709551615}]})"), "has uint64 element. Only int64 is supported.");
  // 2.5 then 3: the list became float_list, and 3 is an int.
  EXPECT_HAS(error(R"({"examples": [{"f": [2.5, 3]}]})"),
             "Unexpected element type in feature: f expecting type: float");
}

TEST(JsonTensorTest, ClassifyAndRegressResults) {
  tensorflow::serving::ClassificationResult c;
  auto* cls = c.add_classifications()->add_classes();
  cls->set_label("");
  cls->set_score(12);
  auto r = MakeJsonFromClassificationResult(c);
  ASSERT_TRUE(r.ok());
  // Each example's list on one line, as TF Serving's writer leaves it.
  EXPECT_EQ(*r, "{\n    \"results\": [[[\"\", 12.0]]\n    ]\n}");
  tensorflow::serving::RegressionResult g;
  g.add_regressions()->set_value(42);
  g.add_regressions()->set_value(2.5);
  r = MakeJsonFromRegressionResult(g);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "{\n    \"results\": [42.0, 2.5]\n}");
  EXPECT_FALSE(MakeJsonFromRegressionResult({}).ok());
  EXPECT_FALSE(MakeJsonFromClassificationResult({}).ok());
}

TEST(JsonTensorTest, ErrorBodyIsValidJsonEvenForBinaryMessages) {
  EXPECT_EQ(MakeJsonFromStatus(InvalidArgument("bad \"x\"")), "{\n    \"error\": \"bad \\\"x\\\"\"\n}");
  EXPECT_EQ(MakeJsonFromStatus(InvalidArgument("a\xff" "b")), "{\n    \"error\": \"a?b\"\n}");
}

TEST(Base64Test, RoundTripsAndRejectsBadInput) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string out;
    ASSERT_TRUE(Base64Decode(Base64Encode(s), &out)) << s;
    EXPECT_EQ(out, s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  std::string out;
  EXPECT_TRUE(Base64Decode("aGVsbG8", &out));  // unpadded
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(Base64Decode("aGVsbG8*", &out));
  EXPECT_FALSE(Base64Decode("a", &out));
  EXPECT_FALSE(Base64Decode("aGVsbG8==", &out));
}

}  // namespace
}  // namespace savedmodel
