// Tensors read as views of a mapped data shard (bundle_reader.h): which
// tensors are views, that they equal what positional reads give, that writes
// into them never reach the file, and that hostile or changing files give
// errors or copies, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

#include "savedmodel/base/crc32c.h"
#include "savedmodel/base/memory_budget.h"
#include "savedmodel/format/bundle/bundle_format.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/format/bundle/mapped_shard.h"
#include "savedmodel/format/table/table_builder.h"
#include "test_util.h"

namespace savedmodel::bundle {
namespace {

namespace fs = std::filesystem;

Tensor Floats(int64_t n, float start) {
  Tensor t(DT_FLOAT, TensorShape{n});
  for (int64_t i = 0; i < n; ++i) t.flat<float>()[i] = start + static_cast<float>(i) * 0.25f;
  return t;
}

BundleReaderOptions NoViews() {
  BundleReaderOptions o;
  o.map_tensors = false;
  return o;
}

BundleReaderOptions AllViews() {
  BundleReaderOptions o;
  o.min_view_bytes = 0;
  return o;
}

std::unique_ptr<BundleReader> OpenOrDie(const std::string& prefix, BundleReaderOptions o = {},
                                        Env* env = Env::Default()) {
  auto r = BundleReader::Open(env, prefix, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(r).value() : nullptr;
}

// The tensors in the order they are added, which is their order in the data
// file (the writer pads nothing): offsets 0, 16384, 24576, 24579 and on.
void WriteMixed(const std::string& prefix) {
  BundleWriter w(Env::Default(), prefix);
  ASSERT_TRUE(w.Add("big", Floats(4096, 1.f)).ok());  // 16 KiB at 0: a view
  Tensor d(DT_DOUBLE, TensorShape{1024});
  for (int i = 0; i < 1024; ++i) d.flat<double>()[i] = -1.0 / (i + 1);
  ASSERT_TRUE(w.Add("doubles", d).ok());  // 8 KiB at 16384: a view
  ASSERT_TRUE(w.Add("odd", Tensor::FromVector<uint8_t>({1, 2, 3})).ok());  // small
  ASSERT_TRUE(w.Add("misaligned", Floats(2048, -3.f)).ok());  // at 24579: copied
  Tensor b(DT_BOOL, TensorShape{5000});
  for (int i = 0; i < 5000; ++i) b.flat<bool>()[i] = i % 3 == 0;
  ASSERT_TRUE(w.Add("bools", b).ok());  // copied: bools are normalised
  ASSERT_TRUE(w.Add("strings", Tensor::FromVector<std::string>({"a", std::string(5000, 'z')})).ok());
  ASSERT_TRUE(w.Finish().ok());
}

std::string FileBytes(const std::string& path) { return testing::ReadFileOrDie(path); }

TEST(MappedShardTest, AlignedNumericTensorsAreViewsEqualToCopies) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  auto mapped = OpenOrDie(prefix);
  auto copied = OpenOrDie(prefix, NoViews());
  ASSERT_TRUE(mapped && copied);
  EXPECT_TRUE(mapped->shard_mapped(0));
  EXPECT_FALSE(copied->shard_mapped(0));
  const std::map<std::string, bool> want_view = {{"big", true},         {"doubles", true},
                                                 {"odd", false},        {"misaligned", false},
                                                 {"bools", false},      {"strings", false}};
  for (const auto& [key, view] : want_view) {
    auto a = mapped->Read(key);
    auto b = copied->Read(key);
    ASSERT_TRUE(a.ok() && b.ok()) << key << ": " << a.status() << " " << b.status();
    EXPECT_TRUE(a->Equals(*b)) << key;
    EXPECT_EQ(IsCheckpointView(*a), view) << key;
    EXPECT_FALSE(IsCheckpointView(*b)) << key;
  }
}

TEST(MappedShardTest, EveryNumericDtypeViewEqualsCopy) {
  testing::TempDir tmp;
  std::map<std::string, Tensor> tensors;
  tensors["f32"] = Tensor::FromVector<float>({1.5f, -2.f, 3.25f, 0.f, 1e30f, -0.f}, {2, 3});
  tensors["f64"] = Tensor::FromVector<double>({3.141592653589793, -1e-300}, {2});
  tensors["f16"] = Tensor::FromVector<half>({FloatToHalf(1.f), FloatToHalf(-0.5f)}, {2});
  tensors["bf16"] = Tensor::FromVector<bfloat16>({FloatToBFloat16(2.f)}, {1, 1});
  tensors["i8"] = Tensor::FromVector<int8_t>({-128, 127}, {2});
  tensors["i16"] = Tensor::FromVector<int16_t>({-32768, 7}, {2});
  tensors["i32"] = Tensor::Scalar<int32_t>(42);
  tensors["i64"] = Tensor::FromVector<int64_t>({int64_t{1} << 62, -1}, {2});
  tensors["u8"] = Tensor::FromVector<uint8_t>({0, 255}, {2});
  tensors["u16"] = Tensor::FromVector<uint16_t>({65535}, {1});
  tensors["u32"] = Tensor::FromVector<uint32_t>({4000000000u}, {1});
  tensors["u64"] = Tensor::FromVector<uint64_t>({~uint64_t{0}}, {1});
  tensors["c64"] = Tensor::FromVector<complex64>({{1.f, -1.f}}, {1});
  tensors["c128"] = Tensor::FromVector<complex128>({{2.0, 3.0}, {-4.0, 0.5}}, {2});
  for (const auto& [key, t] : tensors) {
    // One tensor per bundle, so each sits at offset 0 and can be a view.
    const std::string prefix = (tmp.path() / key).string();
    BundleWriter w(Env::Default(), prefix);
    ASSERT_TRUE(w.Add(key, t).ok());
    ASSERT_TRUE(w.Finish().ok());
    auto r = OpenOrDie(prefix, AllViews());
    ASSERT_TRUE(r);
    auto got = r->Read(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status();
    EXPECT_TRUE(IsCheckpointView(*got)) << key;
    EXPECT_TRUE(got->Equals(t)) << key;
  }
}

// Writes into a view land in the process's own copy of the page: the file,
// other readers and later reads of the same reader never see them.
TEST(MappedShardTest, WritesIntoAViewNeverReachTheFile) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  const std::string shard = DataFilename(prefix, 0, 1);
  const std::string before = FileBytes(shard);
  auto r = OpenOrDie(prefix);
  ASSERT_TRUE(r);
  auto view = r->Read("big");
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(IsCheckpointView(*view));
  for (float& x : view->flat<float>()) x = 42.f;
  // The same key again: not a second view of the written bytes, but a copy
  // of the file's, which pass their checksum.
  auto again = r->Read("big");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(IsCheckpointView(*again));
  EXPECT_TRUE(again->Equals(Floats(4096, 1.f)));
  auto other = OpenOrDie(prefix);
  auto fresh = other->Read("big");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(IsCheckpointView(*fresh));
  EXPECT_TRUE(fresh->Equals(Floats(4096, 1.f)));
  view = Tensor();
  r.reset();
  EXPECT_EQ(FileBytes(shard), before);
}

// Threads reading the same keys from one mapped reader: one of them gets
// each view, the others copies, and every tensor has the file's values.
TEST(MappedShardTest, ConcurrentReadsOfOneMappedReader) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  auto r = OpenOrDie(prefix);
  auto want = OpenOrDie(prefix, NoViews());
  ASSERT_TRUE(r && want);
  std::map<std::string, Tensor> expected;
  for (const std::string& k : want->Keys()) expected[k] = want->Read(k).value();
  std::atomic<int> bad{0}, views{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int rep = 0; rep < 20; ++rep) {
        for (const auto& [k, t] : expected) {
          auto got = r->Read(k);
          if (!got.ok() || !got->Equals(t)) ++bad;
          if (got.ok() && IsCheckpointView(*got)) ++views;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(views.load(), 2);  // "big" and "doubles", once each
}

// The mapping lives as long as the last tensor on it, not the reader.
TEST(MappedShardTest, ViewsOutliveTheReader) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  Tensor view;
  {
    auto r = OpenOrDie(prefix);
    ASSERT_TRUE(r);
    view = r->Read("doubles").value();
  }
  ASSERT_TRUE(IsCheckpointView(view));
  EXPECT_EQ(view.flat<double>()[0], -1.0);
  EXPECT_EQ(view.flat<double>()[1023], -1.0 / 1024);
  Tensor shared = view;  // a Tensor sharing the buffer is a view too
  EXPECT_TRUE(IsCheckpointView(shared));
  EXPECT_FALSE(IsCheckpointView(view.DeepCopy()));
  EXPECT_FALSE(IsCheckpointView(Floats(4096, 1.f)));
  EXPECT_FALSE(IsCheckpointView(Tensor()));
}

// Saving over the prefix while views of it live: the writer renames its new
// files into place, so the views keep the old file's bytes and a new reader
// sees the new ones.
TEST(MappedShardTest, SavingOverAMappedBundle) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  auto r = OpenOrDie(prefix);
  Tensor view = r->Read("big").value();
  ASSERT_TRUE(IsCheckpointView(view));
  {
    BundleWriter w(Env::Default(), prefix);
    ASSERT_TRUE(w.Add("big", Floats(4096, 100.f)).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  EXPECT_TRUE(view.Equals(Floats(4096, 1.f)));
  auto now = OpenOrDie(prefix)->Read("big");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_TRUE(now->Equals(Floats(4096, 100.f)));
}

// Views are charged to the thread's budget and per-tensor limit while they
// live, as allocations of their size would be.
TEST(MappedShardTest, ViewsAreChargedToTheBudget) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  auto budget = std::make_shared<MemoryBudget>(20000, "test budget");
  {
    auto r = OpenOrDie(prefix);
    ScopedAllocationScope scope({/*limit_tensor_bytes=*/false, budget});
    auto view = r->Read("big");
    ASSERT_TRUE(view.ok()) << view.status();
    ASSERT_TRUE(IsCheckpointView(*view));
    EXPECT_EQ(budget->used(), 16384u);
    auto over = r->Read("doubles");  // 8 KiB more passes 20000
    EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted) << over.status();
    EXPECT_NE(over.status().message().find("entry 'doubles'"), std::string::npos) << over.status();
    *view = Tensor();
    EXPECT_EQ(budget->used(), 0u);
  }
  auto r = OpenOrDie(prefix);
  const size_t saved = MaxTensorBytes();
  SetMaxTensorBytes(1024);
  StatusOr<Tensor> t = InvalidArgument("unset");
  {
    ScopedTensorByteLimit limit;
    t = r->Read("big");
  }
  SetMaxTensorBytes(saved);
  EXPECT_EQ(t.status().code(), StatusCode::kResourceExhausted) << t.status();
}

TEST(MappedShardTest, EnvsThatCannotMapReadInstead) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  auto unmapped = NewEnvWithoutMapping(Env::Default());
  auto r = OpenOrDie(prefix, {}, unmapped.get());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->shard_mapped(0));
  auto t = r->Read("big");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FALSE(IsCheckpointView(*t));
  EXPECT_TRUE(t->Equals(Floats(4096, 1.f)));
  // The in-memory Env has no mapping either.
  auto mem = NewMemEnv();
  {
    BundleWriter w(mem.get(), "m");
    ASSERT_TRUE(w.Add("big", Floats(4096, 1.f)).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  auto m = OpenOrDie("m", {}, mem.get());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->shard_mapped(0));
  EXPECT_TRUE(m->Read("big").value().Equals(Floats(4096, 1.f)));
}

