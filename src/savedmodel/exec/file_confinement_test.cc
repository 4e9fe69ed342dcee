// LoadOptions::confine_file_access against hostile SavedModels, and loading
// real TensorFlow models entirely from an in-memory Env (every file the
// loader, the restore ops and table initialisation touch goes through Env).
#include <filesystem>
#include <fstream>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"
#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using ::savedmodel::testing::ReadFileOrDie;
using ::savedmodel::testing::TempDir;

std::string StringConst(const std::string& name, const std::string& value) {
  return "node { name: '" + name + "' op: 'Const' attr { key: 'dtype' value { type: DT_STRING } } " +
         "attr { key: 'value' value { tensor { dtype: DT_STRING tensor_shape {} string_val: '" + value +
         "' } } } }\n";
}

// Signatures "read" (path -> ReadFile(path)), "match" (path ->
// MatchingFiles(path)) and "write" (path, data ->
// data after WriteFile(path, data)); with `init_write_path`, an init op that
// writes "pwned" there whenever the model is loaded.
void WriteHostileModel(const fs::path& dir, const std::string& init_write_path = "") {
  std::string nodes = R"pb(
    node { name: "path" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
    node { name: "data" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
    node { name: "read" op: "ReadFile" input: "path" }
    node { name: "write" op: "WriteFile" input: "path" input: "data" }
    node { name: "written" op: "Identity" input: "data" input: "^write" attr { key: "T" value { type: DT_STRING } } }
    node { name: "match" op: "MatchingFiles" input: "path" }
  )pb";
  std::string init;
  if (!init_write_path.empty()) {
    nodes += StringConst("init_path", init_write_path) + StringConst("init_data", "pwned") +
             "node { name: 'init_write' op: 'WriteFile' input: 'init_path' input: 'init_data' }\n";
    init = R"pb(
      signature_def {
        key: "__saved_model_init_op"
        value { outputs { key: "__saved_model_init_op" value { name: "init_write" } } }
      })pb";
  }
  const std::string text = R"pb(
    saved_model_schema_version: 1
    meta_graphs {
      meta_info_def { tags: "serve" }
      graph_def {)pb" + nodes + R"pb(}
      signature_def {
        key: "read"
        value {
          inputs { key: "path" value { name: "path:0" dtype: DT_STRING } }
          outputs { key: "contents" value { name: "read:0" dtype: DT_STRING } }
          method_name: "tensorflow/serving/predict"
        }
      }
      signature_def {
        key: "match"
        value {
          inputs { key: "path" value { name: "path:0" dtype: DT_STRING } }
          outputs { key: "names" value { name: "match:0" dtype: DT_STRING } }
          method_name: "tensorflow/serving/predict"
        }
      }
      signature_def {
        key: "write"
        value {
          inputs { key: "path" value { name: "path:0" dtype: DT_STRING } }
          inputs { key: "data" value { name: "data:0" dtype: DT_STRING } }
          outputs { key: "written" value { name: "written:0" dtype: DT_STRING } }
          method_name: "tensorflow/serving/predict"
        }
      })pb" + init + "}";
  tensorflow::SavedModel sm;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &sm));
  fs::create_directories(dir / "assets");
  std::ofstream out(dir / "saved_model.pb", std::ios::binary);
  ASSERT_TRUE(sm.SerializeToOstream(&out));
  std::ofstream(dir / "assets" / "own.txt") << "model's own file";
}

LoadOptions Confined(std::vector<std::string> read = {}, std::vector<std::string> write = {}) {
  LoadOptions o;
  o.confine_file_access = true;
  o.allowed_read_paths = std::move(read);
  o.allowed_write_paths = std::move(write);
  return o;
}

StatusOr<std::string> ReadThrough(SavedModelBundle& b, const std::string& path) {
  ASSIGN_OR_RETURN(auto out, b.Predict("read", {{"path", Tensor::Scalar<std::string>(path)}}));
  return out["contents"].flat<std::string>()[0];
}

Status WriteThrough(SavedModelBundle& b, const std::string& path, const std::string& data) {
  return b.Predict("write", {{"path", Tensor::Scalar<std::string>(path)},
                             {"data", Tensor::Scalar<std::string>(data)}})
      .status();
}

bool Mentions(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

class FileConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::canonical(tmp_.path()).string();
    model_ = root_ + "/model";
    secret_ = root_ + "/secret.txt";
    std::ofstream(secret_) << "secret";
  }
  TempDir tmp_;
  std::string root_, model_, secret_;
};

