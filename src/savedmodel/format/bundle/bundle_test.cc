#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "savedmodel/base/crc32c.h"
#include "savedmodel/format/bundle/bundle_format.h"
#include "savedmodel/format/bundle/bundle_reader.h"
#include "savedmodel/format/bundle/bundle_writer.h"
#include "savedmodel/format/table/table_builder.h"
#include "test_util.h"

namespace savedmodel::bundle {
namespace {

using ::savedmodel::testing::TestDataDir;

template <typename T>
Tensor Make(std::vector<T> v, TensorShape shape) {
  return Tensor::FromVector<T>(v, shape);
}

std::map<std::string, Tensor> SampleTensors() {
  std::map<std::string, Tensor> m;
  m["f32"] = Make<float>({1.5f, -2.f, 3.25f, 0.f, 1e30f, -0.f}, {2, 3});
  m["f64"] = Make<double>({3.141592653589793, -1e-300}, {2});
  m["f16"] = Make<half>({FloatToHalf(1.f), FloatToHalf(-0.5f)}, {2});
  m["bf16"] = Make<bfloat16>({FloatToBFloat16(2.f)}, {1, 1});
  m["i8"] = Make<int8_t>({-128, 127}, {2});
  m["i16"] = Make<int16_t>({-32768, 7}, {2});
  m["i32"] = Tensor::Scalar<int32_t>(42);
  m["i64"] = Make<int64_t>({int64_t{1} << 62, -1}, {2});
  m["u8"] = Make<uint8_t>({0, 255}, {2});
  m["u16"] = Make<uint16_t>({65535}, {1});
  m["u32"] = Make<uint32_t>({4000000000u}, {1});
  m["u64"] = Make<uint64_t>({~uint64_t{0}}, {1});
  m["bool"] = Make<bool>({true, false, true}, {3});
  m["c64"] = Make<complex64>({{1.f, -1.f}}, {1});
  m["c128"] = Make<complex128>({{2.0, 3.0}, {-4.0, 0.5}}, {2});
  m["str"] = Make<std::string>({"hello", "", std::string(300, 'x'), std::string("\0\xff", 2)},
                               {2, 2});
  m["str_scalar"] = Tensor::Scalar<std::string>("scalar");
  m["empty_f32"] = Tensor(DT_FLOAT, TensorShape{0, 3});
  m["empty_str"] = Tensor(DT_STRING, TensorShape{0});
  return m;
}

TEST(BundleTest, RoundTripEveryDtype) {
  auto env = NewMemEnv();
  auto tensors = SampleTensors();
  {
    BundleWriter w(env.get(), "ckpt/model");
    for (const auto& [k, t] : tensors) ASSERT_TRUE(w.Add(k, t).ok()) << k;
    ASSERT_TRUE(w.Finish().ok());
  }
  // Only the final names remain.
  auto children = env->GetChildren("ckpt").value();
  EXPECT_EQ(children, (std::vector<std::string>{"model.data-00000-of-00001", "model.index"}));

  auto r = BundleReader::Open(env.get(), "ckpt/model");
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> keys;
  for (const auto& [k, t] : tensors) keys.push_back(k);
  EXPECT_EQ((*r)->Keys(), keys);
  for (const auto& [k, t] : tensors) {
    auto got = (*r)->Read(k);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->Equals(t)) << k << ": " << got->DebugString() << " vs " << t.DebugString();
    auto info = (*r)->Info(k).value();
    EXPECT_EQ(info.dtype, t.dtype());
    EXPECT_EQ(info.shape, t.shape());
    EXPECT_TRUE((*r)->Contains(k));
  }
  EXPECT_FALSE((*r)->Contains(""));
  EXPECT_EQ((*r)->Read("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*r)->Read("").status().code(), StatusCode::kNotFound);
}

TEST(BundleTest, WriterRejectsBadInput) {
  auto env = NewMemEnv();
  BundleWriter w(env.get(), "m");
  EXPECT_EQ(w.Add("", Tensor::Scalar<float>(1)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.Add("a", Tensor::Scalar<float>(1)).ok());
  EXPECT_EQ(w.Add("a", Tensor::Scalar<float>(2)).code(), StatusCode::kInvalidArgument);
}

TEST(BundleTest, UnfinishedWriterLeavesNothing) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("d").ok());
  {
    BundleWriter w(env.get(), "d/m");
    ASSERT_TRUE(w.Add("a", Tensor::Scalar<float>(1)).ok());
  }
  EXPECT_TRUE(env->GetChildren("d").value().empty());
}

tensorflow::TensorSliceProto SliceProto(std::vector<std::pair<int64_t, int64_t>> extents) {
  tensorflow::TensorSliceProto p;
  for (auto [start, len] : extents) {
    auto* e = p.add_extent();
    e->set_start(start);
    if (len >= 0) e->set_length(len);
  }
  return p;
}

TEST(BundleTest, PartitionedVariables) {
  auto env = NewMemEnv();
  // [4, 3] float split by rows into [0,1) and [1,4); [2, 4] int split by columns.
  Tensor top = Make<float>({1, 2, 3}, {1, 3});
  Tensor rest = Make<float>({4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 3});
  Tensor left = Make<int32_t>({1, 2, 5, 6}, {2, 2});
  Tensor right = Make<int32_t>({3, 4, 7, 8}, {2, 2});
  Tensor strs_a = Make<std::string>({"a", "b"}, {1, 2});
  Tensor strs_b = Make<std::string>({"c", "d"}, {1, 2});
  {
    BundleWriter w(env.get(), "p");
    ASSERT_TRUE(w.AddSlice("rows", {4, 3}, SliceProto({{0, 1}, {0, -1}}), top).ok());
    ASSERT_TRUE(w.AddSlice("rows", {4, 3}, SliceProto({{1, 3}, {0, -1}}), rest).ok());
    ASSERT_TRUE(w.AddSlice("cols", {2, 4}, SliceProto({{0, -1}, {2, 2}}), right).ok());
    ASSERT_TRUE(w.AddSlice("cols", {2, 4}, SliceProto({{0, -1}, {0, 2}}), left).ok());
    ASSERT_TRUE(w.AddSlice("s", {2, 2}, SliceProto({{1, 1}, {0, -1}}), strs_b).ok());
    ASSERT_TRUE(w.AddSlice("s", {2, 2}, SliceProto({{0, 1}, {0, -1}}), strs_a).ok());
    // A slice covering everything is stored as a plain tensor.
    ASSERT_TRUE(w.AddSlice("whole", {1, 3}, SliceProto({{0, 1}, {0, 3}}), top).ok());
    EXPECT_EQ(w.AddSlice("bad", {4, 3}, SliceProto({{3, 2}, {0, -1}}), top).code(),
              StatusCode::kInvalidArgument);
    ASSERT_TRUE(w.Finish().ok());
  }
  auto r = BundleReader::Open(env.get(), "p").value();
  EXPECT_EQ(r->Keys(), (std::vector<std::string>{"cols", "rows", "s", "whole"}));
  EXPECT_EQ(r->entries().size(), 4u + 6);  // full entries + slices
  EXPECT_TRUE(r->Read("rows")->Equals(
      Make<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3})));
  EXPECT_TRUE(r->Read("cols")->Equals(Make<int32_t>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4})));
  EXPECT_TRUE(r->Read("s")->Equals(Make<std::string>({"a", "b", "c", "d"}, {2, 2})));
  EXPECT_TRUE(r->Read("whole")->Equals(top));
  EXPECT_EQ(r->Info("rows")->shape, (TensorShape{4, 3}));
}