// ---- hostile and changing files ---------------------------------------------

// An index whose single entry "x" is `entry`, and a data shard of `data`.
void WriteRaw(const std::string& prefix, const tensorflow::BundleEntryProto& entry,
              const std::string& data) {
  Env* env = Env::Default();
  auto f = env->NewWritableFile(MetaFilename(prefix)).value();
  table::TableBuilder b(table::TableOptions(), f.get());
  tensorflow::BundleHeaderProto h;
  h.set_num_shards(1);
  h.mutable_version()->set_producer(1);
  ASSERT_TRUE(b.Add("", h.SerializeAsString()).ok());
  ASSERT_TRUE(b.Add("x", entry.SerializeAsString()).ok());
  ASSERT_TRUE(b.Finish().ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env->WriteStringToFile(DataFilename(prefix, 0, 1), data).ok());
}

// A float entry for `n` floats at `offset` of `data`, with their checksum.
tensorflow::BundleEntryProto FloatEntryAt(const std::string& data, int64_t offset, int64_t n) {
  tensorflow::BundleEntryProto e;
  e.set_dtype(tensorflow::DT_FLOAT);
  e.mutable_shape()->add_dim()->set_size(n);
  e.set_offset(offset);
  e.set_size(n * 4);
  const size_t at = static_cast<size_t>(std::clamp<int64_t>(offset, 0, data.size()));
  e.set_crc32c(crc32c::Mask(crc32c::Value(data.substr(at, static_cast<size_t>(n * 4)))));
  return e;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + 3) & 0x3f);  // finite floats
  return s;
}

