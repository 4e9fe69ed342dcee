#include "savedmodel/format/table/table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "savedmodel/base/coding.h"
#include "savedmodel/format/table/table_builder.h"
#include "test_util.h"

namespace savedmodel::table {
namespace {

std::string Build(const std::map<std::string, std::string>& kv, const TableOptions& opts) {
  auto env = NewMemEnv();
  auto file = env->NewWritableFile("t").value();
  TableBuilder b(opts, file.get());
  for (const auto& [k, v] : kv) EXPECT_TRUE(b.Add(k, v).ok());
  EXPECT_TRUE(b.Finish().ok());
  EXPECT_TRUE(file->Close().ok());
  std::string bytes = env->ReadFileToString("t").value();
  EXPECT_EQ(bytes.size(), b.FileSize());
  return bytes;
}

std::map<std::string, std::string> ReadAll(const std::string& bytes) {
  auto t = Table::OpenBytes(bytes, "mem");
  EXPECT_TRUE(t.ok()) << t.status();
  std::map<std::string, std::string> out;
  if (!t.ok()) return out;
  auto it = (*t)->NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next()) out[std::string(it.key())] = it.value();
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

std::map<std::string, std::string> RandomEntries(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::map<std::string, std::string> kv;
  while (static_cast<int>(kv.size()) < n) {
    std::string k = "key/" + std::to_string(rng() % 100000) + "/" + std::string(rng() % 20, 'x');
    std::string v(rng() % 200, '\0');
    for (char& c : v) c = static_cast<char>('a' + rng() % 4);  // compressible
    kv[k] = v;
  }
  return kv;
}

TEST(TableTest, EmptyTable) {
  auto bytes = Build({}, TableOptions());
  EXPECT_TRUE(ReadAll(bytes).empty());
}

class TableRoundTrip : public ::testing::TestWithParam<std::tuple<size_t, int, CompressionType>> {};

TEST_P(TableRoundTrip, ManyKeys) {
  TableOptions opts;
  std::tie(opts.block_size, opts.block_restart_interval, opts.compression) = GetParam();
  auto kv = RandomEntries(3000, 7);
  kv[""] = "header";  // TensorFlow's bundle header key sorts first
  const std::string bytes = Build(kv, opts);
  EXPECT_EQ(ReadAll(bytes), kv);

  auto t = Table::OpenBytes(bytes, "mem").value();
  for (const auto& [k, v] : kv) {
    auto got = t->Get(k);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, v);
  }
  EXPECT_EQ(t->Get("key/zzz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(t->Get("kex").status().code(), StatusCode::kNotFound);
  // Seek lands on the first key >= target.
  auto it = t->NewIterator();
  for (const char* target : {"", "a", "key/5", "key/50000", "key/99999z"}) {
    it.Seek(target);
    auto want = kv.lower_bound(target);
    if (want == kv.end()) {
      EXPECT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid()) << target;
      EXPECT_EQ(it.key(), want->first);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Options, TableRoundTrip,
                         ::testing::Values(std::make_tuple(size_t{262144}, 16, kNoCompression),
                                           std::make_tuple(size_t{1024}, 16, kNoCompression),
                                           std::make_tuple(size_t{256}, 1, kSnappyCompression),
                                           std::make_tuple(size_t{4096}, 3, kSnappyCompression)));

TEST(TableTest, HugeEntryGetsOwnBlock) {
  TableOptions opts;
  opts.block_size = 100;
  std::map<std::string, std::string> kv = {
      {"a", "1"}, {"b", std::string(500, 'b')}, {"c", "3"}};
  EXPECT_EQ(ReadAll(Build(kv, opts)), kv);
}

TEST(TableTest, KeysOutOfOrderRejected) {
  auto env = NewMemEnv();
  auto file = env->NewWritableFile("t").value();
  TableBuilder b(TableOptions(), file.get());
  ASSERT_TRUE(b.Add("b", "1").ok());
  EXPECT_EQ(b.Add("a", "2").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Add("b", "2").code(), StatusCode::kInvalidArgument);
}

TEST(TableTest, SeparatorAndSuccessor) {
  std::string s = "the quick brown fox";
  FindShortestSeparator(&s, "the who");
  EXPECT_EQ(s, "the r");
  s = "abc";
  FindShortestSeparator(&s, "abcd");  // prefix: unchanged
  EXPECT_EQ(s, "abc");
  s = "abc";
  FindShortestSeparator(&s, "abd");  // adjacent bytes: unchanged
  EXPECT_EQ(s, "abc");
  s = "\xff\xff" "a";
  FindShortSuccessor(&s);
  EXPECT_EQ(s, "\xff\xff" "b");
  s = "\xff\xff";
  FindShortSuccessor(&s);
  EXPECT_EQ(s, "\xff\xff");
}

// Flips each byte of a small table in turn: reading must either fail cleanly or
// (for bytes no checksum covers, e.g. footer padding) return the right data.
TEST(TableTest, CorruptEveryByte) {
  for (CompressionType c : {kNoCompression, kSnappyCompression}) {
    TableOptions opts;
    opts.block_size = 64;
    opts.block_restart_interval = 2;
    opts.compression = c;
    std::map<std::string, std::string> kv;
    for (int i = 0; i < 12; ++i) kv["key" + std::to_string(i)] = std::string(10 + i, 'v');
    const std::string good = Build(kv, opts);
    for (size_t i = 0; i < good.size(); ++i) {
      for (int flip : {0x01, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ flip);
        auto t = Table::OpenBytes(bad, "bad.index");
        if (!t.ok()) {
          EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << t.status();
          EXPECT_NE(t.status().message().find("bad.index"), std::string::npos);
          continue;
        }
        std::map<std::string, std::string> got;
        auto it = (*t)->NewIterator();
        for (it.SeekToFirst(); it.Valid(); it.Next()) got[std::string(it.key())] = it.value();
        if (it.status().ok()) {
          EXPECT_EQ(got, kv) << "byte " << i << " flip " << flip;
        } else {
          EXPECT_EQ(it.status().code(), StatusCode::kDataLoss);
        }
        for (const auto& [k, v] : kv) (void)(*t)->Get(k);
      }
    }
  }
}

TEST(TableTest, TruncatedFiles) {
  std::map<std::string, std::string> kv = RandomEntries(50, 3);
  TableOptions opts;
  opts.block_size = 256;
  const std::string good = Build(kv, opts);
  for (size_t n = 0; n < good.size(); ++n) {
    auto t = Table::OpenBytes(good.substr(0, n), "short.index");
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  }
}

TEST(TableTest, PreciseErrors) {
  const std::string good = Build({{"a", "1"}}, TableOptions());
  std::string bad = good;
  bad[bad.size() - 1] ^= 1;
  auto t = Table::OpenBytes(bad, "f.index");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("bad magic number"), std::string::npos) << t.status();

  bad = good;
  bad[0] ^= 1;  // inside the data block: its checksum catches it
  auto t2 = Table::OpenBytes(bad, "f.index").value();
  auto it = t2->NewIterator();
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_NE(it.status().message().find("checksum mismatch in data block"), std::string::npos)
      << it.status();
  EXPECT_NE(it.status().message().find("stored 0x"), std::string::npos);

  // Index handle pointing past the end.
  Footer f;
  f.index_handle = {1000, 10};
  std::string footer;
  f.EncodeTo(&footer);
  auto t3 = Table::OpenBytes(footer, "g.index");
  ASSERT_FALSE(t3.ok());
  EXPECT_NE(t3.status().message().find("extends past end of file"), std::string::npos)
      << t3.status();
}

// Reads every TensorFlow-written index under testdata, then rebuilds it with
// our builder (same options as the writer used) and expects identical bytes.
TEST(TableTest, TensorFlowIndexFilesRoundTrip) {
  SAVEDMODEL_REQUIRE_TESTDATA(root, "");
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".index") continue;
    ++files;
    const std::string bytes = ::savedmodel::testing::ReadFileOrDie(e.path());
    auto t = Table::OpenBytes(bytes, e.path().string());
    ASSERT_TRUE(t.ok()) << t.status();
    std::vector<std::pair<std::string, std::string>> kv;
    auto it = (*t)->NewIterator();
    for (it.SeekToFirst(); it.Valid(); it.Next()) kv.emplace_back(it.key(), it.value());
    ASSERT_TRUE(it.status().ok()) << it.status();
    ASSERT_FALSE(kv.empty());
    EXPECT_EQ(kv[0].first, "");  // bundle header

    // Older TensorFlow left table compression at its snappy default; the first
    // data block's trailer says which.
    TableOptions opts;
    std::string_view footer(bytes.data() + bytes.size() - kFooterLength, kFooterLength);
    Footer f;
    ASSERT_TRUE(f.DecodeFrom(footer, "x").ok());
    // The first data block ends where the metaindex begins only when there is
    // one data block; for TF's small index files there always is.
    const uint8_t first_type = static_cast<uint8_t>(bytes[f.metaindex_handle.offset - 5]);
    opts.compression = first_type == kSnappyCompression ? kSnappyCompression : kNoCompression;

    auto env = NewMemEnv();
    auto out = env->NewWritableFile("re").value();
    TableBuilder b(opts, out.get());
    for (const auto& [k, v] : kv) ASSERT_TRUE(b.Add(k, v).ok());
    ASSERT_TRUE(b.Finish().ok());
    ASSERT_TRUE(out->Close().ok());
    EXPECT_TRUE(env->ReadFileToString("re").value() == bytes)
        << "rebuilt table differs: " << e.path() << " (compression "
        << static_cast<int>(opts.compression) << ")";
  }
  EXPECT_GT(files, 20);
}

}  // namespace
}  // namespace savedmodel::table