TEST(BundleTest, SliceKeyEncodingMatchesTensorFlow) {
  // Bytes from TensorFlow's OrderedCode: NumIncreasing(0)=00, String("a")=61 00 01,
  // NumIncreasing(2)=01 02, SignedNumIncreasing(0)=80, (-1)=7f, (1)=81,
  // (100)=c0 64, (-100)=3f 9c.
  std::string key = EncodeTensorNameSlice("a", {{0, -1}, {1, 100}});
  EXPECT_EQ(key, std::string("\x00" "a\x00\x01" "\x01\x02" "\x80\x7f" "\x81\xc0\x64", 11));
  key = EncodeTensorNameSlice("\xff", {{-100, 0}});
  EXPECT_EQ(key, std::string("\x00" "\xff\x00\x00\x01" "\x01\x01" "\x3f\x9c\x80", 10));
}

TEST(BundleTest, HalfPlusTwoValues) {
  SAVEDMODEL_REQUIRE_TESTDATA(
      dir, "tf_serving/saved_model_half_plus_two_cpu/00000123/variables/variables.index");
  const std::string prefix = (dir.parent_path() / "variables").string();
  auto r = BundleReader::Open(Env::Default(), prefix);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const char* k : {"a", "b", "c"}) EXPECT_TRUE((*r)->Contains(k)) << k;
  for (auto [name, value] : {std::pair{"a", 0.5f}, {"b", 2.0f}, {"c", 3.0f}}) {
    auto t = (*r)->Read(name);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(t->Equals(Tensor::Scalar<float>(value))) << name << " " << t->DebugString();
  }
}

