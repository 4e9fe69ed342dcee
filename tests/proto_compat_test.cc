// Checks that our .proto files under proto/ are wire-compatible with the
// TensorFlow-written files in ../shared/testdata: every message parses, and no
// field or enum value is left unknown anywhere in the tree.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "tensorflow/core/protobuf/fingerprint.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/servables/tensorflow/saved_model_config.pb.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using savedmodel::testing::ReadFileOrDie;
using savedmodel::testing::TestDataDir;

// Every file under the test data whose name is `name`, sorted.
std::vector<fs::path> FindFiles(const std::string& name) {
  std::vector<fs::path> out;
  const fs::path root = TestDataDir();
  if (root.empty()) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().filename() == name) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Rel(const fs::path& p) { return fs::relative(p, TestDataDir()).string(); }

bool IsFuzzModel(const fs::path& p) {
  for (const auto& part : p) {
    if (part.string().rfind("tf_fuzz_", 0) == 0) return true;
  }
  return false;
}

// Appends a description of every unknown field and unknown enum value found in
// `msg` or any message below it (repeated fields and map entries included).
void CollectUnknown(const pb::Message& msg, const std::string& path,
                    std::vector<std::string>* problems) {
  const pb::Reflection* refl = msg.GetReflection();
  const pb::UnknownFieldSet& unknown = refl->GetUnknownFields(msg);
  for (int i = 0; i < unknown.field_count(); ++i) {
    problems->push_back(path + ": unknown field #" + std::to_string(unknown.field(i).number()) +
                        " in " + msg.GetDescriptor()->full_name());
  }
  std::vector<const pb::FieldDescriptor*> fields;
  refl->ListFields(msg, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    const std::string fpath = path + "." + f->name();
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < refl->FieldSize(msg, f); ++i) {
          CollectUnknown(refl->GetRepeatedMessage(msg, f, i),
                         fpath + "[" + std::to_string(i) + "]", problems);
        }
      } else {
        CollectUnknown(refl->GetMessage(msg, f), fpath, problems);
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
      // proto3 enums are open: an unknown number is kept in the field rather
      // than in the unknown-field set, so check it against our enum here.
      auto check = [&](int v) {
        if (f->enum_type()->FindValueByNumber(v) == nullptr) {
          problems->push_back(fpath + ": unknown value " + std::to_string(v) + " of " +
                              f->enum_type()->full_name());
        }
      };
      if (f->is_repeated()) {
        for (int i = 0; i < refl->FieldSize(msg, f); ++i) check(refl->GetRepeatedEnumValue(msg, f, i));
      } else {
        check(refl->GetEnumValue(msg, f));
      }
    }
  }
}

std::string Join(const std::vector<std::string>& v, size_t max = 20) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += "  " + v[i] + "\n";
  if (v.size() > max) s += "  ... and " + std::to_string(v.size() - max) + " more\n";
  return s;
}

std::string SerializeDeterministic(const pb::Message& msg) {
  std::string out;
  pb::io::StringOutputStream sos(&out);
  pb::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  msg.SerializeToCodedStream(&cos);
  cos.Trim();
  return out;
}

#define REQUIRE_TESTDATA()                                                            \
  if (TestDataDir().empty())                                                          \
  GTEST_SKIP() << "no test data (needs ../shared/testdata beside the checkout)"

// The walker itself must see unknowns deep in the tree (here inside a map entry
// value) and unknown enum numbers.
TEST(ProtoCompat, UnknownFieldWalkerFindsNestedUnknowns) {
  tensorflow::SavedModel sm;
  auto* node = sm.add_meta_graphs()->mutable_graph_def()->add_node();
  auto& attr = (*node->mutable_attr())["T"];
  attr.GetReflection()->MutableUnknownFields(&attr)->AddVarint(99, 1);
  std::vector<std::string> problems;
  CollectUnknown(sm, "SavedModel", &problems);
  ASSERT_EQ(problems.size(), 1u) << Join(problems);
  EXPECT_NE(problems[0].find("#99"), std::string::npos) << problems[0];

  tensorflow::SavedModel sm2;
  sm2.add_meta_graphs()->mutable_graph_def()->add_node()->mutable_attr()->operator[]("T").set_type(
      static_cast<tensorflow::DataType>(77));
  problems.clear();
  CollectUnknown(sm2, "SavedModel", &problems);
  EXPECT_EQ(problems.size(), 1u) << Join(problems);
}

