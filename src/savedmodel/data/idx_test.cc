#include "savedmodel/data/idx.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

// Header bytes: magic, type, rank, big-endian dims.
std::string Header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::string h = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  return h;
}

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

std::string Gzip(const std::string& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, raw.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_->CreateDirs("/d").ok());
    ASSERT_TRUE(env_->CreateDirs("/m").ok());
  }
  StatusOr<Tensor> Read(const std::string& name, const std::string& bytes) {
    EXPECT_TRUE(env_->WriteStringToFile(name, bytes).ok());
    return ReadIdx(env_.get(), name);
  }
  // Fails with DataLoss naming the file and containing `substr`.
  void ExpectCorrupt(const std::string& name, const std::string& bytes, const std::string& substr) {
    auto t = Read(name, bytes);
    ASSERT_FALSE(t.ok()) << name;
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << t.status();
    EXPECT_NE(t.status().message().find("'" + name + "'"), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find(substr), std::string::npos) << t.status();
  }
  std::unique_ptr<Env> env_ = NewMemEnv();
};

TEST_F(IdxTest, RawUint8Matrix) {
  auto t = Read("/d/a.idx", Header(0x08, {2, 3}) + Bytes({0, 1, 2, 253, 254, 255}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), DT_UINT8);
  EXPECT_EQ(t->shape(), (TensorShape{2, 3}));
  EXPECT_EQ(std::vector<uint8_t>(t->flat<uint8_t>().begin(), t->flat<uint8_t>().end()),
            (std::vector<uint8_t>{0, 1, 2, 253, 254, 255}));
}

TEST_F(IdxTest, BigEndianTypesRawAndGzip) {
  // int16 {-2, 258}: 0xFFFE, 0x0102.
  const std::string i16 = Header(0x0B, {2}) + Bytes({0xFF, 0xFE, 0x01, 0x02});
  // int32 {-1, 65536}; float {1.5, -2} = 0x3FC00000, 0xC0000000; double {0.25} = 0x3FD0...
  const std::string i32 = Header(0x0C, {2}) + Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00});
  const std::string f32 = Header(0x0D, {1, 2}) + Bytes({0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0});
  const std::string f64 = Header(0x0E, {1}) + Bytes({0x3F, 0xD0, 0, 0, 0, 0, 0, 0});
  const std::string i8 = Header(0x09, {3}) + Bytes({0x80, 0x7F, 0xFF});
  for (bool gz : {false, true}) {
    auto wrap = [&](const std::string& s) { return gz ? Gzip(s) : s; };
    auto a = Read("/d/i16", wrap(i16));
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->dtype(), DT_INT16);
    EXPECT_EQ(a->flat<int16_t>()[0], -2);
    EXPECT_EQ(a->flat<int16_t>()[1], 258);
    auto b = Read("/d/i32", wrap(i32));
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->flat<int32_t>()[0], -1);
    EXPECT_EQ(b->flat<int32_t>()[1], 65536);
    auto c = Read("/d/f32", wrap(f32));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->dtype(), DT_FLOAT);
    EXPECT_EQ(c->shape(), (TensorShape{1, 2}));
    EXPECT_EQ(c->flat<float>()[0], 1.5f);
    EXPECT_EQ(c->flat<float>()[1], -2.0f);
    auto d = Read("/d/f64", wrap(f64));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->dtype(), DT_DOUBLE);
    EXPECT_EQ(d->flat<double>()[0], 0.25);
    auto e = Read("/d/i8", wrap(i8));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->dtype(), DT_INT8);
    EXPECT_EQ(e->flat<int8_t>()[0], -128);
    EXPECT_EQ(e->flat<int8_t>()[1], 127);
    EXPECT_EQ(e->flat<int8_t>()[2], -1);
  }
}

TEST_F(IdxTest, EmptyAndScalarShapes) {
  auto empty = Read("/d/e", Header(0x08, {0, 28, 28}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->shape(), (TensorShape{0, 28, 28}));
  auto scalar = Read("/d/s", Gzip(Header(0x0C, {}) + Bytes({0, 0, 1, 0})));
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_EQ(scalar->flat<int32_t>()[0], 256);
}

TEST_F(IdxTest, CorruptRawFiles) {
  const std::string good = Header(0x08, {2, 2}) + Bytes({1, 2, 3, 4});
  ExpectCorrupt("/d/short_header", Bytes({0, 0, 8}), "truncated");
  ExpectCorrupt("/d/magic", Bytes({1, 0}) + good.substr(2), "bad magic");
  ExpectCorrupt("/d/type", Header(0x0A, {4}) + Bytes({1, 2, 3, 4}), "unknown element type 0x0A");
  ExpectCorrupt("/d/dims_cut", good.substr(0, 9), "truncated");
  ExpectCorrupt("/d/data_cut", good.substr(0, good.size() - 1), "need 4 bytes");
  ExpectCorrupt("/d/extra", good + "x", "1 bytes follow");
  // Dims whose product overflows 64 bits, and dims far beyond the file.
  ExpectCorrupt("/d/overflow", Header(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}), "more than 2^64");
  ExpectCorrupt("/d/huge", Header(0x08, {100000, 100000}) + Bytes({1}), "need 10000000000 bytes");
  auto missing = ReadIdx(env_.get(), "/nope");
  EXPECT_FALSE(missing.ok());
}