TEST_F(FileConfinementTest, HostileInitOpCannotWriteOutside) {
  const std::string target = root_ + "/pwned";
  ASSERT_NO_FATAL_FAILURE(WriteHostileModel(model_, target));
  auto confined = LoadSavedModel(model_, {"serve"}, Confined());
  EXPECT_EQ(confined.status().code(), StatusCode::kPermissionDenied) << confined.status();
  EXPECT_TRUE(Mentions(confined.status(), "writing '" + target + "'")) << confined.status();
  EXPECT_TRUE(Mentions(confined.status(), "node 'init_write' (op WriteFile)")) << confined.status();
  EXPECT_TRUE(Mentions(confined.status(), "running init op")) << confined.status();
  EXPECT_FALSE(fs::exists(target));

  // Nor through '..' out of the export directory.
  const std::string model2 = root_ + "/model2";
  ASSERT_NO_FATAL_FAILURE(WriteHostileModel(model2, model2 + "/../pwned2"));
  EXPECT_EQ(LoadSavedModel(model2, {"serve"}, Confined()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(root_ + "/pwned2"));

  // TensorFlow's default, and ours: unconfined, the init op writes the file.
  auto open = LoadSavedModel(model_, {"serve"});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(ReadFileOrDie(target), "pwned");
}

TEST_F(FileConfinementTest, SignatureReadsOnlyTheExportDirectory) {
  ASSERT_NO_FATAL_FAILURE(WriteHostileModel(model_));
  ASSERT_EQ(::symlink(secret_.c_str(), (model_ + "/assets/link").c_str()), 0);
  ASSERT_EQ(::symlink(root_.c_str(), (model_ + "/assets/up").c_str()), 0);
  auto b = LoadSavedModel(model_, {"serve"}, Confined());
  ASSERT_TRUE(b.ok()) << b.status();

  auto own = ReadThrough(**b, model_ + "/assets/own.txt");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, "model's own file");

  std::vector<std::string> escapes = {secret_, model_ + "/../secret.txt",
                                      model_ + "/assets/../../secret.txt", model_ + "/assets/link",
                                      model_ + "/assets/up/secret.txt"};
  if (fs::exists("/etc/hostname")) escapes.push_back("/etc/hostname");
  for (const std::string& p : escapes) {
    auto r = ReadThrough(**b, p);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p << ": " << r.status();
    EXPECT_TRUE(Mentions(r.status(), "reading '" + p + "'")) << r.status();
    EXPECT_TRUE(Mentions(r.status(), "node 'read' (op ReadFile)")) << r.status();
  }

  // Unconfined, every one of them reads.
  auto open = LoadSavedModel(model_, {"serve"});
  ASSERT_TRUE(open.ok()) << open.status();
  for (const std::string& p : escapes) {
    auto r = ReadThrough(**open, p);
    ASSERT_TRUE(r.ok()) << p << ": " << r.status();
    if (p != "/etc/hostname") {
      EXPECT_EQ(*r, "secret") << p;
    }
  }

  // A path the caller allows reads; its neighbours still do not.
  auto allowed = LoadSavedModel(model_, {"serve"}, Confined({secret_}));
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(ReadThrough(**allowed, model_ + "/assets/link").value(), "secret");
  if (fs::exists("/etc/hostname")) {
    EXPECT_EQ(ReadThrough(**allowed, "/etc/hostname").status().code(), StatusCode::kPermissionDenied);
  }
}

StatusOr<std::vector<std::string>> MatchThrough(SavedModelBundle& b, const std::string& pattern) {
  ASSIGN_OR_RETURN(auto out, b.Predict("match", {{"path", Tensor::Scalar<std::string>(pattern)}}));
  const Tensor& t = out["names"];
  return std::vector<std::string>(t.flat<std::string>().begin(), t.flat<std::string>().end());
}

TEST_F(FileConfinementTest, MatchingFilesListsOnlyTheExportDirectory) {
  ASSERT_NO_FATAL_FAILURE(WriteHostileModel(model_));
  auto b = LoadSavedModel(model_, {"serve"}, Confined());
  ASSERT_TRUE(b.ok()) << b.status();
  auto own = MatchThrough(**b, model_ + "/*/*.txt");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(*own, std::vector<std::string>{model_ + "/assets/own.txt"});
  for (const std::string& p : {root_ + "/*", model_ + "/../*.txt", std::string("/etc/*")}) {
    auto r = MatchThrough(**b, p);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p << ": " << r.status();
    EXPECT_TRUE(Mentions(r.status(), "node 'match' (op MatchingFiles)")) << r.status();
  }
  // Without wildcards a file outside is reported as absent, not listed.
  EXPECT_TRUE(MatchThrough(**b, secret_).value().empty());
  auto open = LoadSavedModel(model_, {"serve"});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(MatchThrough(**open, root_ + "/*.txt").value(), std::vector<std::string>{secret_});
  EXPECT_EQ(MatchThrough(**open, secret_).value(), std::vector<std::string>{secret_});
}

