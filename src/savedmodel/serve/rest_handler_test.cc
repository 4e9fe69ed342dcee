// The REST handler and PredictionApi on TF Serving's own test models
// (../shared/testdata/tf_serving), with the answers TF Serving's REST tests
// and docs give (http_rest_api_handler_test.cc) or the models' math:
// half_plus_two is y = 0.5 * x + 2, y2 = 0.5 * x + 3, y3 = 0.5 * x2 + 3.
#include "savedmodel/serve/rest_handler.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>

#include "savedmodel/format/tensor_proto.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace tfs = tensorflow::serving;

// A fixed set of loaded versions: what the model manager provides, minus
// threads and file polling.
class FixedSource : public ServableSource {
 public:
  Status Add(const std::string& name, int64_t version, const std::string& dir) {
    ASSIGN_OR_RETURN(auto bundle, LoadSavedModel(dir, {"serve"}));
    auto s = std::make_shared<Servable>();
    s->name = name;
    s->version = version;
    s->bundle = std::move(bundle);
    models_[name][version] = std::move(s);
    return Status::OK();
  }
  void Label(const std::string& name, const std::string& label, int64_t version) { labels_[name][label] = version; }

  StatusOr<ServableHandle> Find(const tfs::ModelSpec& spec) const override {
    auto m = models_.find(spec.name());
    if (!spec.version_label().empty()) {
      auto l = labels_.find(spec.name());
      if (l == labels_.end() || !l->second.count(spec.version_label())) {
        return InvalidArgument("Unrecognized servable version label: " + spec.version_label());
      }
      return models_.at(spec.name()).at(l->second.at(spec.version_label()));
    }
    if (spec.has_version()) {
      if (m == models_.end() || !m->second.count(spec.version().value())) {
        return NotFound("Servable not found for request: Specific(" + spec.name() + ", " +
                        std::to_string(spec.version().value()) + ")");
      }
      return m->second.at(spec.version().value());
    }
    if (m == models_.end()) return NotFound("Servable not found for request: Latest(" + spec.name() + ")");
    return m->second.rbegin()->second;
  }

  Status GetModelStatus(const tfs::ModelSpec& spec, tfs::GetModelStatusResponse* response) const override {
    auto m = models_.find(spec.name());
    if (m == models_.end()) return NotFound("Could not find any versions of model " + spec.name());
    for (const auto& [version, servable] : m->second) {
      if (spec.has_version() && spec.version().value() != version) continue;
      auto* st = response->add_model_version_status();
      st->set_version(version);
      st->set_state(tfs::ModelVersionStatus::AVAILABLE);
      st->mutable_status();
    }
    if (response->model_version_status_size() == 0) {
      return NotFound("Could not find version " + std::to_string(spec.version().value()) + " of model " +
                      spec.name());
    }
    return Status::OK();
  }

 private:
  std::map<std::string, std::map<int64_t, ServableHandle>> models_;
  std::map<std::string, std::map<std::string, int64_t>> labels_;
};

// Runs on the bundle directly, as the server does without batching.
class BundleRunner : public PredictRunner {
 public:
  StatusOr<std::map<std::string, Tensor>> Run(const ServableHandle& servable, const std::string& signature_key,
                                              const std::map<std::string, Tensor>& inputs,
                                              const std::vector<std::string>& output_filter) override {
    return servable->bundle->Predict(signature_key, inputs, output_filter);
  }
};

// Parses JSON into a protobuf Value so documents compare by content (object
// keys in any order, numbers by value).
google::protobuf::Value ParseJson(const std::string& json) {
  google::protobuf::Value v;
  auto s = google::protobuf::util::JsonStringToMessage(json, &v);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in: " << json;
  return v;
}

#define EXPECT_JSON_EQ(got, want)                                                                          \
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ParseJson(got), ParseJson(want))) \
      << "got: " << (got) << "\nwant: " << (want)

class RestHandlerTest : public ::testing::Test {
 protected:
  // Loads `rel` (a version directory under testdata) as model `name`; skips
  // the test when the testdata is absent.
  bool Load(const std::string& name, int64_t version, const std::string& rel) {
    const auto dir = testing::TestDataDir() / rel;
    if (testing::TestDataDir().empty() || !std::filesystem::exists(dir)) return false;
    Status s = source_.Add(name, version, dir.string());
    EXPECT_TRUE(s.ok()) << rel << ": " << s;
    return s.ok();
  }
  RestResponse Post(const std::string& path, const std::string& body) { return handler_.Handle("POST", path, body); }
  RestResponse Get(const std::string& path) { return handler_.Handle("GET", path, ""); }

