#include "test_util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>

namespace savedmodel::testing {

std::filesystem::path TestDataDir() {
  if (const char* env = std::getenv("SAVEDMODEL_TESTDATA")) return env;
  std::filesystem::path p = std::filesystem::path(SAVEDMODEL_SHARED_DIR) / "testdata";
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec)) return {};
  return std::filesystem::canonical(p, ec);
}

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto candidate = base / ("savedmodel_test_" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  ADD_FAILURE() << "could not create a temp dir";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

int RunCli(const std::string& args, std::string* output) {
  std::string cmd = std::string("'") + SAVEDMODEL_CLI_PATH + "' " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  output->clear();
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadFileOrDie(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace savedmodel::testing