TEST(MappedShardHostileTest, OffsetOrSizePastTheEndIsDataLoss) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "b").string();
  const std::string data = Pattern(8192);
  for (int64_t offset : {int64_t{4096}, int64_t{8192}, int64_t{1} << 40, INT64_MAX, int64_t{-16}}) {
    WriteRaw(prefix, FloatEntryAt(data, offset, 2048), data);
    auto t = OpenOrDie(prefix, AllViews())->Read("x");
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << offset << ": " << t.status();
    EXPECT_NE(t.status().message().find("lie outside"), std::string::npos) << t.status();
  }
  auto e = FloatEntryAt(data, 0, 2048);
  e.set_size(INT64_MAX);
  WriteRaw(prefix, e, data);
  EXPECT_EQ(OpenOrDie(prefix, AllViews())->Read("x").status().code(), StatusCode::kDataLoss);
}

// Offsets aligned to the element type but not to 16 bytes, and not aligned at
// all: copies with the right values.
TEST(MappedShardHostileTest, MisalignedOffsetsAreCopied) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "b").string();
  const std::string data = Pattern(3 * 4096 + 64);
  for (int64_t offset : {0, 1, 3, 4, 8, 12, 16, 17, 4096, 4100}) {
    WriteRaw(prefix, FloatEntryAt(data, offset, 2048), data);
    auto r = OpenOrDie(prefix, AllViews());
    auto t = r->Read("x");
    ASSERT_TRUE(t.ok()) << offset << ": " << t.status();
    EXPECT_EQ(IsCheckpointView(*t), offset % 16 == 0) << offset;
    EXPECT_EQ(std::memcmp(t->raw_data(), data.data() + offset, 2048 * 4), 0) << offset;
  }
}