  FixedSource source_;
  BundleRunner runner_;
  PredictionApi api_{&source_, &runner_};
  std::mutex mu_;
  std::vector<std::string> calls_;
  RestHandler handler_{&source_, &api_,
                       [this](std::string_view model, std::string_view api, const Status& s, double seconds) {
                         std::lock_guard<std::mutex> lock(mu_);
                         EXPECT_GE(seconds, 0);
                         calls_.push_back(std::string(model) + " " + std::string(api) + " " +
                                          std::string(StatusCodeName(s.code())));
                       },
                       RestHandlerOptions{1 << 20}};
};

#define REQUIRE_MODEL(name, version, rel) \
  if (!Load(name, version, rel)) GTEST_SKIP() << "test data not found: " << (rel)

TEST_F(RestHandlerTest, HalfPlusTwoAnswersInEveryVariant) {
  const std::vector<std::string> variants = {
      "saved_model_half_plus_two_cpu/00000123",      "saved_model_half_plus_two_tf2_cpu/00000123",
      "saved_model_half_plus_two_mkl/00000123",      "saved_model_half_plus_two_gpu/00000123",
      "saved_model_half_plus_two_2_versions/00000123", "saved_model_half_plus_two_2_versions/00000124",
      "saved_model_half_plus_two_cpu_with_saved_model_config/00000123"};
  for (const auto& v : variants) {
    // Served as "<dir>-<version>"; the name travels percent-encoded once.
    std::string name = v;
    name[name.find('/')] = '-';
    REQUIRE_MODEL(name, 1, "tf_serving/" + v);
    std::string encoded = name;
    encoded.replace(encoded.find('-'), 1, "%2D");
    RestResponse r = Post("/v1/models/" + encoded + ":predict", R"({"instances": [1.0, 2.0, 5.0]})");
    EXPECT_EQ(r.http_status, 200) << v << ": " << r.body;
    EXPECT_JSON_EQ(r.body, R"({"predictions": [2.5, 3.0, 4.5]})");
    EXPECT_EQ(r.content_type, "application/json");
  }
  // half_plus_three: y = 0.5 * x + 3.
  REQUIRE_MODEL("three", 123, "tf_serving/saved_model_half_plus_three/00000123");
  RestResponse r = Post("/v1/models/three:predict", R"({"instances": [1.0, 2.0, 5.0]})");
  EXPECT_EQ(r.http_status, 200) << r.body;
  EXPECT_JSON_EQ(r.body, R"({"predictions": [3.5, 4.0, 5.5]})");
}

TEST_F(RestHandlerTest, PredictFormatsVersionsAndLabels) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_2_versions/00000123");
  REQUIRE_MODEL("hpt", 124, "tf_serving/saved_model_half_plus_two_2_versions/00000124");
  source_.Label("hpt", "stable", 123);
  // TF Serving's REST test requests and answers.
  RestResponse r = Post("/v1/models/hpt:predict", R"({"instances": [[1.0, 2.0], [3.0, 4.0]]})");
  EXPECT_JSON_EQ(r.body, R"({"predictions": [[2.5, 3.0], [3.5, 4.0]]})");
  r = Post("/v1/models/hpt/versions/123:predict", R"({"instances": [1.0, 2.0]})");
  EXPECT_JSON_EQ(r.body, R"({"predictions": [2.5, 3.0]})");
  r = Post("/v1/models/hpt/labels/stable:predict", R"({"instances": [1.0, 2.0]})");
  EXPECT_JSON_EQ(r.body, R"({"predictions": [2.5, 3.0]})");
  r = Post("/V1/Models/hpt/Versions/124:PREDICT", R"({"signature_name": "serving_default", "instances": [3.0, 4.0]})");
  EXPECT_JSON_EQ(r.body, R"({"predictions": [3.5, 4.0]})");
  r = Post("/v1/models/hpt/versions/123:predict", R"({"signature_name": "serving_default", "inputs": [3.0, 4.0]})");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_JSON_EQ(r.body, R"({"outputs": [3.5, 4.0]})");
  r = Post("/v1/models/hpt:predict", R"({"inputs": {"x": [[10.0], [-1.0]]}})");
  EXPECT_JSON_EQ(r.body, R"({"outputs": [[7.0], [1.5]]})");
  // The exact text TF Serving writes for the canonical request.
  r = Post("/v1/models/hpt:predict", R"({"instances": [1.0, 2.0, 5.0]})");
  EXPECT_EQ(r.body, "{\n    \"predictions\": [2.5, 3.0, 4.5\n    ]\n}");
}

