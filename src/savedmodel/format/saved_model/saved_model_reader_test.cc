#include "savedmodel/format/saved_model/saved_model_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestDataDir;

// Every directory under testdata that holds a saved_model.pb or .pbtxt.
std::vector<fs::path> AllModelDirs() {
  std::vector<fs::path> dirs;
  if (TestDataDir().empty()) return dirs;
  for (const auto& e : fs::recursive_directory_iterator(TestDataDir())) {
    auto name = e.path().filename();
    if (name == kSavedModelFilenamePb || name == kSavedModelFilenamePbTxt) {
      dirs.push_back(e.path().parent_path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

bool IsFuzzModel(const fs::path& dir) {
  return dir.filename().string().rfind("tf_fuzz_", 0) == 0;
}

TEST(SavedModelReaderTest, EveryRealModelParses) {
  auto dirs = AllModelDirs();
  if (dirs.empty()) GTEST_SKIP() << "no ../shared/testdata";
  int good = 0, fuzz = 0;
  for (const auto& dir : dirs) {
    auto data = ReadSavedModel(Env::Default(), dir.string());
    if (IsFuzzModel(dir)) {
      ++fuzz;
      ASSERT_FALSE(data.ok()) << dir << " is malformed and must not load";
      EXPECT_EQ(data.status().code(), StatusCode::kInvalidArgument) << data.status();
      EXPECT_NE(data.status().message().find(dir.string()), std::string::npos)
          << "error should name the file: " << data.status();
      continue;
    }
    ASSERT_TRUE(data.ok()) << dir << ": " << data.status();
    EXPECT_GT(data->saved_model.meta_graphs_size(), 0);
    ++good;
  }
  EXPECT_GE(good, 28);
  EXPECT_EQ(fuzz, 3);
}

TEST(SavedModelReaderTest, FuzzModelsNameTheProblem) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "corpus");
  struct Case {
    const char* dir;
    const char* needle;
  } cases[] = {
      {"tf_fuzz_const_with_no_value", "has no 'value'"},
      {"tf_fuzz_negative_shape", "initializes from a tensor with -1 elements"},
      {"tf_fuzz_bad_node_attr", "attr"},
  };
  for (const auto& c : cases) {
    auto data = ReadSavedModel(Env::Default(), (root / c.dir).string());
    ASSERT_FALSE(data.ok()) << c.dir;
    EXPECT_NE(data.status().message().find(c.needle), std::string::npos)
        << c.dir << ": " << data.status();
  }
}

TEST(SavedModelReaderTest, HalfPlusTwoTagsAndSignatures) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  auto data = ReadSavedModel(Env::Default(), dir.string());
  ASSERT_TRUE(data.ok()) << data.status();
  auto sets = GetTagSets(data->saved_model);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0], std::vector<std::string>{"serve"});
  auto mg = FindMetaGraphDef(data->saved_model, {"serve"});
  ASSERT_TRUE(mg.ok()) << mg.status();
  std::vector<std::string> keys;
  for (const auto& [k, _] : (*mg)->signature_def()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"classify_x_to_y", "regress_x2_to_y3",
                                            "regress_x_to_y", "regress_x_to_y2",
                                            "serving_default"}));
  auto sig = FindSignatureDef(**mg, "serving_default");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ((*sig)->method_name(), "tensorflow/serving/predict");
  EXPECT_EQ((*sig)->inputs().at("x").name(), "x:0");
  EXPECT_EQ((*sig)->outputs().at("y").name(), "y:0");
  EXPECT_TRUE(data->HasVariables(Env::Default()));

  auto assets = GetAssetFiles(**mg);
  ASSERT_TRUE(assets.ok()) << assets.status();
  ASSERT_EQ(assets->size(), 1u);
  EXPECT_EQ((*assets)[0].filename, "foo.txt");
}

TEST(SavedModelReaderTest, MissingTagSetListsWhatExists) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus/rust_regression_tf1_train_serve");
  auto data = ReadSavedModel(Env::Default(), dir.string());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_TRUE(FindMetaGraphDef(data->saved_model, {"train", "serve"}).ok());
  EXPECT_TRUE(FindMetaGraphDef(data->saved_model, {"serve", "train"}).ok());
  auto mg = FindMetaGraphDef(data->saved_model, {"serve"});
  ASSERT_FALSE(mg.ok());
  EXPECT_EQ(mg.status().code(), StatusCode::kNotFound);
  EXPECT_NE(mg.status().message().find("{serve, train}"), std::string::npos) << mg.status();
}

TEST(SavedModelReaderTest, EmptyTagSetAndTextFormat) {
  SAVEDMODEL_REQUIRE_TESTDATA(empty, "corpus/tf_half_plus_two_empty_tags");
  auto data = ReadSavedModel(Env::Default(), empty.string());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_TRUE(FindMetaGraphDef(data->saved_model, ParseTagSet("")).ok());

  SAVEDMODEL_REQUIRE_TESTDATA(text, "corpus/tf_half_plus_two_pbtxt");
  auto t = ReadSavedModel(Env::Default(), text.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->from_text_format);
  EXPECT_TRUE(FindMetaGraphDef(t->saved_model, {"serve"}).ok());
}

