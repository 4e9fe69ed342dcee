// Helpers shared by the tests: where the real TensorFlow models are, temp dirs.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace savedmodel::testing {

// ../shared/testdata beside the checkout, or empty when this clone has none.
std::filesystem::path TestDataDir();

// Path of a model under ../shared/testdata; skips the calling test when absent.
#define SAVEDMODEL_REQUIRE_TESTDATA(var, rel)                                   \
  const std::filesystem::path var = ::savedmodel::testing::TestDataDir() / rel; \
  if (::savedmodel::testing::TestDataDir().empty() ||                           \
      !std::filesystem::exists(var))                                            \
  GTEST_SKIP() << "test data not found: " << (rel)                              \
               << " (needs ../shared/testdata beside the checkout)"

// A fresh, empty directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs the savedmodel CLI with `args` (a shell fragment); returns the exit code
// and fills `output` with stdout and stderr together.
int RunCli(const std::string& args, std::string* output);

std::string ReadFileOrDie(const std::filesystem::path& path);

}  // namespace savedmodel::testing