TEST_F(FileConfinementTest, SignatureWritesOnlyAllowedDirectories) {
  ASSERT_NO_FATAL_FAILURE(WriteHostileModel(model_));
  const std::string out = root_ + "/out";
  auto b = LoadSavedModel(model_, {"serve"}, Confined({}, {out}));
  ASSERT_TRUE(b.ok()) << b.status();
  // The allowed directory (and missing parents inside it, as WriteFile makes them).
  Status ok = WriteThrough(**b, out + "/sub/file.txt", "hello");
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(ReadFileOrDie(out + "/sub/file.txt"), "hello");
  // The export directory is read-only; outside is refused; the secret survives.
  for (const std::string& p : {model_ + "/assets/own.txt", secret_, out + "/../secret.txt",
                               root_ + "/new_dir/file.txt"}) {
    Status s = WriteThrough(**b, p, "overwritten");
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << p << ": " << s;
  }
  EXPECT_EQ(ReadFileOrDie(secret_), "secret");
  EXPECT_EQ(ReadFileOrDie(model_ + "/assets/own.txt"), "model's own file");
  EXPECT_FALSE(fs::exists(root_ + "/new_dir"));
}

// A real TF1 model (saver restore, asset, main op) and a TF2 one (variables,
// a table initialised from an asset file) load and run confined, and their
// own saver cannot save outside unless allowed.
TEST_F(FileConfinementTest, RealModelsLoadConfined) {
  SAVEDMODEL_REQUIRE_TESTDATA(half, "corpus/tf_half_plus_two_main_op");
  SAVEDMODEL_REQUIRE_TESTDATA(expected, "corpus_expected/tf_half_plus_two_main_op/serving_default");
  auto b = LoadSavedModel(half.string(), {"serve"}, Confined());
  ASSERT_TRUE(b.ok()) << b.status();
  auto x = ReadNpyFile(Env::Default(), (expected / "input.x.npy").string());
  auto want = ReadNpyFile(Env::Default(), (expected / "output.y.npy").string());
  ASSERT_TRUE(x.ok() && want.ok());
  auto y = (*b)->Predict("serving_default", {{"x", *x}});
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ((*y)["y"].shape(), want->shape());
  for (int64_t i = 0; i < want->num_elements(); ++i) {
    EXPECT_NEAR((*y)["y"].flat<float>()[i], want->flat<float>()[i], 1e-5);
  }

  // The model's saver: SaveV2 + MergeV2Checkpoints to a path outside.
  const auto& saver = (*b)->meta_graph_def().saver_def();
  ASSERT_FALSE(saver.save_tensor_name().empty());
  auto save = [&](SavedModelBundle& m, const std::string& prefix) {
    return m.session()
        .Run({{saver.filename_tensor_name(), Tensor::Scalar<std::string>(prefix)}},
             {saver.save_tensor_name()})
        .status();
  };
  Status denied = save(**b, root_ + "/ckpt/model");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied) << denied;
  EXPECT_FALSE(fs::exists(root_ + "/ckpt"));
  auto writable = LoadSavedModel(half.string(), {"serve"}, Confined({}, {root_ + "/ckpt"}));
  ASSERT_TRUE(writable.ok()) << writable.status();
  Status saved = save(**writable, root_ + "/ckpt/model");
  EXPECT_TRUE(saved.ok()) << saved;
  EXPECT_TRUE(fs::exists(root_ + "/ckpt/model.index"));
}

// Lines of an asset file, read here without the library, as a TextFileIndex
// WHOLE_LINE -> LINE_NUMBER table holds them (TensorFlow's line reader drops
// the '\r' of CRLF lines, which this asset has).
std::map<std::string, int64_t> LineNumbers(const fs::path& file) {
  std::map<std::string, int64_t> m;
  std::ifstream in(file);
  std::string line;
  for (int64_t i = 0; std::getline(in, line); ++i) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    m.emplace(line, i);
  }
  return m;
}

