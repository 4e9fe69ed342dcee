// Load time per real TensorFlow model: SavedModel proto parse + validation, and
// reading every variable from the bundle. Models come from ../shared/testdata.
// first_answer/<model>: LoadSavedModel plus the first Predict of
// serving_default on zeros (unknown dims 1), for half_plus_two and every
// directory in $SAVEDMODEL_LOAD_BENCH_DIRS (colon-separated; e.g. the peer
// harness's MLP, build/bench-peers/mlp/saved_model).
// first_answer_in_process/<model>: the same, timed once, before anything else
// in the process has loaded a model or run a product: what a program that
// loads one model pays, one-time setup (oneDNN's code generation, if a
// product needs it) included.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "savedmodel/exec/saved_model_bundle.h"

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

// Zeros for each input of `signature`, unknown dims taken as 1.
StatusOr<std::map<std::string, Tensor>> ZeroInputs(const SavedModelBundle& bundle, const std::string& signature) {
  const auto& sigs = bundle.meta_graph_def().signature_def();
  auto it = sigs.find(signature);
  if (it == sigs.end()) return NotFound("no signature " + signature);
  std::map<std::string, Tensor> inputs;
  for (const auto& [key, info] : it->second.inputs()) {
    std::vector<int64_t> dims;
    for (const auto& d : info.tensor_shape().dim()) dims.push_back(d.size() < 0 ? 1 : d.size());
    ASSIGN_OR_RETURN(inputs[key], Tensor::Create(static_cast<DataType>(info.dtype()), dims));
  }
  return inputs;
}

void BM_LoadToFirstAnswer(benchmark::State& state, std::string dir) {
  const std::string signature = "serving_default";
  std::map<std::string, Tensor> inputs;
  {
    auto bundle = LoadSavedModel(dir, {"serve"});
    if (!bundle.ok()) {
      state.SkipWithError(bundle.status().ToString().c_str());
      return;
    }
    auto made = ZeroInputs(**bundle, signature);
    if (!made.ok()) {
      state.SkipWithError(made.status().ToString().c_str());
      return;
    }
    inputs = std::move(made).value();
  }
  for (auto _ : state) {
    auto bundle = LoadSavedModel(dir, {"serve"});
    if (!bundle.ok()) {
      state.SkipWithError(bundle.status().ToString().c_str());
      return;
    }
    auto out = (*bundle)->Predict(signature, inputs);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out->size());
  }
}

void BM_FirstAnswerInProcess(benchmark::State& state, std::string dir) {
  for (auto _ : state) {
    auto bundle = LoadSavedModel(dir, {"serve"});
    if (!bundle.ok()) {
      state.SkipWithError(bundle.status().ToString().c_str());
      return;
    }
    auto inputs = ZeroInputs(**bundle, "serving_default");
    if (!inputs.ok()) {
      state.SkipWithError(inputs.status().ToString().c_str());
      return;
    }
    auto out = (*bundle)->Predict("serving_default", *inputs);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out->size());
  }
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
  std::vector<std::pair<std::string, std::string>> first_answer;  // label, dir
  for (const auto& dir : dirs) {
    if (dir.parent_path().filename() == "saved_model_half_plus_two_cpu") {
      first_answer.emplace_back("half_plus_two", dir.string());
    }
  }
  if (const char* extra = std::getenv("SAVEDMODEL_LOAD_BENCH_DIRS")) {
    std::stringstream in(extra);
    for (std::string d; std::getline(in, d, ':');) {
      if (!d.empty()) first_answer.emplace_back(fs::path(d).lexically_normal().string(), d);
    }
  }
  // Registered first, so they run first: benchmarks run in this order.
  for (const auto& [label, dir] : first_answer) {
    benchmark::RegisterBenchmark(("first_answer_in_process/" + label).c_str(),
                                 BM_FirstAnswerInProcess, dir)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  for (const auto& [label, dir] : first_answer) {
    benchmark::RegisterBenchmark(("first_answer/" + label).c_str(), BM_LoadToFirstAnswer, dir)
        ->Unit(benchmark::kMillisecond);
  }
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