TEST(ProtoCompat, EveryBinarySavedModelParsesWithNoUnknownFields) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("saved_model.pb");
  ASSERT_FALSE(files.empty());
  int fuzz = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(Rel(path));
    // The tf_fuzz_* models are broken only at the graph level (bad attr, Const
    // without value, negative dims); on the wire they are ordinary
    // SavedModels, so they get the same checks as the others.
    if (IsFuzzModel(path)) ++fuzz;
    const std::string bytes = ReadFileOrDie(path);
    tensorflow::SavedModel sm;
    ASSERT_TRUE(sm.ParseFromString(bytes)) << "wire-level parse failed";
    EXPECT_GT(sm.meta_graphs_size(), 0);
    std::vector<std::string> problems;
    CollectUnknown(sm, "SavedModel", &problems);
    EXPECT_TRUE(problems.empty()) << Join(problems);
  }
  EXPECT_EQ(fuzz, 3) << "expected the three tf_fuzz_* models in the corpus";
  RecordProperty("saved_model_pb_count", static_cast<int>(files.size()));
}

// Files for which our deterministic serialization reproduces the file byte for
// byte. They were written by TF 2.x's saver, which serializes deterministically.
// The other files hold exactly the same bytes in another order (checked below
// by size and by equality after a round trip): the TF 1.x builder wrote map
// entries (mostly NodeDef.attr) in hash order, and
// saved_model_half_plus_two_tf2_cpu has MetaGraphDef fields out of number order
// (object_graph_def, field 7, comes first), so it was not written by a
// canonical serializer either.
const char* const kCanonicalSavedModels[] = {
    "corpus/cppflow_lexci_cnn/saved_model.pb",
    "corpus/mnist_mlp_tf2_4/saved_model.pb",
    "corpus/rnn_series_gru_tf2_6/saved_model.pb",
    "corpus/rossman_sharded_vars_tf2_2/saved_model.pb",
    "corpus/text_vectorization_tf2_10/saved_model.pb",
    "corpus/tf_asset_module/saved_model.pb",
    "corpus/tf_static_hashtable_module/saved_model.pb",
    "corpus/tf_vars_and_arithmetic_object_graph/saved_model.pb",
    "corpus/tfc_simple_while_loop/saved_model.pb",
    "corpus/tfc_uninitialized_variable/saved_model.pb",
    "tf_serving/saved_model_half_plus_two_cpu_with_saved_model_config/00000123/saved_model.pb",
};

TEST(ProtoCompat, BinarySavedModelsReserializeToTheSameBytes) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("saved_model.pb");
  ASSERT_FALSE(files.empty());
  int exact = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(Rel(path));
    const std::string bytes = ReadFileOrDie(path);
    tensorflow::SavedModel sm;
    ASSERT_TRUE(sm.ParseFromString(bytes));
    const std::string ours = SerializeDeterministic(sm);
    // Nothing dropped or re-encoded: same length, and same message again.
    EXPECT_EQ(ours.size(), bytes.size());
    tensorflow::SavedModel again;
    ASSERT_TRUE(again.ParseFromString(ours));
    EXPECT_TRUE(pb::util::MessageDifferencer::Equals(again, sm));

    const std::string rel = fs::path(Rel(path)).generic_string();
    const bool canonical = std::find(std::begin(kCanonicalSavedModels),
                                     std::end(kCanonicalSavedModels),
                                     rel) != std::end(kCanonicalSavedModels);
    if (canonical) {
      ++exact;
      EXPECT_TRUE(ours == bytes) << "deterministic re-serialization differs";
    }
  }
  // Catches a renamed/missing test-data directory silently skipping the list.
  EXPECT_EQ(exact, static_cast<int>(std::size(kCanonicalSavedModels)));
}

