// Load time and per-call latency of one SavedModel signature, for benchmarks
// that race us against TensorFlow on the same model and inputs
// (bench/keras_models.py and bench/peers/run.py drive it). Prints one JSON object:
//   {"load_ms": [...], "run_us": {"<batch>": {"median": .., "p90": .., "p99": .., "runs": N}}}
//
//   signature_bench [--intra_op_threads N] [--inter_op_threads N] [--outputs DIR]
//                   DIR TAGS SIGNATURE LOADS RUNS BATCH:key=file.npy[,key=file.npy] ...
// TAGS is comma-separated. Each BATCH group feeds the listed .npy files. Thread
// counts default to the session's (the hardware's); peers racing with a fixed
// thread count need ours fixed to the same. --outputs writes each group's last
// results as DIR/<batch>_<output key>.npy, so a harness can check that every
// engine computed the same thing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"

namespace {

using namespace savedmodel;
using Clock = std::chrono::steady_clock;

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string p; std::getline(in, p, sep);) {
    if (!p.empty()) parts.push_back(p);
  }
  return parts;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "signature_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  std::string outputs_dir;
  int first = 1;
  for (; first + 1 < argc && std::string(argv[first]).rfind("--", 0) == 0; first += 2) {
    const std::string flag = argv[first], value = argv[first + 1];
    if (flag == "--intra_op_threads") {
      options.session.intra_op_threads = std::atoi(value.c_str());
    } else if (flag == "--inter_op_threads") {
      options.session.inter_op_threads = std::atoi(value.c_str());
    } else if (flag == "--graph_passes") {
      // 0 runs the graph as written (SessionOptions::rewriter_config), to
      // measure what the plan-time passes win.
      if (value == "0") options.session.rewriter_config = RewriterConfig::AllOff();
    } else if (flag == "--outputs") {
      outputs_dir = value;
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  argv += first - 1;
  argc -= first - 1;
  if (argc < 7) {
    return Fail(
        "usage: signature_bench [--intra_op_threads N] [--inter_op_threads N] [--graph_passes 0|1] [--outputs DIR] "
        "DIR TAGS SIGNATURE LOADS RUNS BATCH:key=file.npy[,...] ...");
  }
  const std::string dir = argv[1], signature = argv[3];
  const std::vector<std::string> tags = Split(argv[2], ',');
  const int loads = std::max(1, std::atoi(argv[4])), runs = std::max(1, std::atoi(argv[5]));

  std::vector<double> load_ms;
  std::unique_ptr<SavedModelBundle> bundle;
  for (int i = 0; i < loads; ++i) {
    auto start = Clock::now();
    auto loaded = LoadSavedModel(dir, tags, options);
    if (!loaded.ok()) return Fail(loaded.status().ToString());
    load_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    bundle = std::move(loaded).value();
  }

  std::string json = "{\"load_ms\": [";
  for (size_t i = 0; i < load_ms.size(); ++i) json += (i ? ", " : "") + std::to_string(load_ms[i]);
  json += "], \"run_us\": {";
  for (int g = 6; g < argc; ++g) {
    const std::string group = argv[g];
    const size_t colon = group.find(':');
    if (colon == std::string::npos) return Fail("bad group '" + group + "'");
    std::map<std::string, Tensor> inputs;
    for (const std::string& item : Split(group.substr(colon + 1), ',')) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos) return Fail("bad input '" + item + "'");
      auto t = ReadNpyFile(Env::Default(), item.substr(eq + 1));
      if (!t.ok()) return Fail(t.status().ToString());
      inputs[item.substr(0, eq)] = std::move(t).value();
    }
    // Warm-up runs build the plan and let the executor settle its mode.
    for (int i = 0; i < 10; ++i) {
      auto out = bundle->Predict(signature, inputs);
      if (!out.ok()) return Fail(out.status().ToString());
    }
    std::vector<double> us;
    std::map<std::string, Tensor> last;
    for (int i = 0; i < runs; ++i) {
      auto start = Clock::now();
      auto out = bundle->Predict(signature, inputs);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (!out.ok()) return Fail(out.status().ToString());
      if (i + 1 == runs) last = std::move(out).value();
    }
    if (!outputs_dir.empty()) {
      for (const auto& [key, tensor] : last) {
        Status written = WriteNpyFile(Env::Default(),
                                      outputs_dir + "/" + group.substr(0, colon) + "_" + key + ".npy", tensor);
        if (!written.ok()) return Fail(written.ToString());
      }
    }
    json += (g > 6 ? ", \"" : "\"") + group.substr(0, colon) + "\": {\"median\": " +
            std::to_string(Quantile(us, 0.5)) + ", \"p90\": " + std::to_string(Quantile(us, 0.9)) +
            ", \"p99\": " + std::to_string(Quantile(us, 0.99)) +
            ", \"runs\": " + std::to_string(runs) + "}";
  }
  json += "}}";
  std::printf("%s\n", json.c_str());
  return 0;
}