std::vector<std::filesystem::path> AllBundlePrefixes() {
  std::vector<std::filesystem::path> out;
  if (TestDataDir().empty()) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(TestDataDir())) {
    if (e.is_regular_file() && e.path().extension() == ".index") {
      out.push_back(e.path().parent_path() / e.path().stem());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every TensorFlow-written bundle: read each tensor, write them again in the
// order their bytes appear in the data files, and compare.
//  - single shard: data file and index file must be byte-identical (the index
//    rebuilt with snappy blocks where TensorFlow used snappy);
//  - several shards (MergeBundles output): our writer makes one shard, so each
//    entry's bytes, dtype, shape, size and crc32c are compared instead.
TEST(BundleTest, TensorFlowBundlesRewriteByteIdentical) {
  auto prefixes = AllBundlePrefixes();
  if (prefixes.empty()) GTEST_SKIP() << "no testdata";
  int identical = 0, multi = 0;
  for (const auto& p : prefixes) {
    SCOPED_TRACE(p.string());
    auto r = BundleReader::Open(Env::Default(), p.string());
    ASSERT_TRUE(r.ok()) << r.status();
    // Position in the data, with empty entries before a non-empty one at the
    // same offset (they must have been written first).
    std::vector<std::pair<std::tuple<int, int64_t, int64_t>, std::string>> order;
    for (const auto& [k, e] : (*r)->entries()) {
      if (!k.empty() && e.slices_size() == 0) {
        order.push_back({{e.shard_id(), e.offset(), e.size()}, k});
      }
    }
    std::sort(order.begin(), order.end());

    const std::string index_bytes = ::savedmodel::testing::ReadFileOrDie(p.string() + ".index");
    BundleWriterOptions opts;
    // The first data block's trailer byte tells whether TensorFlow used snappy.
    table::Footer f;
    ASSERT_TRUE(f.DecodeFrom(index_bytes.substr(index_bytes.size() - table::kFooterLength), "")
                    .ok());
    if (index_bytes[f.metaindex_handle.offset - table::kBlockTrailerSize] ==
        table::kSnappyCompression) {
      opts.index_compression = table::kSnappyCompression;
    }

    auto env = NewMemEnv();
    BundleWriter w(env.get(), "out", opts);
    for (const auto& [pos, k] : order) {
      auto t = (*r)->Read(k);
      ASSERT_TRUE(t.ok()) << t.status();
      ASSERT_TRUE(w.Add(k, *t).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
    auto re = BundleReader::Open(env.get(), "out").value();

    if ((*r)->num_shards() == 1) {
      EXPECT_TRUE(env->ReadFileToString("out.index").value() == index_bytes) << "index differs";
      EXPECT_TRUE(env->ReadFileToString("out.data-00000-of-00001").value() ==
                  ::savedmodel::testing::ReadFileOrDie(p.string() + ".data-00000-of-00001"))
          << "data differs";
      ++identical;
    } else {
      ++multi;
      for (const auto& [pos, k] : order) {
        const auto& a = (*r)->entries().at(k);
        const auto& b = re->entries().at(k);
        EXPECT_EQ((*r)->EntryBytes(k).value(), re->EntryBytes(k).value()) << k;
        EXPECT_EQ(a.dtype(), b.dtype());
        EXPECT_EQ(a.shape().SerializeAsString(), b.shape().SerializeAsString());
        EXPECT_EQ(a.size(), b.size());
        EXPECT_EQ(a.crc32c(), b.crc32c()) << k;
      }
    }
  }
  EXPECT_GT(identical, 20);
  EXPECT_GE(multi, 1);
}

TEST(BundleTest, ConcurrentReads) {
  auto env = NewMemEnv();
  auto tensors = SampleTensors();
  {
    BundleWriter w(env.get(), "m");
    for (const auto& [k, t] : tensors) ASSERT_TRUE(w.Add(k, t).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  auto r = BundleReader::Open(env.get(), "m").value();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) {
        for (const auto& [k, t] : tensors) {
          auto got = r->Read(k);
          if (!got.ok() || !got->Equals(t)) ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// ---- corrupt inputs ---------------------------------------------------------

// Writes an index whose single entry "x" is `entry`, plus a data shard.
void WriteBundle(Env* env, const std::string& prefix, const tensorflow::BundleEntryProto& entry,
                 const std::string& data, int num_shards = 1, bool write_data = true) {
  auto f = env->NewWritableFile(MetaFilename(prefix)).value();
  table::TableBuilder b(table::TableOptions(), f.get());
  tensorflow::BundleHeaderProto h;
  h.set_num_shards(num_shards);
  h.mutable_version()->set_producer(1);
  ASSERT_TRUE(b.Add("", h.SerializeAsString()).ok());
  ASSERT_TRUE(b.Add("x", entry.SerializeAsString()).ok());
  ASSERT_TRUE(b.Finish().ok());
  ASSERT_TRUE(f->Close().ok());
  if (write_data) {
    ASSERT_TRUE(env->WriteStringToFile(DataFilename(prefix, 0, num_shards), data).ok());
  }
}

tensorflow::BundleEntryProto FloatEntry(const std::string& data) {
  tensorflow::BundleEntryProto e;
  e.set_dtype(tensorflow::DT_FLOAT);
  e.mutable_shape()->add_dim()->set_size(static_cast<int64_t>(data.size() / 4));
  e.set_size(static_cast<int64_t>(data.size()));
  e.set_crc32c(crc32c::Mask(crc32c::Value(data)));
  return e;
}

Status ReadX(Env* env) {
  ASSIGN_OR_RETURN(auto r, BundleReader::Open(env, "b"));
  return r->Read("x").status();
}

void ExpectError(Env* env, StatusCode code, const std::string& needle) {
  Status s = ReadX(env);
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_NE(s.message().find(needle), std::string::npos) << s;
}

TEST(BundleCorruptTest, GoodBaseline) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  WriteBundle(env.get(), "b", FloatEntry(data), data);
  EXPECT_TRUE(ReadX(env.get()).ok()) << ReadX(env.get());
}

TEST(BundleCorruptTest, BadCrc) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  WriteBundle(env.get(), "b", FloatEntry(data), std::string(7, '\1') + "\2");
  ExpectError(env.get(), StatusCode::kDataLoss, "checksum mismatch: stored 0x");
}

TEST(BundleCorruptTest, OffsetPastShardEnd) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  auto e = FloatEntry(data);
  e.set_offset(4);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "lie outside data file b.data-00000-of-00001");
  e.set_offset(INT64_MAX);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "lie outside");
  e.set_offset(-1);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "lie outside");
}

TEST(BundleCorruptTest, SizeDisagreesWithShape) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  auto e = FloatEntry(data);
  e.mutable_shape()->mutable_dim(0)->set_size(3);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "needs 12");
}