TEST_F(IdxTest, CorruptGzipFiles) {
  std::string raw = Header(0x08, {64});
  for (int i = 0; i < 64; ++i) raw.push_back(static_cast<char>(i * 7));
  const std::string gz = Gzip(raw);
  ASSERT_TRUE(Read("/d/ok.gz", gz).ok());
  ExpectCorrupt("/d/cut.gz", gz.substr(0, gz.size() - 12), "");
  ExpectCorrupt("/d/tiny.gz", gz.substr(0, 10), "truncated gzip");
  std::string flipped = gz;
  flipped[gz.size() / 2] ^= 0x55;
  ExpectCorrupt("/d/flipped.gz", flipped, "");
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x01;  // first byte of the CRC32
  ExpectCorrupt("/d/crc.gz", bad_crc, "corrupt gzip stream");
  ExpectCorrupt("/d/trailing.gz", gz + "junk", "");
  // Dims claiming fewer bytes than the stream holds disagree with its stored size.
  ExpectCorrupt("/d/short_dims.gz", Gzip(Header(0x08, {2}) + Bytes({1, 2, 3})), "gzip trailer records");
  ExpectCorrupt("/d/long_dims.gz", Gzip(Header(0x08, {4}) + Bytes({1, 2, 3})), "gzip trailer records");
}

TEST_F(IdxTest, GzipBombIsRejectedBeforeAllocating) {
  // 8 MiB of zeros compresses to ~8 KiB; dims claiming 2^40 bytes cannot fit
  // in any deflate stream of that size and are refused up front.
  const std::string bomb = Gzip(Header(0x08, {1u << 20, 1u << 20}) + std::string(8 << 20, '\0'));
  ASSERT_LT(bomb.size(), 1u << 20);
  ExpectCorrupt("/d/bomb.gz", bomb, "can decompress to at most");
  // Dims describing 1 KiB over 8 MiB of zeros: the stored size disagrees,
  // so nothing past the header is inflated.
  ExpectCorrupt("/d/bomb2.gz", Gzip(Header(0x08, {1024}) + std::string(8 << 20, '\0')), "gzip trailer records");
}

// A tiny MNIST directory: 2 train images of 2x2, 1 test image; a mix of .gz and raw.
TEST_F(IdxTest, LoadMnistScalesPixelsAndWidensLabels) {
  ASSERT_TRUE(env_->WriteStringToFile("/m/train-images-idx3-ubyte.gz",
                                      Gzip(Header(0x08, {2, 2, 2}) + Bytes({0, 255, 51, 102, 1, 2, 3, 4})))
                  .ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/train-labels-idx1-ubyte", Header(0x08, {2}) + Bytes({9, 0})).ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/t10k-images-idx3-ubyte", Header(0x08, {1, 2, 2}) + Bytes({255, 0, 0, 0}))
                  .ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/t10k-labels-idx1-ubyte.gz", Gzip(Header(0x08, {1}) + Bytes({7}))).ok());
  auto data = LoadMnist(env_.get(), "/m");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train_images.shape(), (TensorShape{2, 4}));
  EXPECT_EQ(data->train_images.dtype(), DT_UINT8);
  EXPECT_EQ(data->train_images.flat<uint8_t>()[1], 255);
  EXPECT_EQ(data->train_images.flat<uint8_t>()[7], 4);
  auto scaled = ScaleImages(data->train_images);
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_EQ(scaled->shape(), (TensorShape{2, 4}));
  const auto px = scaled->flat<float>();
  EXPECT_EQ(px[0], 0.0f);
  EXPECT_EQ(px[1], 1.0f);
  EXPECT_FLOAT_EQ(px[2], 0.2f);
  EXPECT_FLOAT_EQ(px[3], 0.4f);
  EXPECT_EQ(data->train_labels.dtype(), DT_INT64);
  EXPECT_EQ(data->train_labels.flat<int64_t>()[0], 9);
  EXPECT_EQ(data->train_labels.flat<int64_t>()[1], 0);
  EXPECT_EQ(data->test_images.shape(), (TensorShape{1, 4}));
  EXPECT_EQ(data->test_labels.flat<int64_t>()[0], 7);

  // Counts that disagree, and a missing file.
  ASSERT_TRUE(env_->WriteStringToFile("/m/t10k-labels-idx1-ubyte.gz", Gzip(Header(0x08, {2}) + Bytes({7, 7}))).ok());
  auto mismatch = LoadMnist(env_.get(), "/m");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("1 images"), std::string::npos) << mismatch.status();
  auto missing = LoadMnist(env_.get(), "/elsewhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("train-images-idx3-ubyte"), std::string::npos);
}