TEST_F(RestHandlerTest, ClassifyAndRegress) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  // TF Serving's REST test: x=80 -> 42; classify x=20 -> [["", 12]].
  RestResponse r = Post("/v1/models/hpt:regress", R"({"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]})");
  EXPECT_EQ(r.http_status, 200) << r.body;
  EXPECT_JSON_EQ(r.body, R"({"results": [42]})");
  r = Post("/v1/models/hpt:classify", R"({"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}]})");
  EXPECT_EQ(r.http_status, 200) << r.body;
  EXPECT_JSON_EQ(r.body, R"({"results": [[["", 12]]]})");
  r = Post("/v1/models/hpt/versions/123:classify",
           R"({"signature_name": "classify_x_to_y", "examples": [{"x": 10.0}, {"x": -4}]})");
  // -4 is an int: an int64_list, which the float feature x refuses.
  EXPECT_EQ(r.http_status, 400) << r.body;
  r = Post("/v1/models/hpt:classify",
           R"({"signature_name": "classify_x_to_y", "examples": [{"x": 10.0}, {"x": -4.0}]})");
  EXPECT_JSON_EQ(r.body, R"({"results": [[["", 7]], [["", 0]]]})");
  // y2 = 0.5 * x + 3, y3 = 0.5 * x2 + 3.
  r = Post("/v1/models/hpt:regress", R"({"signature_name": "regress_x_to_y2", "examples": [{"x": 1.0}, {"x": 3.0}]})");
  EXPECT_JSON_EQ(r.body, R"({"results": [3.5, 4.5]})");
  // The context's features join every example; an example's own value wins.
  r = Post("/v1/models/hpt:regress",
           R"({"signature_name": "regress_x_to_y2", "context": {"x": 1.0}, "examples": [{"y": 0.5}, {"x": 9.0}]})");
  EXPECT_JSON_EQ(r.body, R"({"results": [3.5, 7.5]})");
  // regress_x2_to_y3 takes the float x2 itself, not tf.Examples: TF Serving
  // answers it through Predict, and a Regress feeds it strings.
  r = Post("/v1/models/hpt:predict", R"({"signature_name": "regress_x2_to_y3", "instances": [[5.0], [-2.0]]})");
  EXPECT_JSON_EQ(r.body, R"({"predictions": [[5.5], [2.0]]})");
  r = Post("/v1/models/hpt:regress", R"({"signature_name": "regress_x2_to_y3", "examples": [{"x2": 5.0}]})");
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.body.find("Expects arg[0] to be float but string is provided"), std::string::npos) << r.body;
  // Regress on a classify signature: it has no "outputs".
  r = Post("/v1/models/hpt:regress", R"({"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}]})");
  EXPECT_EQ(r.http_status, 400);
  EXPECT_NE(r.body.find("No regression outputs found in SignatureDef 'classify_x_to_y'"), std::string::npos)
      << r.body;
}