// Two entries over the same bytes: the second is a copy, so a write into one
// tensor is never seen through the other.
TEST(MappedShardHostileTest, OverlappingEntriesDoNotShareBytes) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "b").string();
  const std::string data = Pattern(16384);
  Env* env = Env::Default();
  {
    auto f = env->NewWritableFile(MetaFilename(prefix)).value();
    table::TableBuilder b(table::TableOptions(), f.get());
    tensorflow::BundleHeaderProto h;
    h.set_num_shards(1);
    h.mutable_version()->set_producer(1);
    ASSERT_TRUE(b.Add("", h.SerializeAsString()).ok());
    ASSERT_TRUE(b.Add("x", FloatEntryAt(data, 0, 2048).SerializeAsString()).ok());
    ASSERT_TRUE(b.Add("y", FloatEntryAt(data, 4096, 2048).SerializeAsString()).ok());
    ASSERT_TRUE(b.Finish().ok());
    ASSERT_TRUE(f->Close().ok());
    ASSERT_TRUE(env->WriteStringToFile(DataFilename(prefix, 0, 1), data).ok());
  }
  auto r = OpenOrDie(prefix, AllViews());
  Tensor x = r->Read("x").value();
  Tensor y = r->Read("y").value();
  EXPECT_TRUE(IsCheckpointView(x));
  EXPECT_FALSE(IsCheckpointView(y));
  x.flat<float>()[1024] = 1e9f;  // byte 4096: y's first element in the file
  EXPECT_EQ(std::memcmp(y.raw_data(), data.data() + 4096, 8192), 0);
}

TEST(MappedShardHostileTest, ShardTruncatedBeforeOpen) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  ASSERT_EQ(::truncate(DataFilename(prefix, 0, 1).c_str(), 20000), 0);
  auto r = OpenOrDie(prefix);
  ASSERT_TRUE(r);
  auto big = r->Read("big");  // [0, 16384) is still there
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_TRUE(IsCheckpointView(*big));
  EXPECT_TRUE(big->Equals(Floats(4096, 1.f)));
  for (const char* key : {"doubles", "misaligned", "bools", "strings"}) {
    EXPECT_EQ(r->Read(key).status().code(), StatusCode::kDataLoss) << key;
  }
}

