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
// engine computed the same thing. --buffer_pool 0 turns off the reuse of
// tensor buffers across Runs (SessionOptions::max_pooled_bytes_per_plan), to
// measure what it wins. Each group also reports, per timed Run, the tensor
// buffers taken from the system allocator ("tensor_allocs"), every operator
// new of the process ("heap_allocs", counted by a replacement in this binary
// only) and the minor page faults ("minflt").
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "savedmodel/core/buffer_pool.h"
#include "savedmodel/core/npy.h"
#include "savedmodel/exec/saved_model_bundle.h"

// Counts every operator new of the process: the library is untouched, this
// binary replaces the global allocation functions.
std::atomic<int64_t> g_heap_allocs{0};

void* operator new(size_t n) {
  g_heap_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t al) {
  g_heap_allocs.fetch_add(1, std::memory_order_relaxed);
  const size_t a = static_cast<size_t>(al);
  if (void* p = std::aligned_alloc(a, (std::max<size_t>(n, 1) + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t al) { return operator new(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace savedmodel;

int64_t MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}
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
    } else if (flag == "--buffer_pool") {
      if (value == "0") options.session.max_pooled_bytes_per_plan = 0;
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
        "usage: signature_bench [--intra_op_threads N] [--inter_op_threads N] [--graph_passes 0|1] [--buffer_pool 0|1] [--outputs DIR] "
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
    const int64_t tensor_allocs0 = GetTensorAllocationCounts().system_allocs;
    const int64_t heap_allocs0 = g_heap_allocs.load();
    const int64_t faults0 = MinorFaults();
    us.reserve(runs);
    for (int i = 0; i < runs; ++i) {
      auto start = Clock::now();
      auto out = bundle->Predict(signature, inputs);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (!out.ok()) return Fail(out.status().ToString());
      if (i + 1 == runs) last = std::move(out).value();
    }
    const double per_run = 1.0 / runs;
    const double tensor_allocs = per_run * static_cast<double>(GetTensorAllocationCounts().system_allocs - tensor_allocs0);
    const double heap_allocs = per_run * static_cast<double>(g_heap_allocs.load() - heap_allocs0);
    const double faults = per_run * static_cast<double>(MinorFaults() - faults0);
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
            ", \"runs\": " + std::to_string(runs) + ", \"tensor_allocs\": " + std::to_string(tensor_allocs) +
            ", \"heap_allocs\": " + std::to_string(heap_allocs) + ", \"minflt\": " + std::to_string(faults) + "}";
  }
  json += "}}";
  std::printf("%s\n", json.c_str());
  return 0;
}
