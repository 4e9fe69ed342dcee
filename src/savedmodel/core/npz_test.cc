// .npz archives: numpy-written fixtures, round trips, hostile zips.
#include "savedmodel/core/npz.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

namespace savedmodel {
namespace {

// Written by numpy 1.24 (np.savez and np.savez_compressed).
const std::string kNpzStored(
      "PK\003\004\024\000\000\000\000\000\000\000!\000\376t\036\324\220\000\000\000\220\000"
      "\000\000\005\000\024\000a.npy\001\000\020\000\220\000\000\000\000\000\000\000\220"
      "\000\000\000\000\000\000\000\223NUMPY\001\000v\000{'descr': '<i4', 'fortran_order"
      "': False, 'shape': (4,), }                                                       "
      "     \012\000\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000PK\003\004"
      "\024\000\000\000\000\000\000\000!\000\024PN\261\204\000\000\000\204\000\000\000\005"
      "\000\024\000b.npy\001\000\020\000\204\000\000\000\000\000\000\000\204\000\000\000"
      "\000\000\000\000\223NUMPY\001\000v\000{'descr': '|S2', 'fortran_order': False, 's"
      "hape': (2,), }                                                            \012x\000"
      "yzPK\001\002\024\003\024\000\000\000\000\000\000\000!\000\376t\036\324\220\000\000"
      "\000\220\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\200\001\000\000"
      "\000\000a.npyPK\001\002\024\003\024\000\000\000\000\000\000\000!\000\024PN\261\204"
      "\000\000\000\204\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\200\001"
      "\307\000\000\000b.npyPK\005\006\000\000\000\000\002\000\002\000f\000\000\000\202\001"
      "\000\000\000\000",
      510);
const std::string kNpzDeflated(
      "PK\003\004\024\000\000\000\010\000\000\000!\000f\345\373\036M\000\000\000\240\000"
      "\000\000\005\000\024\000x.npy\001\000\020\000\240\000\000\000\000\000\000\000M\000"
      "\000\000\000\000\000\000\233\354\027\352\033\020\311\310P\306P\255\236\222Z\234\134"
      "\244n\245\240n\223f\241\256\243\240\236\226_TR\224\230\027\237_\224\222\012\022wK"
      "\314)N\005\212\027g$\026\244\002\371\032F:\012F\232:\012\265\012d\003.\0060\370`\217"
      "\213\006\000PK\003\004\024\000\000\000\010\000\000\000!\000\202-\370\323C\000\000"
      "\000\201\000\000\000\005\000\024\000y.npy\001\000\020\000\201\000\000\000\000\000"
      "\000\000C\000\000\000\000\000\000\000\233\354\027\352\033\020\311\310P\306P\255\236"
      "\222Z\234\134\244n\245\240^\223d\250\256\243\240\236\226_TR\224\230\027\237_\224\222"
      "\012\022wK\314)N\005\212\027g$\026\244\002\371\032\232:\012\265\012\024\001.F\000"
      "PK\001\002\024\003\024\000\000\000\010\000\000\000!\000f\345\373\036M\000\000\000"
      "\240\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\200\001\000\000\000"
      "\000x.npyPK\001\002\024\003\024\000\000\000\010\000\000\000!\000\202-\370\323C\000"
      "\000\000\201\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\200\001\204"
      "\000\000\000y.npyPK\005\006\000\000\000\000\002\000\002\000f\000\000\000\376\000\000"
      "\000\000\000",
      378);

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto f = t.flat<T>();
  return std::vector<T>(f.begin(), f.end());
}

TEST(NpzTest, ReadsStoredAndDeflated) {
  auto stored = ReadNpz(kNpzStored, "s.npz");
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ(Values<int32_t>(stored->at("a")), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(Values<std::string>(stored->at("b")), (std::vector<std::string>{"x", "yz"}));

  auto deflated = ReadNpz(kNpzDeflated, "d.npz");
  ASSERT_TRUE(deflated.ok()) << deflated.status();
  ASSERT_EQ(deflated->size(), 2u);
  EXPECT_EQ(deflated->at("x").shape(), (TensorShape{2, 2}));
  EXPECT_EQ(Values<double>(deflated->at("x")), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(deflated->at("y").scalar<bool>(), true);
}

TEST(NpzTest, WriteRoundTrips) {
  std::map<std::string, Tensor> in = {
      {"w", Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2})},
      {"names", Tensor::FromVector<std::string>({"a", "bcd"})},
      {"s", Tensor::Scalar<int64_t>(-7)},
  };
  auto zip = WriteNpz(in);
  ASSERT_TRUE(zip.ok()) << zip.status();
  auto out = ReadNpz(*zip, "rt.npz");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  for (const auto& [k, t] : in) EXPECT_TRUE(out->at(k).Equals(t)) << k;
  // Deterministic.
  EXPECT_EQ(*zip, *WriteNpz(in));
  auto empty = ReadNpz(*WriteNpz({}), "empty.npz");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

void ExpectNpzError(const std::string& bytes, StatusCode code, const std::string& needle) {
  auto t = ReadNpz(bytes, "bad.npz");
  ASSERT_FALSE(t.ok()) << needle;
  EXPECT_EQ(t.status().code(), code) << t.status();
  EXPECT_EQ(t.status().message().rfind("bad.npz: ", 0), 0u) << t.status();
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status();
}

void Poke32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}

TEST(NpzTest, HostileArchives) {
  ExpectNpzError("", StatusCode::kDataLoss, "too short");
  ExpectNpzError(std::string(100, 'x'), StatusCode::kDataLoss, "end-of-central-directory");
  std::string zip = *WriteNpz({{"a", Tensor::FromVector<float>({1, 2})}});
  size_t eocd = zip.size() - 22;
  std::string bad = zip;
  Poke32(&bad, eocd + 16, 0x7fffffff);  // central directory offset
  ExpectNpzError(bad, StatusCode::kDataLoss, "lies outside");
  bad = zip;
  Poke32(&bad, eocd + 12, 1000);  // central directory size
  ExpectNpzError(bad, StatusCode::kDataLoss, "lies outside");
  size_t cd = zip.size() - 22 - (46 + 5);
  bad = zip;
  Poke32(&bad, cd + 42, 12345);  // local header offset
  ExpectNpzError(bad, StatusCode::kDataLoss, "bad local header offset");
  bad = zip;
  Poke32(&bad, cd + 20, 0x10000);  // compressed size
  ExpectNpzError(bad, StatusCode::kDataLoss, "runs past the end");
  bad = zip;
  Poke32(&bad, cd + 16, 0xdeadbeef);  // crc
  ExpectNpzError(bad, StatusCode::kDataLoss, "CRC-32");
  bad = zip;
  bad[cd + 10] = 12;  // bzip2
  ExpectNpzError(bad, StatusCode::kUnimplemented, "method 12");
  bad = zip;
  bad[30 + 5 + 6] = 7;  // corrupt the member's .npy version, then fix its CRC
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bad.data() + 35), static_cast<uInt>(cd - 35)));
  Poke32(&bad, 14, crc);
  Poke32(&bad, cd + 16, crc);
  ExpectNpzError(bad, StatusCode::kUnimplemented, "member 'a.npy': unsupported .npy format version 7.0");
  bad = zip;
  bad[eocd + 10] = 5;  // more entries than the directory holds
  ExpectNpzError(bad, StatusCode::kDataLoss, "entry 1");

  // A deflated member that claims a size far beyond what its bytes can inflate to.
  std::string d = kNpzDeflated;
  size_t d_eocd = d.size() - 22;
  size_t d_cd = d[d_eocd + 16] & 0xff;
  d_cd |= (d[d_eocd + 17] & 0xff) << 8;
  Poke32(&d, d_cd + 24, 0xfffffff0);
  ExpectNpzError(d, StatusCode::kDataLoss, "more than");
}

TEST(NpzTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(42);
  for (const std::string* f : {&kNpzStored, &kNpzDeflated}) {
    for (int trial = 0; trial < 2000; ++trial) {
      std::string b = *f;
      int flips = 1 + rng() % 4;
      for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<char>(rng());
      ReadNpz(b, "fuzz.npz").status().IgnoreError();
    }
  }
}

TEST(NpzFileTest, ThroughEnv) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("m").ok());
  Tensor t = Tensor::FromVector<int32_t>({1, 2, 3});
  ASSERT_TRUE(WriteNpzFile(env.get(), "m/t.npz", {{"t", t}}).ok());
  auto npz = ReadNpzFile(env.get(), "m/t.npz");
  ASSERT_TRUE(npz.ok()) << npz.status();
  EXPECT_TRUE(npz->at("t").Equals(t));
  EXPECT_FALSE(ReadNpzFile(env.get(), "m/missing.npz").ok());
}

}  // namespace
}  // namespace savedmodel