TEST_F(RestHandlerTest, TheTf2ExportClassifiesAndRegresses) {
  REQUIRE_MODEL("tf2", 123, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  RestResponse r = Post("/v1/models/tf2:regress", R"({"signature_name": "regress_x_to_y", "examples": [{"x": 80.0}]})");
  EXPECT_JSON_EQ(r.body, R"({"results": [42]})");
  r = Post("/v1/models/tf2:classify", R"({"signature_name": "classify_x_to_y", "examples": [{"x": 20.0}]})");
  EXPECT_JSON_EQ(r.body, R"({"results": [[["", 12]]]})");
}

// ML.NET's identity model over 11 dtypes (TF 1.9): every output equals its
// input, so each dtype's JSON decoding and encoding round-trips, in both
// formats. Its signature feeds u8/u16/u32 into the i8/i16/i32 placeholders,
// so those pairs carry the same values.
TEST_F(RestHandlerTest, EveryNumericDtypeRoundTripsThroughJson) {
  REQUIRE_MODEL("types", 1, "corpus/mlnet_types_test");
  const std::string row0 = R"("b": [true, false], "f32": [0.5, -1e-07], "f64": [0.1, 1e+300], "i16": [-32768, 7],
      "i32": [2147483647, -1], "i64": [9007199254740993, -9223372036854775808], "i8": [-128, 127],
      "u16": [-32768, 7], "u32": [2147483647, -1], "u64": [18446744073709551615, 0], "u8": [-128, 127])";
  RestResponse r = Post("/v1/models/types:predict", "{\"instances\": [{" + row0 + "}]}");
  ASSERT_EQ(r.http_status, 200) << r.body;
  // Compared as text: JSON numbers past 2^53 do not survive a double.
  EXPECT_NE(r.body.find(R"("o_i64": [9007199254740993, -9223372036854775808])"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("o_u64": [18446744073709551615, 0])"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("o_f32": [0.5, -1e-07])"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("o_f64": [0.1, 1e+300])"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("o_b": [true, false])"), std::string::npos) << r.body;

  r = Post("/v1/models/types:predict", "{\"inputs\": {" + row0 + "}}");
  ASSERT_EQ(r.http_status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("o_i8": [)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("-128,"), std::string::npos) << r.body;
  // Out of range for the dtype: refused, not wrapped.
  std::string bad = row0;
  bad.replace(bad.find("[-128, 127]"), 11, "[-129, 127]");
  r = Post("/v1/models/types:predict", "{\"inputs\": {" + bad + "}}");
  EXPECT_EQ(r.http_status, 400) << r.body;
  EXPECT_NE(r.body.find("is not of expected type: int8"), std::string::npos) << r.body;
}

TEST_F(RestHandlerTest, MetadataEqualsTfServings) {
  REQUIRE_MODEL("default", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  const std::string want =
      testing::ReadFileOrDie(testing::TestDataDir() / "tf_serving/half_plus_two_model_metadata.json");
  RestResponse r = Get("/v1/models/default/versions/123/metadata");
  EXPECT_EQ(r.http_status, 200) << r.body;
  EXPECT_JSON_EQ(r.body, want);
  r = Get("/v1/models/default/metadata");
  EXPECT_JSON_EQ(r.body, want);

  REQUIRE_MODEL("saved_model_half_plus_two_2_versions", 123,
                "tf_serving/saved_model_half_plus_two_2_versions/00000123");
  r = Get("/v1/models/saved_model_half_plus_two_2_versions/versions/123/metadata");
  EXPECT_JSON_EQ(r.body, testing::ReadFileOrDie(testing::TestDataDir() /
                                                "tf_serving/saved_model_half_plus_two_2_versions_metadata.json"));
}

TEST_F(RestHandlerTest, MetadataOfTheTf2ExportEqualsTfServings) {
  REQUIRE_MODEL("saved_model_half_plus_two_2_versions", 123, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  RestResponse r = Get("/v1/models/saved_model_half_plus_two_2_versions/metadata");
  EXPECT_EQ(r.http_status, 200) << r.body;
  google::protobuf::Value got = ParseJson(r.body);
  // TF Serving's file omits the (empty) defaults of the init-op signature
  // only, as the CLI's metadata test notes.
  auto* sigs = (*(*(*got.mutable_struct_value()->mutable_fields())["metadata"].mutable_struct_value()
                       ->mutable_fields())["signature_def"].mutable_struct_value()->mutable_fields())["signature_def"]
                   .mutable_struct_value()->mutable_fields();
  auto* init = (*sigs)["__saved_model_init_op"].mutable_struct_value()->mutable_fields();
  ASSERT_TRUE(init->count("defaults")) << r.body;
  init->erase("defaults");
  const google::protobuf::Value want = ParseJson(testing::ReadFileOrDie(
      testing::TestDataDir() / "tf_serving/saved_model_half_plus_two_tf2_2_versions_metadata.json"));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, want)) << r.body;
}

TEST_F(RestHandlerTest, ModelStatusHasTfServingsShape) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_2_versions/00000123");
  REQUIRE_MODEL("hpt", 124, "tf_serving/saved_model_half_plus_two_2_versions/00000124");
  RestResponse r = Get("/v1/models/hpt/versions/123");
  EXPECT_EQ(r.http_status, 200) << r.body;
  EXPECT_JSON_EQ(r.body, R"({"model_version_status": [{"version": "123", "state": "AVAILABLE",
                             "status": {"error_code": "OK", "error_message": ""}}]})");
  r = Get("/v1/models/hpt");
  EXPECT_JSON_EQ(r.body, R"({"model_version_status": [
      {"version": "123", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
      {"version": "124", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})");
  r = Get("/v1/models/nope");
  EXPECT_EQ(r.http_status, 404);
}