TEST(BundleCorruptTest, UnknownDtype) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  auto e = FloatEntry(data);
  e.set_dtype(static_cast<tensorflow::DataType>(77));
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "unknown dtype 77");
}

TEST(BundleCorruptTest, NegativeAndOverflowingShapes) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  auto e = FloatEntry(data);
  e.mutable_shape()->mutable_dim(0)->set_size(-2);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "invalid shape");
  e = FloatEntry(data);
  for (int i = 0; i < 3; ++i) e.mutable_shape()->add_dim()->set_size(INT64_MAX / 2);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "invalid shape");
}

TEST(BundleCorruptTest, MissingShard) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  WriteBundle(env.get(), "b", FloatEntry(data), data, /*num_shards=*/2);
  ExpectError(env.get(), StatusCode::kNotFound, "shard 1 cannot be opened");
  WriteBundle(env.get(), "c", FloatEntry(data), data, 1, /*write_data=*/false);
  auto r = BundleReader::Open(env.get(), "c");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(BundleCorruptTest, BadShardId) {
  auto env = NewMemEnv();
  const std::string data(8, '\1');
  auto e = FloatEntry(data);
  e.set_shard_id(3);
  WriteBundle(env.get(), "b", e, data);
  ExpectError(env.get(), StatusCode::kDataLoss, "shard_id 3");
}