// A shard truncated after Open, before a view is read: DATA_LOSS, not SIGBUS.
// (Truncating it while a view is in use cannot be caught: see bundle_reader.h.)
TEST(MappedShardHostileTest, ShardTruncatedAfterOpenIsDataLoss) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  WriteMixed(prefix);
  const std::string shard = DataFilename(prefix, 0, 1);
  auto r = OpenOrDie(prefix);
  ASSERT_TRUE(r && r->shard_mapped(0));
  ASSERT_EQ(::truncate(shard.c_str(), 4096), 0);
  for (const char* key : {"big", "doubles", "misaligned", "strings"}) {
    auto t = r->Read(key);
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << key << ": " << t.status();
    EXPECT_NE(t.status().message().find(key), std::string::npos) << t.status();
  }
  // Emptied, then grown back with zeros: the checksum over the mapping fails.
  ASSERT_EQ(::truncate(shard.c_str(), 0), 0);
  ASSERT_EQ(::truncate(shard.c_str(), 1 << 20), 0);
  auto zeros = r->Read("doubles");
  EXPECT_EQ(zeros.status().code(), StatusCode::kDataLoss) << zeros.status();
  EXPECT_NE(zeros.status().message().find("checksum mismatch"), std::string::npos);
}

TEST(MappedShardHostileTest, BadChecksumOfAViewIsDataLoss) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "b").string();
  std::string data = Pattern(8192);
  auto e = FloatEntryAt(data, 0, 2048);
  data[5000] ^= 1;
  WriteRaw(prefix, e, data);
  auto t = OpenOrDie(prefix, AllViews())->Read("x");
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << t.status();
  EXPECT_NE(t.status().message().find("checksum mismatch"), std::string::npos) << t.status();
}

// A data "file" that is a directory or a pipe is not mapped; the reader fails
// or reads as before.
TEST(MappedShardHostileTest, NonRegularShards) {
  testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "b").string();
  const std::string data = Pattern(8192);
  WriteRaw(prefix, FloatEntryAt(data, 0, 2048), data);
  const std::string shard = DataFilename(prefix, 0, 1);
  fs::remove(shard);
  fs::create_directory(shard);
  EXPECT_FALSE(BundleReader::Open(Env::Default(), prefix).ok());
  fs::remove(shard);
  // A symbolic link to a regular file maps the file.
  fs::path target = tmp.path() / "elsewhere";
  ASSERT_TRUE(Env::Default()->WriteStringToFile(target.string(), data).ok());
  fs::create_symlink(target, shard);
  auto r = OpenOrDie(prefix, AllViews());
  ASSERT_TRUE(r);
  auto t = r->Read("x");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(IsCheckpointView(*t));
}

// ---- real checkpoints -------------------------------------------------------

// Every bundle under testdata reads the same, key by key and bit by bit, with
// views and with copies, and its files are unchanged afterwards.
TEST(MappedShardTest, TestdataBundlesReadTheSameMappedOrCopied) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "");
  int bundles = 0, keys = 0, views = 0;
  size_t view_bytes = 0, bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const fs::path p = entry.path();
    if (p.extension() != ".index") continue;
    const std::string prefix = (p.parent_path() / p.stem()).string();
    auto probe = BundleReader::Open(Env::Default(), prefix);
    if (!probe.ok()) continue;  // fuzz cases, indexes of other formats
    std::map<std::string, std::string> files_before;
    for (int i = 0; i < (*probe)->num_shards(); ++i) {
      const std::string f = DataFilename(prefix, i, (*probe)->num_shards());
      files_before[f] = FileBytes(f);
    }
    auto mapped = OpenOrDie(prefix, AllViews());
    auto copied = OpenOrDie(prefix, NoViews());
    ASSERT_TRUE(mapped && copied);
    ++bundles;
    for (const std::string& key : copied->Keys()) {
      auto a = mapped->Read(key);
      auto b = copied->Read(key);
      ASSERT_EQ(a.status().code(), b.status().code()) << prefix << " " << key;
      if (!b.ok()) continue;
      ++keys;
      EXPECT_TRUE(a->Equals(*b)) << prefix << " " << key;
      bytes += b->byte_size();
      if (IsCheckpointView(*a)) {
        ++views;
        view_bytes += a->byte_size();
      }
    }
    for (const auto& [f, b] : files_before) EXPECT_EQ(FileBytes(f), b) << f;
  }
  std::printf("testdata bundles: %d, tensors: %d, views: %d (%zu of %zu numeric bytes)\n",
              bundles, keys, views, view_bytes, bytes);
  EXPECT_GT(bundles, 10);
  EXPECT_GT(views, 0);
}

}  // namespace
}  // namespace savedmodel::bundle