// Hostile and mistaken requests: a 4xx with a sensible message, never a
// crash or a 5xx.
TEST_F(RestHandlerTest, BadRequestsGet4xxWithMessages) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  source_.Label("hpt", "stable", 123);
  struct Case {
    std::string method, path, body;
    int status;
    std::string message;
  };
  const std::string p = "/v1/models/hpt:predict";
  const std::vector<Case> cases = {
      {"POST", p, "", 400, "JSON Parse error: The document is empty"},
      {"POST", p, "instances = [1, 2]", 400, "JSON Parse error: Invalid value"},
      {"POST", p, R"({"instances": [1.0, 2.0)", 400, "JSON Parse error"},
      {"POST", p, R"({"instances": ["x", "y"]})", 400, "not of expected type: float"},
      {"POST", p, R"({"instances": [[1.0], 2.0]})", 400, "Expecting shape [1] but got: []"},
      {"POST", p, R"({"instances": [true]})", 400, "is not of expected type: float"},
      {"POST", p, R"({"instances": [1e300]})", 400, "without loss of precision"},
      {"POST", p, R"({"instances": [1e999]})", 400, "Number too big"},
      {"POST", p, "{\"instances\": " + std::string(5000, '[') + std::string(5000, ']') + "}", 400, "nesting deeper"},
      {"POST", p, R"({"instances": {"x": 1}})", 400, "Excepting 'instances' to be an list/array"},
      {"POST", p, R"({"inputs": {"y": [1.0]}})", 400, "Missing named input: x in 'inputs' object."},
      {"POST", p, R"({"instances": [{"y": 1.0}]})", 400, "does not have named input: y"},
      {"POST", p, R"({"signature_name": 100})", 400, "'signature_name' key must be a string value."},
      {"POST", p, R"({"signature_name": "nope", "instances": [1.0]})", 400,
       "Serving signature name: \"nope\" not found in signature def"},
      {"POST", p, R"({"signature_name": "regress_x_to_y", "instances": [1.0]})", 400,
       "Type: Number is not of expected type: string"},
      {"POST", p, "[1.0]", 400, "Is not object"},
      {"POST", p, "{}", 400, "Missing 'inputs' or 'instances' key"},
      {"POST", "/v1/models/nope:predict", R"({"instances": [1.0]})", 404,
       "Servable not found for request: Latest(nope)"},
      {"POST", "/v1/models/hpt/versions/99:predict", R"({"instances": [1.0]})", 404,
       "Servable not found for request: Specific(hpt, 99)"},
      {"POST", "/v1/models/hpt/labels/nope:predict", R"({"instances": [1.0]})", 400,
       "Unrecognized servable version label: nope"},
      {"POST", "/v1/models/hpt/versions/99999999999999999999:predict", "{}", 400, "Failed to convert version"},
      {"POST", "/v1/models/hpt:classify", R"({"examples": [{"x": 1.0}]})", 400,
       "No classification inputs found in SignatureDef 'serving_default'"},
      {"POST", "/v1/models/hpt:classify", R"({"signature_name": "nope", "examples": [{"x": 1.0}]})", 400,
       "No signature was found with the name: nope"},
      {"POST", "/v1/models/hpt:regress", R"({"signature_name": "regress_x_to_y", "examples": [{"x": "a"}]})", 400,
       ""},
      {"POST", "/v1/models/hpt:regress", R"({"signature_name": "regress_x_to_y", "examples": []})", 400,
       "'examples' value is an empty array"},
      {"GET", "/v1/models", "", 400, "Missing model name in request."},
      {"GET", "/v1/foo", "", 400, "Malformed request: GET /v1/foo"},
      {"POST", "/v1/foo", "", 400, "Malformed request"},
      {"GET", "/v1/models/debug/model_name", "", 400, "Malformed request"},
      {"POST", "/v1/models", "", 400, "Malformed request"},
      {"GET", "/v1/models/foo:predict", "", 400, "Malformed request"},
      {"POST", "/v1/models/foo/version/50:regress", "", 400, "Malformed request"},
      {"POST", "/v1/models/foo/versions/HELLO:regress", "", 400, "Malformed request"},
      {"POST", "/v1/models/foo/metadata", "", 400, "Malformed request"},
      {"POST", "/v1/models/foo/label/some_label:regress", "", 400, "Malformed request"},
      {"POST", "/v1/models/foo/versions/50/labels/l:regress", "", 400, "Malformed request"},
      {"POST", "/v1/models/hpt:explain", "{}", 400, "Malformed request"},
      {"DELETE", "/v1/models/hpt", "", 400, "Malformed request: DELETE /v1/models/hpt"},
      {"GET", "/v1/models/nope/metadata", "", 404, "Servable not found"},
      {"GET", "/v1/models/hpt/labels/nope/metadata", "", 400, "Unrecognized servable version label"},
      {"GET", std::string("/v1/models/\xff\xfe"), "", 404, "Could not find any versions of model ??"},
      {"POST", p, std::string(2 << 20, ' '), 413, "over the limit of 1048576 bytes"},
  };
  for (const auto& c : cases) {
    RestResponse r = handler_.Handle(c.method, c.path, c.body);
    const std::string what = c.method + " " + c.path.substr(0, 80) + " " + c.body.substr(0, 80);
    EXPECT_EQ(r.http_status, c.status) << what << " -> " << r.body;
    google::protobuf::Value v = ParseJson(r.body);
    ASSERT_TRUE(v.has_struct_value()) << what << " -> " << r.body;
    const auto& fields = v.struct_value().fields();
    ASSERT_TRUE(fields.count("error")) << r.body;
    EXPECT_NE(fields.at("error").string_value().find(c.message), std::string::npos) << what << " -> " << r.body;
  }
}

