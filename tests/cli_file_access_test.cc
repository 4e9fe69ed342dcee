// `savedmodel run` confines the model's file access by default
// (--confine_file_access, --allow_file_access).
#include <filesystem>
#include <fstream>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using ::savedmodel::testing::RunCli;
using ::savedmodel::testing::TempDir;

// Signature "read": path -> ReadFile(path).
void WriteReadFileModel(const fs::path& dir) {
  const char* text = R"pb(
    saved_model_schema_version: 1
    meta_graphs {
      meta_info_def { tags: "serve" }
      graph_def {
        node { name: "path" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
        node { name: "read" op: "ReadFile" input: "path" }
      }
      signature_def {
        key: "read"
        value {
          inputs { key: "path" value { name: "path:0" dtype: DT_STRING } }
          outputs { key: "contents" value { name: "read:0" dtype: DT_STRING } }
          method_name: "tensorflow/serving/predict"
        }
      }
    })pb";
  tensorflow::SavedModel sm;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &sm));
  fs::create_directories(dir);
  std::ofstream out(dir / "saved_model.pb", std::ios::binary);
  ASSERT_TRUE(sm.SerializeToOstream(&out));
  std::ofstream(dir / "own.txt") << "own bytes";
}

TEST(CliFileAccessTest, RunConfinesTheModelByDefault) {
  TempDir tmp;
  const fs::path model = tmp.path() / "model", data = tmp.path() / "data";
  ASSERT_NO_FATAL_FAILURE(WriteReadFileModel(model));
  fs::create_directories(data);
  std::ofstream(data / "secret.txt") << "secret bytes";
  auto run = [&](const std::string& path, const std::string& flags, std::string* out) {
    return RunCli("run --dir '" + model.string() + "' --tag_set serve --signature_def read " +
                      "--input_exprs 'path=\"" + path + "\"' " + flags, out);
  };
  std::string out;
  EXPECT_EQ(run((model / "own.txt").string(), "", &out), 0) << out;
  EXPECT_NE(out.find("own bytes"), std::string::npos) << out;

  const std::string secret = (data / "secret.txt").string();
  EXPECT_EQ(run(secret, "", &out), 1) << out;
  EXPECT_NE(out.find("PERMISSION_DENIED"), std::string::npos) << out;
  EXPECT_NE(out.find("reading '" + secret + "'"), std::string::npos) << out;
  EXPECT_EQ(out.find("secret bytes"), std::string::npos) << out;

  EXPECT_EQ(run(secret, "--allow_file_access=/nonexistent/x,'" + data.string() + "'", &out), 0) << out;
  EXPECT_NE(out.find("secret bytes"), std::string::npos) << out;
  EXPECT_EQ(run(secret, "--confine_file_access=false", &out), 0) << out;
  EXPECT_NE(out.find("secret bytes"), std::string::npos) << out;
  EXPECT_EQ(run(secret, "--confine_file_access=true", &out), 1) << out;
}

}  // namespace
}  // namespace savedmodel