TEST(SavedModelReaderTest, FingerprintAndExtraAssets) {
  SAVEDMODEL_REQUIRE_TESTDATA(tf2, "tf_serving/saved_model_half_plus_two_tf2_cpu/00000123");
  auto data = ReadSavedModel(Env::Default(), tf2.string());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_TRUE(data->fingerprint.has_value());
  EXPECT_NE(data->fingerprint->saved_model_checksum(), 0u);

  SAVEDMODEL_REQUIRE_TESTDATA(v2, "corpus/tf_half_plus_two_v2");
  auto d2 = ReadSavedModel(Env::Default(), v2.string());
  ASSERT_TRUE(d2.ok()) << d2.status();
  EXPECT_EQ(d2->extra_assets, std::vector<std::string>{"validation_result_do_not_edit"});
}

TEST(SavedModelReaderTest, ParseTagSetSplitsOnCommas) {
  EXPECT_EQ(ParseTagSet("serve"), std::vector<std::string>{"serve"});
  EXPECT_EQ(ParseTagSet("serve,gpu"), (std::vector<std::string>{"serve", "gpu"}));
  EXPECT_EQ(ParseTagSet("serve, gpu"), (std::vector<std::string>{"serve", "gpu"}));
  EXPECT_TRUE(ParseTagSet("").empty());
  EXPECT_EQ(TagSetToString({"train", "serve"}), "serve, train");
}

// Copies a real model into a temp dir so its files can be damaged.
fs::path CopyModel(const fs::path& src, const fs::path& dst) {
  fs::copy(src, dst, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dst)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return dst;
}

TEST(SavedModelReaderTest, TruncatedAndCorruptProtosFailCleanly) {
  SAVEDMODEL_REQUIRE_TESTDATA(src, "tf_serving/saved_model_half_plus_two_cpu/00000123");
  TempDir tmp;
  fs::path dir = CopyModel(src, tmp.path() / "m");
  fs::path pb = dir / kSavedModelFilenamePb;
  std::string bytes = testing::ReadFileOrDie(pb);
  // Every truncation point must give an error or a valid model, never a crash.
  int errors = 0;
  for (size_t len = 0; len < bytes.size(); len += 97) {
    std::ofstream(pb, std::ios::binary | std::ios::trunc).write(bytes.data(), len);
    auto data = ReadSavedModel(Env::Default(), dir.string());
    if (!data.ok()) {
      ++errors;
      EXPECT_NE(data.status().message().find("saved_model.pb"), std::string::npos)
          << data.status();
    }
  }
  EXPECT_GT(errors, 0);
  std::string garbage = bytes;
  for (size_t i = 0; i < garbage.size(); i += 13) garbage[i] = static_cast<char>(0xff);
  std::ofstream(pb, std::ios::binary | std::ios::trunc) << garbage;
  EXPECT_FALSE(ReadSavedModel(Env::Default(), dir.string()).ok());
}

TEST(SavedModelReaderTest, TextFormatSyntaxErrorNamesLine) {
  TempDir tmp;
  std::ofstream(tmp.path() / kSavedModelFilenamePbTxt)
      << "saved_model_schema_version: 1\nmeta_graphs {\n  meta_info_def { tags: \"serve\" \n";
  auto data = ReadSavedModel(Env::Default(), tmp.path().string());
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(data.status().message().find("saved_model.pbtxt"), std::string::npos);
  EXPECT_NE(data.status().message().find("line 4"), std::string::npos) << data.status();
}

TEST(SavedModelReaderTest, MissingDirectoryAndEmptyModel) {
  TempDir tmp;
  auto missing = ReadSavedModel(Env::Default(), (tmp.path() / "nope").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto empty_dir = ReadSavedModel(Env::Default(), tmp.path().string());
  EXPECT_EQ(empty_dir.status().code(), StatusCode::kNotFound);
  std::ofstream(tmp.path() / kSavedModelFilenamePb);  // zero bytes: parses, no MetaGraphDef
  auto empty = ReadSavedModel(Env::Default(), tmp.path().string());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument) << empty.status();
}

TEST(SavedModelReaderTest, WorksOverMemEnv) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/m").ok());
  ASSERT_TRUE(env->WriteStringToFile("/m/saved_model.pbtxt",
                                     "meta_graphs { meta_info_def { tags: 'serve' }\n"
                                     "  graph_def { node { name: 'x' op: 'Placeholder'\n"
                                     "    attr { key: 'dtype' value { type: DT_FLOAT } } } } }\n")
                  .ok());
  auto data = ReadSavedModel(env.get(), "/m");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_FALSE(data->HasVariables(env.get()));
  ASSERT_TRUE(env->WriteStringToFile("/m/saved_model.pbtxt",
                                     "meta_graphs { graph_def { node { name: 'y' op: 'Identity'\n"
                                     "  input: 'missing' } } }\n")
                  .ok());
  auto bad = ReadSavedModel(env.get(), "/m");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'missing'"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace savedmodel