// The vectorized loop against the scalar division, for every byte value and
// for lengths that leave every possible tail after whole vectors.
TEST(ScalePixelsTest, EqualsTheScalarDivisionForEveryByte) {
  std::vector<uint8_t> pixels(256 + 37);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{15}, size_t{17}, size_t{33}, pixels.size()}) {
    std::vector<float> out(n + 1, -1.0f);
    ScalePixels(pixels.data(), static_cast<int64_t>(n), out.data());
    for (size_t i = 0; i < n; ++i) {
      volatile float byte = pixels[i];  // scalar, not vectorized
      ASSERT_EQ(out[i], byte / 255.0f) << "n " << n << " i " << i;
    }
    EXPECT_EQ(out[n], -1.0f) << "wrote past n = " << n;
  }
  EXPECT_FALSE(ScaleImages(Tensor(DT_FLOAT, TensorShape{1, 2})).ok());
}

// A file of several MiB, inflated across many zlib calls: the data comes out
// whole, and a wrong CRC in the trailer, or a flipped byte inside, is caught.
TEST_F(IdxTest, LargeGzipFilesAreChecksummed) {
  std::string data(9u << 20, '\0');
  uint32_t state = 12345;
  for (char& c : data) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 24);
  }
  const std::string raw = Header(0x08, {static_cast<uint32_t>(data.size())}) + data;
  const std::string gz = Gzip(raw);
  auto t = Read("/d/big.gz", gz);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_elements(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(std::memcmp(t->raw_data(), data.data(), data.size()), 0);

  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 1;
  ExpectCorrupt("/d/bad_crc.gz", bad_crc, "incorrect data check");
  // A stored (incompressible) block's byte flipped: inflates fine, CRC differs.
  std::string flipped = gz;
  flipped[gz.size() / 2] ^= 0x40;
  auto f = Read("/d/flipped.gz", flipped);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss) << f.status();
}

TEST_F(IdxTest, LoadMnistRefusesImagesThatAreNotUint8Rank3) {
  ASSERT_TRUE(env_->WriteStringToFile("/m/train-images-idx3-ubyte", Header(0x0B, {1, 1, 2}) + Bytes({0, 1, 0, 2})).ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/train-labels-idx1-ubyte", Header(0x08, {1}) + Bytes({1})).ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/t10k-images-idx3-ubyte", Header(0x08, {1, 2}) + Bytes({0, 1})).ok());
  ASSERT_TRUE(env_->WriteStringToFile("/m/t10k-labels-idx1-ubyte", Header(0x08, {1}) + Bytes({1})).ok());
  auto data = LoadMnist(env_.get(), "/m");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kInvalidArgument) << data.status();
  EXPECT_NE(data.status().message().find("'/m/train-images-idx3-ubyte'"), std::string::npos) << data.status();
  EXPECT_NE(data.status().message().find("int16 [1, 1, 2], expected uint8 [N, rows, cols]"), std::string::npos)
      << data.status();
}

TEST(FashionMnistTest, LoadsTheInstalledDataset) {
  if (!std::filesystem::exists(std::string(kDefaultMnistDir) + "/train-labels-idx1-ubyte.gz") &&
      !std::filesystem::exists(std::string(kDefaultMnistDir) + "/train-labels-idx1-ubyte")) {
    GTEST_SKIP() << "Fashion-MNIST not found in " << kDefaultMnistDir
                 << " (Debian package dataset-fashion-mnist)";
  }
  auto data = LoadMnist(Env::Default());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train_images.shape(), (TensorShape{60000, 784}));
  EXPECT_EQ(data->train_labels.shape(), (TensorShape{60000}));
  EXPECT_EQ(data->test_images.shape(), (TensorShape{10000, 784}));
  EXPECT_EQ(data->test_labels.shape(), (TensorShape{10000}));
  for (const Tensor* labels : {&data->train_labels, &data->test_labels}) {
    std::vector<int64_t> counts(10, 0);
    for (int64_t l : labels->flat<int64_t>()) {
      ASSERT_GE(l, 0);
      ASSERT_LE(l, 9);
      ++counts[l];
    }
    // Fashion-MNIST is balanced: 6000 / 1000 of each class.
    for (int64_t c : counts) EXPECT_EQ(c, labels->num_elements() / 10);
  }
  // The first training image is an ankle boot (class 9), as is the first test image;
  // its 784 pixels sum to 76247 / 255 (read with Python's gzip module).
  EXPECT_EQ(data->train_labels.flat<int64_t>()[0], 9);
  EXPECT_EQ(data->test_labels.flat<int64_t>()[0], 9);
  EXPECT_EQ(data->test_labels.flat<int64_t>()[1], 2);
  int64_t sum = 0;
  for (int i = 0; i < 784; ++i) sum += data->train_images.flat<uint8_t>()[i];
  EXPECT_EQ(sum, 76247);
  // The last image of each split, so both decoded to the end (sums from Python's gzip module).
  auto row_sum = [](const Tensor& images, int64_t row) {
    int64_t s = 0;
    for (int64_t j = 0; j < 784; ++j) s += images.flat<uint8_t>()[row * 784 + j];
    return s;
  };
  EXPECT_EQ(row_sum(data->train_images, 59999), 16684);
  EXPECT_EQ(row_sum(data->test_images, 0), 33456);
  EXPECT_EQ(row_sum(data->test_images, 9999), 24390);
}

}  // namespace
}  // namespace savedmodel