TEST(ProtoCompat, EveryTextSavedModelParses) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("saved_model.pbtxt");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    SCOPED_TRACE(Rel(path));
    tensorflow::SavedModel sm;
    pb::TextFormat::Parser parser;  // fails on any unknown field or enum name
    ASSERT_TRUE(parser.ParseFromString(ReadFileOrDie(path), &sm));
    EXPECT_GT(sm.meta_graphs_size(), 0);
    std::vector<std::string> problems;
    CollectUnknown(sm, "SavedModel", &problems);
    EXPECT_TRUE(problems.empty()) << Join(problems);
  }
}

TEST(ProtoCompat, EveryFingerprintParsesWithNoUnknownFields) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("fingerprint.pb");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    SCOPED_TRACE(Rel(path));
    tensorflow::FingerprintDef fp;
    ASSERT_TRUE(fp.ParseFromString(ReadFileOrDie(path)));
    EXPECT_NE(fp.saved_model_checksum(), 0u);
    EXPECT_NE(fp.graph_def_program_hash(), 0u);
    EXPECT_EQ(fp.version().producer(), 1);
    std::vector<std::string> problems;
    CollectUnknown(fp, "FingerprintDef", &problems);
    EXPECT_TRUE(problems.empty()) << Join(problems);
  }
}

TEST(ProtoCompat, ServingSavedModelConfigParsesWithNoUnknownFields) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("saved_model_config.pb");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    SCOPED_TRACE(Rel(path));
    tensorflow::serving::SavedModelConfig cfg;
    ASSERT_TRUE(cfg.ParseFromString(ReadFileOrDie(path)));
    EXPECT_TRUE(cfg.critical());
    EXPECT_TRUE(cfg.has_session_overrides());
    EXPECT_EQ(cfg.tfrt_runtime_config().config_size(), 1);
    std::vector<std::string> problems;
    // The Any payloads (e.g. a tfrt_stub.TestConfig1) are opaque bytes to us.
    CollectUnknown(cfg, "SavedModelConfig", &problems);
    EXPECT_TRUE(problems.empty()) << Join(problems);
  }
}

// The message TF Serving puts in GetModelMetadataResponse.metadata["signature_def"].
TEST(ProtoCompat, SignatureDefMapRoundTripsThroughGetModelMetadataResponse) {
  REQUIRE_TESTDATA();
  const auto files = FindFiles("saved_model.pb");
  ASSERT_FALSE(files.empty());
  tensorflow::SavedModel sm;
  ASSERT_TRUE(sm.ParseFromString(ReadFileOrDie(files.front())));
  ASSERT_GT(sm.meta_graphs_size(), 0);

  tensorflow::serving::SignatureDefMap sigs;
  *sigs.mutable_signature_def() = sm.meta_graphs(0).signature_def();
  tensorflow::serving::GetModelMetadataResponse resp;
  resp.mutable_model_spec()->set_name("m");
  resp.mutable_model_spec()->mutable_version()->set_value(7);
  ASSERT_TRUE((*resp.mutable_metadata())["signature_def"].PackFrom(sigs));
  EXPECT_EQ((*resp.mutable_metadata())["signature_def"].type_url(),
            "type.googleapis.com/tensorflow.serving.SignatureDefMap");

  tensorflow::serving::GetModelMetadataResponse back;
  ASSERT_TRUE(back.ParseFromString(resp.SerializeAsString()));
  tensorflow::serving::SignatureDefMap unpacked;
  ASSERT_TRUE(back.metadata().at("signature_def").UnpackTo(&unpacked));
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(unpacked, sigs));
  EXPECT_EQ(back.model_spec().version().value(), 7);

  // JSON uses upstream's lowerCamelCase names, so this is TF Serving's REST form.
  std::string json;
  ASSERT_TRUE(pb::util::MessageToJsonString(resp, &json).ok());
  EXPECT_NE(json.find("\"signatureDef\""), std::string::npos) << json.substr(0, 200);
  tensorflow::serving::GetModelMetadataResponse from_json;
  ASSERT_TRUE(pb::util::JsonStringToMessage(json, &from_json).ok());
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(from_json, resp));
}

}  // namespace
