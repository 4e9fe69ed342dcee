// Load time per real TensorFlow model: SavedModel proto parse + validation, and
// reading every variable from the bundle. Models come from ../shared/testdata.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/saved_model/saved_model_reader.h"

namespace {

namespace fs = std::filesystem;
using namespace savedmodel;

void BM_ReadSavedModel(benchmark::State& state, std::string dir) {
  for (auto _ : state) {
    auto data = ReadSavedModel(Env::Default(), dir);
    if (!data.ok()) {
      state.SkipWithError(data.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(data->saved_model.meta_graphs_size());
  }
}

void BM_ReadAllVariables(benchmark::State& state, std::string prefix) {
  int64_t bytes = 0;
  for (auto _ : state) {
    auto reader = bundle::BundleReader::Open(Env::Default(), prefix);
    if (!reader.ok()) {
      state.SkipWithError(reader.status().ToString().c_str());
      return;
    }
    for (const auto& key : (*reader)->Keys()) {
      auto t = (*reader)->Read(key);
      if (!t.ok()) {
        state.SkipWithError(t.status().ToString().c_str());
        return;
      }
      bytes += static_cast<int64_t>(t->byte_size());
    }
  }
  state.SetBytesProcessed(bytes);
}

// Registers one pair of benchmarks per model directory found.
int RegisterModels() {
  fs::path root = fs::path(SAVEDMODEL_SHARED_DIR) / "testdata";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    auto name = e.path().filename().string();
    if (name == "saved_model.pb" || name == "saved_model.pbtxt") dirs.push_back(e.path().parent_path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::string label = fs::relative(dir, root).string();
    if (label.find("tf_fuzz_") != std::string::npos) continue;
    benchmark::RegisterBenchmark(("parse/" + label).c_str(), BM_ReadSavedModel, dir.string())
        ->Unit(benchmark::kMicrosecond);
    if (fs::exists(dir / "variables" / "variables.index")) {
      benchmark::RegisterBenchmark(("variables/" + label).c_str(), BM_ReadAllVariables,
                                   (dir / "variables" / "variables").string())
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}
const int kRegistered = RegisterModels();

}  // namespace

BENCHMARK_MAIN();