// Copies a directory tree from disk into `env` under `to`.
void CopyIntoEnv(const fs::path& from, Env* env, const std::string& to) {
  ASSERT_TRUE(env->CreateDirs(to).ok());
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    const std::string dest = JoinPath(to, fs::relative(e.path(), from).string());
    if (e.is_directory()) {
      ASSERT_TRUE(env->CreateDirs(dest).ok());
    } else {
      ASSERT_TRUE(env->WriteStringToFile(dest, ReadFileOrDie(e.path())).ok()) << dest;
    }
  }
}

// Every file access of loading and running goes through LoadOptions'
// Env: with the models only in memory (paths that do not exist on disk),
// anything that bypassed it (restore, table init, the saver) would fail.
TEST(InMemoryEnvTest, RestoreAndTableInitUseTheSessionEnv) {
  SAVEDMODEL_REQUIRE_TESTDATA(table_dir, "corpus/tf_static_hashtable_module");
  SAVEDMODEL_REQUIRE_TESTDATA(half, "corpus/tf_half_plus_two_main_op");
  SAVEDMODEL_REQUIRE_TESTDATA(expected, "corpus_expected/tf_half_plus_two_main_op/serving_default");
  auto mem = NewMemEnv();
  ASSERT_NO_FATAL_FAILURE(CopyIntoEnv(table_dir, mem.get(), "/in_memory_only/table"));
  ASSERT_NO_FATAL_FAILURE(CopyIntoEnv(half, mem.get(), "/in_memory_only/half"));
  ASSERT_FALSE(fs::exists("/in_memory_only"));
  for (bool confine : {false, true}) {
    LoadOptions options;
    options.session.env = mem.get();
    options.confine_file_access = confine;

    auto table = LoadSavedModel("/in_memory_only/table", {"serve"}, options);
    ASSERT_TRUE(table.ok()) << table.status();
    const auto lines = LineNumbers(table_dir / "assets" / "static_hashtable_asset.txt");
    ASSERT_GE(lines.size(), 2u);
    std::vector<std::string> words;
    for (const auto& [w, _] : lines) words.push_back(w);
    words.push_back("not in the vocabulary");
    Tensor q(DT_STRING, TensorShape{static_cast<int64_t>(words.size())});
    for (size_t i = 0; i < words.size(); ++i) q.flat<std::string>()[i] = words[i];
    auto found = (*table)->Predict("serving_default", {{"word", q}});
    ASSERT_TRUE(found.ok()) << found.status();
    const Tensor& ids = (*found)["output_0"];
    ASSERT_EQ(ids.num_elements(), static_cast<int64_t>(words.size()));
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      EXPECT_EQ(ids.flat<int64_t>()[i], lines.at(words[i])) << words[i];
    }
    // The module's default value, as TensorFlow 2.21 returns it for a miss.
    EXPECT_EQ(ids.flat<int64_t>()[words.size() - 1], -1);

    auto b = LoadSavedModel("/in_memory_only/half", {"serve"}, options);
    ASSERT_TRUE(b.ok()) << b.status();
    auto x = ReadNpyFile(Env::Default(), (expected / "input.x.npy").string());
    auto want = ReadNpyFile(Env::Default(), (expected / "output.y.npy").string());
    ASSERT_TRUE(x.ok() && want.ok());
    auto y = (*b)->Predict("serving_default", {{"x", *x}});
    ASSERT_TRUE(y.ok()) << y.status();
    for (int64_t i = 0; i < want->num_elements(); ++i) {
      EXPECT_NEAR((*y)["y"].flat<float>()[i], want->flat<float>()[i], 1e-5);
    }
  }
  // The saver writes through the same Env.
  LoadOptions options;
  options.session.env = mem.get();
  auto b = LoadSavedModel("/in_memory_only/half", {"serve"}, options);
  ASSERT_TRUE(b.ok()) << b.status();
  const auto& saver = (*b)->meta_graph_def().saver_def();
  ASSERT_TRUE(mem->CreateDirs("/in_memory_only/ckpt").ok());
  auto saved = (*b)->session().Run(
      {{saver.filename_tensor_name(), Tensor::Scalar<std::string>("/in_memory_only/ckpt/m")}},
      {saver.save_tensor_name()});
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(mem->FileExists("/in_memory_only/ckpt/m.index"));
  EXPECT_TRUE(mem->FileExists("/in_memory_only/ckpt/m.data-00000-of-00001"));
  EXPECT_FALSE(fs::exists("/in_memory_only"));
}

}  // namespace
}  // namespace savedmodel