// Seeded random edits of valid bodies and paths (bytes dropped, duplicated,
// replaced by JSON punctuation): each answer is a JSON body with a status
// below 500, so no malformed request reaches an internal error or a crash.
TEST_F(RestHandlerTest, MutatedRequestsNeverGetServerErrors) {
  REQUIRE_MODEL("m", 1, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  const std::vector<std::string> seeds = {
      R"({"instances": [1.0, 2.0, 5.0]})",
      R"({"inputs": {"x": [[1.0], [2.0]]}, "signature_name": "serving_default"})",
      R"({"signature_name": "regress_x_to_y", "context": {"x": 1.0}, "examples": [{"x": 80.0}, {"x": [1, 2]}]})",
      R"({"signature_name": "classify_x_to_y", "examples": [{"x": {"b64": "aGk="}}, {"x": [1e3, NaN]}]})"};
  const std::vector<std::string> paths = {"/v1/models/m:predict", "/v1/models/m:regress", "/v1/models/m:classify",
                                          "/v1/models/m/versions/1:predict", "/v1/models/m/versions/1/metadata"};
  const std::string alphabet = "[]{}\",:0123456789.eE-+ntfabxNIy\\ %/";
  std::mt19937 rng(20261204);
  for (int i = 0; i < 3000; ++i) {
    std::string body = seeds[rng() % seeds.size()];
    std::string path = paths[rng() % paths.size()];
    std::string* target = rng() % 4 == 0 ? &path : &body;
    for (int m = 1 + rng() % 6; m > 0 && !target->empty(); --m) {
      const size_t pos = rng() % target->size();
      switch (rng() % 4) {
        case 0: (*target)[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: target->erase(pos, 1 + rng() % 4); break;
        case 2: target->insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        default: target->insert(pos, target->substr(rng() % target->size(), 1 + rng() % 20)); break;
      }
    }
    RestResponse r = handler_.Handle(rng() % 8 ? "POST" : "GET", path, body);
    ASSERT_LT(r.http_status, 500) << path << " " << body << " -> " << r.body;
    ASSERT_TRUE(ParseJson(r.body).has_struct_value()) << path << " " << body << " -> " << r.body;
  }
}

TEST_F(RestHandlerTest, MetricsHookSeesEveryRequestThatNamesAModel) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  Post("/v1/models/hpt:predict", R"({"instances": [1.0]})");
  Post("/v1/models/hpt:predict", "");
  Post("/v1/models/hpt:regress", R"({"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}]})");
  Get("/v1/models/hpt/metadata");
  Get("/v1/models/nope");
  Get("/v1/foo");
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(calls_, (std::vector<std::string>{"hpt predict OK", "hpt predict INVALID_ARGUMENT", "hpt regress OK",
                                              "hpt get_model_metadata OK", "nope get_model_status NOT_FOUND"}));
}

