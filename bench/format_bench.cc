// Throughput of the format layer: CRC32C (both paths), iterating a large
// in-memory table, and reading every tensor of an in-memory bundle.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "savedmodel/base/crc32c.h"
#include "savedmodel/base/env.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/format/table/table.h"
#include "savedmodel/format/table/table_builder.h"

namespace savedmodel {
namespace {

std::string RandomBytes(size_t n) {
  std::mt19937_64 rng(1);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c::HardwareAvailable()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  const std::string buf = RandomBytes(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::ExtendHardware(0, buf.data(), buf.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * buf.size());
}
BENCHMARK(BM_Crc32cHardware)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
  const std::string buf = RandomBytes(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::ExtendPortable(0, buf.data(), buf.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * buf.size());
}
BENCHMARK(BM_Crc32cPortable)->Arg(4096)->Arg(1 << 20);

// ~100k entries with 100-byte values, TensorFlow's default options.
std::string BuildTable(table::CompressionType c) {
  auto env = NewMemEnv();
  auto f = env->NewWritableFile("t").value();
  table::TableOptions opts;
  opts.compression = c;
  table::TableBuilder b(opts, f.get());
  char key[32];
  std::string value(100, 'v');
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(key, sizeof(key), "layer_%08d/kernel", i);
    value[i % 100] = static_cast<char>('a' + i % 26);
    (void)b.Add(key, value);
  }
  (void)b.Finish();
  (void)f->Close();
  return env->ReadFileToString("t").value();
}

void BM_TableIterate(benchmark::State& state) {
  const std::string bytes = BuildTable(static_cast<table::CompressionType>(state.range(0)));
  auto t = table::Table::OpenBytes(bytes, "bench").value();
  size_t raw = 0;
  for (auto _ : state) {
    raw = 0;
    auto it = t->NewIterator();
    for (it.SeekToFirst(); it.Valid(); it.Next()) raw += it.key().size() + it.value().size();
    benchmark::DoNotOptimize(raw);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * raw);
  state.counters["file_MB"] = bytes.size() / 1e6;
}
BENCHMARK(BM_TableIterate)->Arg(table::kNoCompression)->Arg(table::kSnappyCompression)
    ->Unit(benchmark::kMillisecond);

// 64 float tensors of 256x256 (16 MiB) plus a string tensor.
void BM_BundleReadAll(benchmark::State& state) {
  auto env = NewMemEnv();
  {
    bundle::BundleWriter w(env.get(), "b");
    Tensor t(DT_FLOAT, TensorShape{256, 256});
    auto f = t.flat<float>();
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i);
    for (int i = 0; i < 64; ++i) (void)w.Add("dense_" + std::to_string(i) + "/kernel", t);
    std::vector<std::string> words(10000, "vocabulary_word");
    (void)w.Add("vocab", Tensor::FromVector(words));
    (void)w.Finish();
  }
  auto r = bundle::BundleReader::Open(env.get(), "b").value();
  const auto keys = r->Keys();
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& k : keys) {
      auto t = r->Read(k);
      bytes += t->byte_size();
      benchmark::DoNotOptimize(t);
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * bytes);
}
BENCHMARK(BM_BundleReadAll)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace savedmodel

BENCHMARK_MAIN();
