// ConfinedEnv and the Env primitives it relies on (CanonicalPath,
// RandomAccessFile), on the POSIX file system (real symbolic links) and on
// the in-memory Env.
#include "savedmodel/base/confined_env.h"

#include <filesystem>
#include <functional>

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_util.h"

namespace savedmodel {
namespace {

namespace fs = std::filesystem;
using ::savedmodel::testing::ReadFileOrDie;
using ::savedmodel::testing::TempDir;

bool Mentions(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// tmp/model (readable), tmp/out (writable), tmp/secret (neither).
class ConfinedEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::canonical(tmp_.path()).string();
    Env* env = Env::Default();
    ASSERT_TRUE(env->CreateDirs(root_ + "/model/assets").ok());
    ASSERT_TRUE(env->CreateDirs(root_ + "/out").ok());
    ASSERT_TRUE(env->WriteStringToFile(root_ + "/model/assets/vocab.txt", "a\nb\n").ok());
    ASSERT_TRUE(env->WriteStringToFile(root_ + "/secret", "top secret").ok());
    auto confined = ConfinedEnv::Create(env, {{root_ + "/model"}, {root_ + "/out"}});
    ASSERT_TRUE(confined.ok()) << confined.status();
    env_ = std::move(confined).value();
  }
  TempDir tmp_;
  std::string root_;
  std::unique_ptr<ConfinedEnv> env_;
};

TEST_F(ConfinedEnvTest, ReadsInsideReadRootsOnly) {
  auto ok = env_->ReadFileToString(root_ + "/model/assets/vocab.txt");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "a\nb\n");
  auto denied = env_->ReadFileToString(root_ + "/secret");
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status();
  EXPECT_TRUE(Mentions(denied.status(), root_ + "/secret")) << denied.status();
  EXPECT_TRUE(Mentions(denied.status(), "reading")) << denied.status();
  // A sibling whose name starts with the root's name is not under it.
  ASSERT_TRUE(Env::Default()->WriteStringToFile(root_ + "/model2", "x").ok());
  EXPECT_EQ(env_->ReadFileToString(root_ + "/model2").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->NewRandomAccessFile(root_ + "/secret").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->GetFileSize(root_ + "/secret").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->GetChildren(root_).status().code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(env_->FileExists(root_ + "/secret"));
  EXPECT_TRUE(env_->FileExists(root_ + "/model/assets/vocab.txt"));
  EXPECT_TRUE(env_->IsDirectory(root_ + "/out"));
  // The write root is readable too.
  ASSERT_TRUE(Env::Default()->WriteStringToFile(root_ + "/out/r", "r").ok());
  EXPECT_TRUE(env_->ReadFileToString(root_ + "/out/r").ok());
  EXPECT_EQ(env_->ReadFileToString("/etc/hostname").status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ConfinedEnvTest, DotDotEscapesAreDenied) {
  for (const std::string& p : {root_ + "/model/../secret", root_ + "/model/assets/../../secret",
                               root_ + "/model/./assets/../../../" + fs::path(root_).filename().string() + "/secret",
                               root_ + "/model/nonexistent/../../secret"}) {
    auto r = env_->ReadFileToString(p);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p << ": " << r.status();
    EXPECT_TRUE(Mentions(r.status(), "resolves to " + root_ + "/secret")) << r.status();
  }
  // '..' that stays inside is fine.
  EXPECT_TRUE(env_->ReadFileToString(root_ + "/model/assets/../assets/vocab.txt").ok());
}

TEST_F(ConfinedEnvTest, SymlinkEscapesAreDenied) {
  ASSERT_EQ(::symlink((root_ + "/secret").c_str(), (root_ + "/model/link").c_str()), 0);
  ASSERT_EQ(::symlink(root_.c_str(), (root_ + "/model/up").c_str()), 0);
  ASSERT_EQ(::symlink("../secret", (root_ + "/model/relative").c_str()), 0);
  for (const std::string& p : {root_ + "/model/link", root_ + "/model/up/secret",
                               root_ + "/model/relative"}) {
    auto r = env_->ReadFileToString(p);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p << ": " << r.status();
  }
  // "up/model/.." is root_ as the kernel sees it (the link first), not model/.
  EXPECT_EQ(env_->ReadFileToString(root_ + "/model/up/model/../secret").status().code(),
            StatusCode::kPermissionDenied);
  // A link that stays inside is followed.
  ASSERT_EQ(::symlink("assets/vocab.txt", (root_ + "/model/inside").c_str()), 0);
  EXPECT_TRUE(env_->ReadFileToString(root_ + "/model/inside").ok());
}

TEST_F(ConfinedEnvTest, WritesOnlyInsideWriteRoots) {
  EXPECT_TRUE(env_->WriteStringToFile(root_ + "/out/ckpt.index", "x").ok());
  EXPECT_TRUE(env_->CreateDirs(root_ + "/out/a/b").ok());
  EXPECT_TRUE(env_->RenameFile(root_ + "/out/ckpt.index", root_ + "/out/a/b/ckpt.index").ok());
  EXPECT_TRUE(env_->DeleteFile(root_ + "/out/a/b/ckpt.index").ok());
  EXPECT_TRUE(env_->DeleteRecursively(root_ + "/out/a").ok());

  // The model's own directory is read-only.
  Status s = env_->WriteStringToFile(root_ + "/model/assets/vocab.txt", "overwritten");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(Mentions(s, "writing")) << s;
  EXPECT_EQ(ReadFileOrDie(root_ + "/model/assets/vocab.txt"), "a\nb\n");
  EXPECT_EQ(env_->DeleteFile(root_ + "/model/assets/vocab.txt").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->DeleteRecursively(root_ + "/model").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->CreateDirs(root_ + "/elsewhere").code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(root_ + "/elsewhere"));
  // Renames need both ends writable: no moving a file out, nor one in over the model.
  ASSERT_TRUE(env_->WriteStringToFile(root_ + "/out/f", "f").ok());
  EXPECT_EQ(env_->RenameFile(root_ + "/out/f", root_ + "/moved").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(env_->RenameFile(root_ + "/secret", root_ + "/out/stolen").code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(fs::exists(root_ + "/secret"));
  EXPECT_EQ(env_->WriteStringToFile(root_ + "/out/../pwned", "x").code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(fs::exists(root_ + "/pwned"));
}

TEST_F(ConfinedEnvTest, DanglingLinkCannotPlaceAFileOutside) {
  // open(O_CREAT) through a dangling link creates its target.
  ASSERT_EQ(::symlink((root_ + "/created_outside").c_str(), (root_ + "/out/dangling").c_str()), 0);
  Status s = env_->WriteStringToFile(root_ + "/out/dangling", "x");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s;
  EXPECT_FALSE(fs::exists(root_ + "/created_outside"));
  // A link loop cannot be resolved either.
  ASSERT_EQ(::symlink((root_ + "/out/loop").c_str(), (root_ + "/out/loop").c_str()), 0);
  EXPECT_EQ(env_->ReadFileToString(root_ + "/out/loop").status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ConfinedEnvTest, RelativePathsResolveFromTheWorkingDirectory) {
  const fs::path saved = fs::current_path();
  fs::current_path(root_ + "/model");
  auto in = env_->ReadFileToString("assets/vocab.txt");
  auto out = env_->ReadFileToString("../secret");
  fs::current_path(saved);
  EXPECT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(out.status().code(), StatusCode::kPermissionDenied) << out.status();
}

TEST(ConfinedMemEnvTest, ConfinesAnInMemoryEnv) {
  auto mem = NewMemEnv();
  ASSERT_TRUE(mem->CreateDirs("/m/model").ok());
  ASSERT_TRUE(mem->WriteStringToFile("/m/model/a", "a").ok());
  ASSERT_TRUE(mem->WriteStringToFile("/m/secret", "s").ok());
  auto env = ConfinedEnv::Create(mem.get(), {{"/m/model"}, {}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_TRUE((*env)->ReadFileToString("/m/model/a").ok());
  EXPECT_EQ((*env)->ReadFileToString("/m/model/../secret").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ((*env)->WriteStringToFile("/m/model/b", "b").code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(mem->FileExists("/m/model/b"));
}

TEST(EnvTest, CanonicalPath) {
  auto mem = NewMemEnv();
  EXPECT_EQ(mem->CanonicalPath("/a/./b/../c//d/").value(), "/a/c/d");
  EXPECT_EQ(mem->CanonicalPath("a/b").value(), "/a/b");
  EXPECT_EQ(mem->CanonicalPath("/../..").value(), "/");
  EXPECT_FALSE(mem->CanonicalPath("").ok());
  TempDir tmp;
  const std::string root = fs::canonical(tmp.path()).string();
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDirs(root + "/d").ok());
  ASSERT_EQ(::symlink((root + "/d").c_str(), (root + "/l").c_str()), 0);
  EXPECT_EQ(env->CanonicalPath(root + "/l/x/../y").value(), root + "/d/y");
  EXPECT_EQ(env->CanonicalPath(root + "/l/").value(), root + "/d");
  EXPECT_EQ(env->CanonicalPath(root + "/l/..").value(), root);
}

// Positional reads see the file as it is now: a file truncated after it was
// opened gives DATA_LOSS (a mapping would fault with SIGBUS).
void CheckTruncatedRead(Env* env, const std::string& path, const std::function<void()>& truncate) {
  ASSERT_TRUE(env->WriteStringToFile(path, std::string(10000, 'x') + "tail").ok());
  auto file = env->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->size(), 10004u);
  char buf[4];
  ASSERT_TRUE((*file)->Read(10000, 4, buf).ok());
  EXPECT_EQ(std::string(buf, 4), "tail");
  EXPECT_EQ((*file)->Read(10001, 4, buf).code(), StatusCode::kDataLoss);
  truncate();
  Status s = (*file)->Read(10000, 4, buf);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s;
  EXPECT_TRUE(Mentions(s, path)) << s;
  EXPECT_TRUE((*file)->Read(0, 4, buf).ok());
}

TEST(EnvTest, RandomAccessFileReportsTruncation) {
  TempDir tmp;
  const std::string path = (tmp.path() / "f").string();
  CheckTruncatedRead(Env::Default(), path, [&] { ASSERT_EQ(::truncate(path.c_str(), 100), 0); });
  auto mem = NewMemEnv();
  ASSERT_TRUE(mem->CreateDirs("/m").ok());
  CheckTruncatedRead(mem.get(), "/m/f",
                     [&] { ASSERT_TRUE(mem->WriteStringToFile("/m/f", "short").ok()); });
  EXPECT_EQ(Env::Default()->NewRandomAccessFile(tmp.path().string()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(mem->NewRandomAccessFile("/nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace savedmodel