TEST(RestHandlerCodesTest, OneMappingFromCanonicalCodesToHttp) {
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kCancelled), 499);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kAborted), 409);
}

// ---- the gRPC-shaped calls ----

class PredictionApiTest : public RestHandlerTest {};

TEST_F(PredictionApiTest, PredictFillsModelSpecAndOutputs) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  tfs::PredictRequest req;
  req.mutable_model_spec()->set_name("hpt");
  TensorToProto(Tensor::FromVector<float>({1, 2, 5}), &(*req.mutable_inputs())["x"], false);
  tfs::PredictResponse resp;
  Status s = api_.Predict(req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.model_spec().name(), "hpt");
  EXPECT_EQ(resp.model_spec().version().value(), 123);
  EXPECT_EQ(resp.model_spec().signature_name(), "serving_default");
  auto y = TensorFromProto(resp.outputs().at("y"));
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(y->Equals(Tensor::FromVector<float>({2.5f, 3.0f, 4.5f})));
  EXPECT_EQ(resp.outputs().at("y").float_val_size(), 3);  // typed fields, as TF Serving's AsProtoField

  auto error = [&](tfs::PredictRequest r) {
    tfs::PredictResponse out;
    return api_.Predict(r, &out);
  };
  tfs::PredictRequest bad = req;
  bad.mutable_model_spec()->set_signature_name("nope");
  s = error(bad);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "Serving signature key \"nope\" not found.");
  bad = req;
  (*bad.mutable_inputs())["z"] = req.inputs().at("x");
  s = error(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. Missing but "
            "required: {}.");
  bad = req;
  bad.mutable_inputs()->clear();
  (*bad.mutable_inputs())["z"] = req.inputs().at("x");
  s = error(bad);
  EXPECT_EQ(s.message(), "input tensor alias not found in signature: z. Inputs expected to be in the set {x}.");
  bad = req;
  TensorToProto(Tensor::FromVector<int64_t>({1}), &(*bad.mutable_inputs())["x"], false);
  s = error(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Expects arg[0] to be float but int64 is provided");
  bad = req;
  bad.add_output_filter("nope");
  s = error(bad);
  EXPECT_EQ(s.message(), "output tensor alias not found in signature: nope Outputs expected to be in the set {y}.");
  bad = req;
  bad.add_output_filter("y");
  bad.add_output_filter("y");
  EXPECT_EQ(error(bad).message(), "duplicate output tensor alias: y");
  bad = req;
  (*bad.mutable_inputs())["x"].mutable_tensor_shape()->mutable_dim(0)->set_size(1);
  EXPECT_EQ(error(bad).message(), "tensor parsing error: x");
  bad = req;
  bad.mutable_model_spec()->mutable_version()->set_value(5);
  EXPECT_EQ(error(bad).code(), StatusCode::kNotFound);
}

