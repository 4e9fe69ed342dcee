// Load time and memory of one SavedModel with its variables mapped or copied
// (LoadOptions::mmap_variables), one mode per process so that peak RSS is the
// mode's own:
//
//   build/bench/mmap_load_bench DIR --mmap=1 [--runs=5]
//   build/bench/mmap_load_bench DIR --mmap=0 [--runs=5]
//   [--max_pooled_bytes_per_plan=N]  (SessionOptions; 0: no buffer reuse)
//
// Prints, for the first load and answer in the process: load ms, first
// serving_default answer ms (inputs of 0.5, unknown dims 1), then the
// process's RSS split into anonymous and file-backed pages (/proc/self/status)
// after the answer, and peak RSS (getrusage). Further runs load again (the
// first model released) and give the median load time.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "savedmodel/exec/saved_model_bundle.h"

namespace {

using namespace savedmodel;
using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// VmRSS, RssAnon and RssFile in MiB.
std::map<std::string, double> Rss() {
  std::map<std::string, double> out;
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    for (const char* key : {"VmRSS", "RssAnon", "RssFile"}) {
      if (line.rfind(std::string(key) + ":", 0) == 0) {
        out[key] = std::stod(line.substr(std::strlen(key) + 1)) / 1024.0;
      }
    }
  }
  return out;
}

StatusOr<std::map<std::string, Tensor>> Inputs(const SavedModelBundle& bundle) {
  const auto& sigs = bundle.meta_graph_def().signature_def();
  auto it = sigs.find("serving_default");
  if (it == sigs.end()) return NotFound("no serving_default signature");
  std::map<std::string, Tensor> inputs;
  for (const auto& [key, info] : it->second.inputs()) {
    std::vector<int64_t> dims;
    for (const auto& d : info.tensor_shape().dim()) dims.push_back(d.size() < 0 ? 1 : d.size());
    ASSIGN_OR_RETURN(Tensor t, Tensor::Create(static_cast<DataType>(info.dtype()), dims));
    if (t.dtype() == DT_FLOAT) std::fill(t.flat<float>().begin(), t.flat<float>().end(), 0.5f);
    inputs[key] = t;
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--mmap=0|1] [--runs=N]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  LoadOptions options;
  int runs = 1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--mmap=", 0) == 0) options.mmap_variables = a.substr(7) != "0";
    if (a.rfind("--runs=", 0) == 0) runs = std::max(1, std::stoi(a.substr(7)));
    if (a.rfind("--max_pooled_bytes_per_plan=", 0) == 0) {
      options.session.max_pooled_bytes_per_plan = std::stoull(a.substr(28));
    }
  }
  std::vector<double> loads;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    auto bundle = LoadSavedModel(dir, {"serve"}, options);
    const auto t1 = Clock::now();
    if (!bundle.ok()) {
      std::fprintf(stderr, "%s\n", bundle.status().ToString().c_str());
      return 1;
    }
    loads.push_back(Ms(t0, t1));
    if (r > 0) continue;
    auto inputs = Inputs(**bundle);
    if (!inputs.ok()) {
      std::fprintf(stderr, "%s\n", inputs.status().ToString().c_str());
      return 1;
    }
    const auto t2 = Clock::now();
    auto out = (*bundle)->Predict("serving_default", *inputs);
    const auto t3 = Clock::now();
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
      return 1;
    }
    auto rss = Rss();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    std::printf("mmap=%d first_load_ms=%.1f first_answer_ms=%.1f rss_mib=%.1f anon_mib=%.1f "
                "file_mib=%.1f peak_rss_mib=%.1f model_bytes_mib=%.1f\n",
                options.mmap_variables ? 1 : 0, loads[0], Ms(t2, t3), rss["VmRSS"], rss["RssAnon"],
                rss["RssFile"], ru.ru_maxrss / 1024.0, (*bundle)->memory().used() / 1048576.0);
  }
  if (runs > 1) {
    std::vector<double> later(loads.begin() + 1, loads.end());
    std::sort(later.begin(), later.end());
    std::printf("mmap=%d median_reload_ms=%.1f (%d reloads)\n", options.mmap_variables ? 1 : 0,
                later[later.size() / 2], runs - 1);
  }
  return 0;
}