TEST(BundleCorruptTest, StringTensors) {
  // Build a valid string entry with the writer, then damage copies of it.
  auto env = NewMemEnv();
  {
    BundleWriter w(env.get(), "s");
    ASSERT_TRUE(w.Add("x", Make<std::string>({"abc", "de"}, {2})).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  auto r = BundleReader::Open(env.get(), "s").value();
  const auto entry = r->entries().at("x");
  const std::string good = env->ReadFileToString("s.data-00000-of-00001").value();
  ASSERT_EQ(good.size(), 2u + 4 + 5);

  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x40;
    WriteBundle(env.get(), "b", entry, bad);
    Status s = ReadX(env.get());
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << i << " " << s;
  }
  // Huge element count against a tiny entry: refused before allocating.
  auto e = entry;
  e.mutable_shape()->mutable_dim(0)->set_size(int64_t{1} << 39);
  WriteBundle(env.get(), "b", e, good);
  ExpectError(env.get(), StatusCode::kDataLoss, "cannot fit");
  // A length running past the entry.
  std::string bad = good;
  bad[0] = 100;
  WriteBundle(env.get(), "b", entry, bad);
  EXPECT_EQ(ReadX(env.get()).code(), StatusCode::kDataLoss);
}

TEST(BundleCorruptTest, NoHeaderOrBadHeader) {
  auto env = NewMemEnv();
  {
    auto f = env->NewWritableFile("b.index").value();
    table::TableBuilder b(table::TableOptions(), f.get());
    ASSERT_TRUE(b.Add("x", "junk").ok());
    ASSERT_TRUE(b.Finish().ok());
    ASSERT_TRUE(f->Close().ok());
  }
  ExpectError(env.get(), StatusCode::kDataLoss, "no header entry");
  ASSERT_TRUE(env->WriteStringToFile("b.index", "not a table at all").ok());
  ExpectError(env.get(), StatusCode::kDataLoss, "b.index");
}

// A shard truncated after Open (a checkpoint being rewritten in place) gives
// DATA_LOSS on read. Touching a mapped page past the new end of file raises
// SIGBUS, killing the process; here every tensor is read with positional
// reads (views are off), and mapped_shard_test.cc holds views to the same.
TEST(BundleTruncationTest, ShardTruncatedAfterOpenIsDataLoss) {
  ::savedmodel::testing::TempDir tmp;
  const std::string prefix = (tmp.path() / "ckpt").string();
  Tensor big(DT_FLOAT, TensorShape{64, 1024});  // 256 KiB: many pages past the cut
  for (int64_t i = 0; i < big.num_elements(); ++i) big.flat<float>()[i] = static_cast<float>(i);
  {
    BundleWriter w(Env::Default(), prefix);
    ASSERT_TRUE(w.Add("a_small", Tensor::Scalar<float>(7.f)).ok());
    ASSERT_TRUE(w.Add("big", big).ok());
    ASSERT_TRUE(w.Add("strings", Make<std::string>({"p", std::string(5000, 'q')}, {2})).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  BundleReaderOptions no_views;
  no_views.map_tensors = false;
  auto r = BundleReader::Open(Env::Default(), prefix, no_views);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE((*r)->Read("big").ok());
  const std::string shard = DataFilename(prefix, 0, 1);
  ASSERT_EQ(::truncate(shard.c_str(), 4096), 0);
  for (const char* key : {"big", "strings"}) {
    auto t = (*r)->Read(key);
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << key << ": " << t.status();
    EXPECT_NE(t.status().message().find(shard), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find(key), std::string::npos) << t.status();
  }
  EXPECT_EQ((*r)->ReadSlice("big", {{0, 1}, {0, -1}}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ((*r)->EntryBytes("big").status().code(), StatusCode::kDataLoss);
  // Bytes still inside the file read as before.
  auto small = (*r)->Read("a_small");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->flat<float>()[0], 7.f);
  // Emptied entirely, then grown back with other bytes: checksums catch it.
  ASSERT_EQ(::truncate(shard.c_str(), 0), 0);
  EXPECT_EQ((*r)->Read("a_small").status().code(), StatusCode::kDataLoss);
  ASSERT_EQ(::truncate(shard.c_str(), 1 << 20), 0);
  auto zeros = (*r)->Read("big");
  EXPECT_EQ(zeros.status().code(), StatusCode::kDataLoss) << zeros.status();
  EXPECT_NE(zeros.status().message().find("checksum mismatch"), std::string::npos);
}

TEST(BundleTruncationTest, InMemoryShardShrunkAfterOpen) {
  auto env = NewMemEnv();
  const std::string data(400, '\1');
  WriteBundle(env.get(), "b", FloatEntry(data), data);
  auto r = BundleReader::Open(env.get(), "b");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(env->WriteStringToFile("b.data-00000-of-00001", data.substr(0, 10)).ok());
  auto t = (*r)->Read("x");
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << t.status();
  EXPECT_NE(t.status().message().find("entry 'x'"), std::string::npos) << t.status();
}

// Stored bools other than 0 and 1 (TensorFlow treats any nonzero byte as
// true) read as valid bools.
TEST(BundleCorruptTest, NonCanonicalBoolBytes) {
  auto env = NewMemEnv();
  const std::string data("\0\x02\xff\x01", 4);
  auto e = FloatEntry(data);
  e.set_dtype(tensorflow::DT_BOOL);
  e.mutable_shape()->mutable_dim(0)->set_size(4);
  WriteBundle(env.get(), "b", e, data);
  auto r = BundleReader::Open(env.get(), "b");
  ASSERT_TRUE(r.ok()) << r.status();
  auto t = (*r)->Read("x");
  ASSERT_TRUE(t.ok()) << t.status();
  const unsigned char* raw = static_cast<const unsigned char*>(t->raw_data());
  EXPECT_EQ(std::vector<int>(raw, raw + 4), (std::vector<int>{0, 1, 1, 1}));
}

// A read inside the session's per-tensor limit (as RestoreV2 runs) that the
// limit refuses is RESOURCE_EXHAUSTED, not an exception.
TEST(BundleCorruptTest, AllocationOverTheLimitIsAStatus) {
  auto env = NewMemEnv();
  const std::string data(4096, '\1');
  WriteBundle(env.get(), "b", FloatEntry(data), data);
  auto r = BundleReader::Open(env.get(), "b");
  ASSERT_TRUE(r.ok()) << r.status();
  const size_t saved = MaxTensorBytes();
  SetMaxTensorBytes(1024);
  StatusOr<Tensor> t = InvalidArgument("unset");
  {
    ScopedTensorByteLimit limit;
    t = (*r)->Read("x");
  }
  SetMaxTensorBytes(saved);
  EXPECT_EQ(t.status().code(), StatusCode::kResourceExhausted) << t.status();
  EXPECT_NE(t.status().message().find("entry 'x'"), std::string::npos) << t.status();
}

}  // namespace
}  // namespace savedmodel::bundle