TEST_F(PredictionApiTest, ClassifyRegressAndMultiInference) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto add_x = [](tensorflow::Example* e, const char* name, float v) {
    (*e->mutable_features()->mutable_feature())[name].mutable_float_list()->add_value(v);
  };
  tfs::ClassificationRequest c;
  c.mutable_model_spec()->set_name("hpt");
  c.mutable_model_spec()->set_signature_name("classify_x_to_y");
  add_x(c.mutable_input()->mutable_example_list()->add_examples(), "x", 20);
  tfs::ClassificationResponse cr;
  Status s = api_.Classify(c, &cr);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(cr.result().classifications_size(), 1);
  EXPECT_EQ(cr.result().classifications(0).classes(0).score(), 12.0f);
  EXPECT_EQ(cr.model_spec().signature_name(), "classify_x_to_y");
  EXPECT_EQ(cr.model_spec().version().value(), 123);

  tfs::RegressionRequest g;
  g.mutable_model_spec()->set_name("hpt");
  g.mutable_model_spec()->set_signature_name("regress_x_to_y2");
  auto* ctx = g.mutable_input()->mutable_example_list_with_context();
  add_x(ctx->mutable_context(), "x", 4);
  ctx->add_examples();
  add_x(ctx->add_examples(), "x", 10);
  tfs::RegressionResponse gr;
  s = api_.Regress(g, &gr);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(gr.result().regressions_size(), 2);
  EXPECT_EQ(gr.result().regressions(0).value(), 5.0f);  // 0.5 * 4 + 3 from the context
  EXPECT_EQ(gr.result().regressions(1).value(), 8.0f);  // the example's own x = 10

  tfs::RegressionRequest empty = g;
  empty.mutable_input()->Clear();
  EXPECT_EQ(api_.Regress(empty, &gr).message(), "RegressionRequest::input is empty.");

  tfs::MultiInferenceRequest m;
  auto* t1 = m.add_tasks();
  t1->mutable_model_spec()->set_name("hpt");
  t1->mutable_model_spec()->set_signature_name("regress_x_to_y");
  t1->set_method_name("tensorflow/serving/regress");
  auto* t2 = m.add_tasks();
  t2->mutable_model_spec()->set_name("hpt");
  t2->mutable_model_spec()->set_signature_name("classify_x_to_y");
  t2->set_method_name("tensorflow/serving/classify");
  add_x(m.mutable_input()->mutable_example_list()->add_examples(), "x", 2);
  tfs::MultiInferenceResponse mr;
  s = api_.MultiInference(m, &mr);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(mr.results_size(), 2);
  EXPECT_EQ(mr.results(0).regression_result().regressions(0).value(), 3.0f);
  EXPECT_EQ(mr.results(1).classification_result().classifications(0).classes(0).score(), 3.0f);
  EXPECT_EQ(mr.results(1).model_spec().signature_name(), "classify_x_to_y");

  tfs::MultiInferenceRequest bad = m;
  bad.mutable_tasks(1)->mutable_model_spec()->set_name("other");
  EXPECT_EQ(api_.MultiInference(bad, &mr).message(),
            "All ModelSpecs in a MultiInferenceRequest must access the same model name.");
  bad = m;
  bad.mutable_tasks(1)->mutable_model_spec()->set_signature_name("regress_x_to_y");
  EXPECT_EQ(api_.MultiInference(bad, &mr).message(), "Duplicate evaluation of signature: regress_x_to_y");
  bad = m;
  bad.mutable_tasks(1)->set_method_name("tensorflow/serving/predict");
  EXPECT_EQ(api_.MultiInference(bad, &mr).code(), StatusCode::kUnimplemented);
  bad.clear_tasks();
  EXPECT_EQ(api_.MultiInference(bad, &mr).code(), StatusCode::kInvalidArgument);
}

TEST_F(PredictionApiTest, GetModelMetadata) {
  REQUIRE_MODEL("hpt", 123, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  tfs::GetModelMetadataRequest req;
  req.mutable_model_spec()->set_name("hpt");
  tfs::GetModelMetadataResponse resp;
  EXPECT_EQ(api_.GetModelMetadata(req, &resp).message(),
            "GetModelMetadataRequest must specify at least one metadata_field");
  req.add_metadata_field("signature_def");
  Status s = api_.GetModelMetadata(req, &resp);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.model_spec().version().value(), 123);
  tfs::SignatureDefMap map;
  ASSERT_TRUE(resp.metadata().at("signature_def").UnpackTo(&map));
  EXPECT_EQ(map.signature_def_size(), 5);
  EXPECT_EQ(map.signature_def().at("serving_default").inputs().at("x").name(), "x:0");
  req.add_metadata_field("foo");
  EXPECT_EQ(api_.GetModelMetadata(req, &resp).message(), "Metadata field foo is not supported");
}

}  // namespace
}  // namespace savedmodel
