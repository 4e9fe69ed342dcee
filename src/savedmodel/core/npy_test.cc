#include "savedmodel/core/npy.h"

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace savedmodel {
namespace {

// Fixtures written by numpy 1.24 (np.save /
// numpy.lib.format.write_array for versions 2.0 and 3.0).
const std::string kF4Vector(
      "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }  "
      "                                                          \012\000\000\300\077\000"
      "\000\000\300\315\314\314=",
      140);
const std::string kF8Scalar(
      "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (), }    "
      "                                                          \012\000\000\000\000\000"
      "\000\012@",
      136);
const std::string kF2(
      "\223NUMPY\001\000v\000{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }  "
      "                                                          \012\000<f.\377\373\000"
      "|",
      136);
const std::string kI1(
      "\223NUMPY\001\000v\000{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\200\177",
      130);
const std::string kI2BigEndian(
      "\223NUMPY\001\000v\000{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }  "
      "                                                          \012\000\001\377\376\001"
      ",",
      134);
const std::string kI4Matrix(
      "\223NUMPY\001\000v\000{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"
      "                                                          \012\000\000\000\000\001"
      "\000\000\000\002\000\000\000\003\000\000\000\004\000\000\000\005\000\000\000",
      152);
const std::string kI8(
      "\223NUMPY\001\000v\000{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\000\000\000\000\000"
      "\000\000\200\377\377\377\377\377\377\377\177",
      144);
const std::string kU1(
      "\223NUMPY\001\000v\000{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\000\377",
      130);
const std::string kU2(
      "\223NUMPY\001\000v\000{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }  "
      "                                                          \012\377\377",
      130);
const std::string kU4(
      "\223NUMPY\001\000v\000{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }  "
      "                                                          \012\377\377\377\377",
      132);
const std::string kU8BigEndian(
      "\223NUMPY\001\000v\000{'descr': '>u8', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\377\377\377\377\377"
      "\377\377\377\000\000\000\000\000\000\000\001",
      144);
const std::string kF8BigEndian(
      "\223NUMPY\001\000v\000{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\077\360\000\000\000"
      "\000\000\000\277\340\000\000\000\000\000\000",
      144);
const std::string kBool(
      "\223NUMPY\001\000v\000{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }  "
      "                                                          \012\001\000\001",
      131);
const std::string kC8(
      "\223NUMPY\001\000v\000{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\000\000\200\077\000"
      "\000\000@\000\000\000\200\000\000`\300",
      144);
const std::string kC16BigEndian(
      "\223NUMPY\001\000v\000{'descr': '>c16', 'fortran_order': False, 'shape': (1,), } "
      "                                                          \012\077\360\000\000\000"
      "\000\000\000\277\360\000\000\000\000\000\000",
      144);
const std::string kFortran(
      "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), } "
      "                                                          \012\000\000\000\000\000"
      "\000@@\000\000\200\077\000\000\200@\000\000\000@\000\000\240@",
      152);
const std::string kFortran3d(
      "\223NUMPY\001\000v\000{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4),"
      " }                                                        \012\000\000\014\000\004"
      "\000\020\000\010\000\024\000\001\000\015\000\005\000\021\000\011\000\025\000\002\000"
      "\016\000\006\000\022\000\012\000\026\000\003\000\017\000\007\000\023\000\013\000\027"
      "\000",
      176);
const std::string kBytes(
      "\223NUMPY\001\000v\000{'descr': '|S3', 'fortran_order': False, 'shape': (4,), }  "
      "                                                          \012ab\000\000\000\000x"
      "yza\000b",
      140);
const std::string kUnicode(
      "\223NUMPY\001\000v\000{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }  "
      "                                                          \012h\000\000\000\351\000"
      "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\254 \000"
      "\000\000\366\001\000x\000\000\000",
      164);
const std::string kUnicodeBigEndian(
      "\223NUMPY\001\000v\000{'descr': '>U2', 'fortran_order': False, 'shape': (2,), }  "
      "                                                          \012\000\000\000a\000\000"
      "\000b\000\000\000c\000\000\000\000",
      144);
const std::string kVersion2(
      "\223NUMPY\002\000t\000\000\000{'descr': '<f4', 'fortran_order': False, 'shape': ("
      "3,), }                                                          \012\000\000\000\000"
      "\000\000\200\077\000\000\000@",
      140);
const std::string kVersion3(
      "\223NUMPY\003\000t\000\000\000{'descr': '<f4', 'fortran_order': False, 'shape': ("
      "3,), }                                                          \012\000\000\000\000"
      "\000\000\200\077\000\000\000@",
      140);
const std::string kEmpty(
      "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"
      "                                                          \012",
      128);
const std::string kObject(
      "\223NUMPY\001\000v\000{'descr': '|O', 'fortran_order': False, 'shape': (2,), }   "
      "                                                          \012\200\003cnumpy.core"
      ".multiarray\012_reconstruct\012q\000cnumpy\012ndarray\012q\001K\000\205q\002C\001"
      "bq\003\207q\004Rq\005(K\001K\002\205q\006cnumpy\012dtype\012q\007X\002\000\000\000"
      "O8q\010\211\210\207q\011Rq\012(K\003X\001\000\000\000|q\013NNNJ\377\377\377\377J\377"
      "\377\377\377K\077tq\014b\211]q\015(C\001aq\016K\001etq\017b.",
      289);
const std::string kStructured(
      "\223NUMPY\001\000v\000{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': Fa"
      "lse, 'shape': (2,), }                                     \012\000\000\000\000\000"
      "\000\000\000\000\000\000\000\000\000\000\000",
      144);
const std::string kDatetime(
      "\223NUMPY\001\000v\000{'descr': '<M8[D]', 'fortran_order': False, 'shape': (1,), "
      "}                                                         \012VG\000\000\000\000\000"
      "\000",
      136);
const std::string kStrings(
      "\223NUMPY\001\000v\000{'descr': '|S5', 'fortran_order': False, 'shape': (3, 1), }"
      "                                                          \012helloa\000\000\000\000"
      "\000\000\000\000\000",
      143);
const std::string kRank20(
      "\223NUMPY\001\000\266\000{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1,"
      " 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }                        "
      "                                            \012\000\000\000\000",
      196);
const std::string kLongAxis(
      "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (12345678"
      "9012, 0), }                                               \012",
      128);
Tensor MustRead(const std::string& bytes) {
  auto t = ReadNpy(bytes, "fixture.npy");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto f = t.flat<T>();
  return std::vector<T>(f.begin(), f.end());
}

TEST(NpyReadTest, Floats) {
  Tensor f4 = MustRead(kF4Vector);
  EXPECT_EQ(f4.dtype(), DT_FLOAT);
  EXPECT_EQ(f4.shape(), (TensorShape{3}));
  EXPECT_EQ(Values<float>(f4), (std::vector<float>{1.5f, -2.0f, 0.1f}));

  Tensor f8 = MustRead(kF8Scalar);
  EXPECT_EQ(f8.dtype(), DT_DOUBLE);
  EXPECT_EQ(f8.rank(), 0);
  EXPECT_EQ(f8.scalar<double>(), 3.25);

  Tensor f2 = MustRead(kF2);
  EXPECT_EQ(f2.dtype(), DT_HALF);
  std::vector<uint16_t> bits;
  for (half h : f2.flat<half>()) bits.push_back(h.bits);
  EXPECT_EQ(bits, (std::vector<uint16_t>{0x3C00, 0x2E66, 0xFBFF, 0x7C00}));

  Tensor be = MustRead(kF8BigEndian);
  EXPECT_EQ(be.dtype(), DT_DOUBLE);
  EXPECT_EQ(Values<double>(be), (std::vector<double>{1.0, -0.5}));
}

TEST(NpyReadTest, Integers) {
  EXPECT_EQ(Values<int8_t>(MustRead(kI1)), (std::vector<int8_t>{-128, 127}));
  Tensor i2 = MustRead(kI2BigEndian);
  EXPECT_EQ(i2.dtype(), DT_INT16);
  EXPECT_EQ(Values<int16_t>(i2), (std::vector<int16_t>{1, -2, 300}));
  Tensor i4 = MustRead(kI4Matrix);
  EXPECT_EQ(i4.dtype(), DT_INT32);
  EXPECT_EQ(i4.shape(), (TensorShape{2, 3}));
  EXPECT_EQ(Values<int32_t>(i4), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Values<int64_t>(MustRead(kI8)),
            (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
  EXPECT_EQ(Values<uint8_t>(MustRead(kU1)), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(Values<uint16_t>(MustRead(kU2)), (std::vector<uint16_t>{65535}));
  EXPECT_EQ(Values<uint32_t>(MustRead(kU4)), (std::vector<uint32_t>{4294967295u}));
  Tensor u8 = MustRead(kU8BigEndian);
  EXPECT_EQ(u8.dtype(), DT_UINT64);
  EXPECT_EQ(Values<uint64_t>(u8), (std::vector<uint64_t>{UINT64_MAX, 1}));
}

TEST(NpyReadTest, BoolAndComplex) {
  Tensor b = MustRead(kBool);
  EXPECT_EQ(b.dtype(), DT_BOOL);
  EXPECT_EQ(Values<bool>(b), (std::vector<bool>{true, false, true}));
  Tensor c8 = MustRead(kC8);
  EXPECT_EQ(c8.dtype(), DT_COMPLEX64);
  EXPECT_EQ(Values<complex64>(c8), (std::vector<complex64>{{1, 2}, {0, -3.5f}}));
  Tensor c16 = MustRead(kC16BigEndian);
  EXPECT_EQ(c16.dtype(), DT_COMPLEX128);
  EXPECT_EQ(Values<complex128>(c16), (std::vector<complex128>{{1, -1}}));
}

TEST(NpyReadTest, BoolBytesAreNormalized) {
  std::string bytes = kBool;
  bytes[bytes.size() - 1] = 7;  // numpy would keep 7; a C++ bool cannot
  Tensor b = MustRead(bytes);
  EXPECT_EQ(static_cast<const uint8_t*>(b.raw_data())[2], 1);
}

TEST(NpyReadTest, FortranOrderIsTransposed) {
  Tensor f = MustRead(kFortran);
  EXPECT_EQ(f.shape(), (TensorShape{2, 3}));
  EXPECT_EQ(Values<float>(f), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  Tensor f3 = MustRead(kFortran3d);
  EXPECT_EQ(f3.shape(), (TensorShape{2, 3, 4}));
  std::vector<int16_t> want(24);
  for (int i = 0; i < 24; ++i) want[i] = static_cast<int16_t>(i);
  EXPECT_EQ(Values<int16_t>(f3), want);
}

TEST(NpyReadTest, Strings) {
  Tensor s = MustRead(kBytes);
  EXPECT_EQ(s.dtype(), DT_STRING);
  EXPECT_EQ(Values<std::string>(s),
            (std::vector<std::string>{"ab", "", "xyz", std::string("a\0b", 3)}));
  Tensor u = MustRead(kUnicode);
  EXPECT_EQ(u.dtype(), DT_STRING);
  EXPECT_EQ(Values<std::string>(u),
            (std::vector<std::string>{"h\xC3\xA9", "", "\xE2\x82\xAC\xF0\x9F\x98\x80x"}));
  EXPECT_EQ(Values<std::string>(MustRead(kUnicodeBigEndian)),
            (std::vector<std::string>{"ab", "c"}));
  Tensor col = MustRead(kStrings);
  EXPECT_EQ(col.shape(), (TensorShape{3, 1}));
  EXPECT_EQ(Values<std::string>(col), (std::vector<std::string>{"hello", "a", ""}));
}

TEST(NpyReadTest, VersionsAndShapes) {
  for (const std::string* f : {&kVersion2, &kVersion3}) {
    Tensor t = MustRead(*f);
    EXPECT_EQ(Values<float>(t), (std::vector<float>{0, 1, 2}));
  }
  Tensor e = MustRead(kEmpty);
  EXPECT_EQ(e.shape(), (TensorShape{0, 3}));
  EXPECT_EQ(MustRead(kRank20).rank(), 20);
  Tensor longaxis = MustRead(kLongAxis);
  EXPECT_EQ(longaxis.shape(), (TensorShape{123456789012, 0}));
}

TEST(NpyReadTest, UnsupportedDtypes) {
  // Object arrays read only when every element is bytes/str; this one holds
  // [b'a', 1]. Truncated pickles fail cleanly too.
  auto obj = ReadNpy(kObject, "obj.npy");
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(obj.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(obj.status().message().find("obj.npy"), std::string::npos) << obj.status();
  EXPECT_NE(obj.status().message().find("bytes or str"), std::string::npos) << obj.status();
  for (size_t cut = kObject.find('\n') + 1; cut < kObject.size(); ++cut) {
    auto bad = ReadNpy(kObject.substr(0, cut), "obj.npy");
    ASSERT_FALSE(bad.ok()) << cut;
    EXPECT_NE(bad.status().message().find("obj.npy"), std::string::npos) << bad.status();
  }
  auto rec = ReadNpy(kStructured, "rec.npy");
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("structured"), std::string::npos) << rec.status();
  auto dt = ReadNpy(kDatetime, "dt.npy");
  ASSERT_FALSE(dt.ok());
  EXPECT_EQ(dt.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(dt.status().message().find("<M8[D]"), std::string::npos) << dt.status();
}

TEST(NpyWriteTest, MatchesNumpyByteForByte) {
  for (const std::string* f :
       {&kF4Vector, &kF8Scalar, &kF2, &kI1, &kI4Matrix, &kI8, &kU1, &kU2, &kU4, &kBool, &kC8,
        &kEmpty, &kStrings, &kBytes, &kRank20, &kLongAxis}) {
    Tensor t = MustRead(*f);
    auto written = WriteNpy(t);
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(*written, *f) << t.DebugString();
  }
}

TEST(NpyWriteTest, ConvertsToLittleEndianCOrder) {
  for (const std::string* f : {&kI2BigEndian, &kU8BigEndian, &kF8BigEndian, &kC16BigEndian,
                               &kFortran, &kFortran3d, &kVersion2, &kVersion3}) {
    Tensor t = MustRead(*f);
    auto written = WriteNpy(t);
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_NE(written->find("'fortran_order': False"), std::string::npos);
    EXPECT_EQ(written->find("'>"), std::string::npos);
    EXPECT_EQ(written->size() % 64, t.byte_size() % 64);
    EXPECT_TRUE(MustRead(*written).Equals(t));
  }
}

TEST(NpyWriteTest, HeaderPadding) {
  for (int rank = 0; rank < 40; ++rank) {
    std::vector<int64_t> dims(rank, 1);
    Tensor t = *Tensor::Create(DT_UINT8, dims);
    std::string w = *WriteNpy(t);
    size_t header_end = w.find('\n') + 1;
    EXPECT_EQ(header_end % 64, 0u) << rank;
    EXPECT_EQ(w.size(), header_end + 1);
    EXPECT_TRUE(MustRead(w).Equals(t));
  }
  // Headers past 64 KiB switch to version 2.0 with a 4-byte length.
  std::vector<int64_t> dims(kMaxTensorRank, 1);
  dims[0] = 0;
  // Not reachable with real ranks; check the 1.0 path stays for the largest rank.
  std::string w = *WriteNpy(*Tensor::Create(DT_FLOAT, dims));
  EXPECT_EQ(w[6], 1);
}

TEST(NpyWriteTest, StringsAndUnwritable) {
  Tensor s = Tensor::FromVector<std::string>({"", ""});
  std::string w = *WriteNpy(s);
  EXPECT_NE(w.find("'|S1'"), std::string::npos);
  EXPECT_TRUE(MustRead(w).Equals(s));
  auto bf = WriteNpy(Tensor::FromVector<bfloat16>({{0x3F80}}));
  EXPECT_EQ(bf.status().code(), StatusCode::kUnimplemented);
  EXPECT_FALSE(WriteNpy(Tensor()).ok());
}

// Checks a hostile input fails with a clear error that names the file.
void ExpectError(const std::string& bytes, StatusCode code, const std::string& needle) {
  auto t = ReadNpy(bytes, "bad.npy");
  ASSERT_FALSE(t.ok()) << needle;
  EXPECT_EQ(t.status().code(), code) << t.status();
  EXPECT_EQ(t.status().message().rfind("bad.npy: ", 0), 0u) << t.status();
  EXPECT_NE(t.status().message().find(needle), std::string::npos) << t.status();
}

std::string WithHeader(const std::string& dict, const std::string& data = "") {
  std::string out = "\x93NUMPY\x01";
  out.push_back(0);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  return out + dict + data;
}

TEST(NpyHostileTest, Preamble) {
  ExpectError("", StatusCode::kInvalidArgument, "bad magic");
  ExpectError("\x93NUMPZ\x01\x00\x00\x00", StatusCode::kInvalidArgument, "bad magic");
  std::string v4 = kF4Vector;
  v4[6] = 4;
  ExpectError(v4, StatusCode::kUnimplemented, "version 4.0");
  std::string long_header = kF4Vector;
  long_header[8] = '\xff';
  long_header[9] = '\xff';
  ExpectError(long_header, StatusCode::kDataLoss, "runs past the end");
  std::string v2 = kVersion2;
  v2[11] = '\x7f';
  ExpectError(v2, StatusCode::kDataLoss, "runs past the end");
  ExpectError(kVersion2.substr(0, 11), StatusCode::kDataLoss, "truncated");
}

TEST(NpyHostileTest, Header) {
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }"),
              StatusCode::kInvalidArgument, "must be >= 0");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 2), }"),
              StatusCode::kInvalidArgument, "2^40");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
              StatusCode::kInvalidArgument, "too large");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4194304, 262144), }"),
              StatusCode::kDataLoss, "needs 4398046511104 bytes");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "abcd"),
              StatusCode::kDataLoss, "only 4 remain");
  ExpectError(WithHeader("{'descr': '|S1099511627776', 'fortran_order': False, 'shape': (1048576,), }"),
              StatusCode::kDataLoss, "needs 1152921504606846976 bytes");
  ExpectError(WithHeader("{'descr': '|S0', 'fortran_order': False, 'shape': (1099511627776,), }"),
              StatusCode::kInvalidArgument, "zero-width");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, }"),
              StatusCode::kInvalidArgument, "no 'shape'");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': True}"),
              StatusCode::kInvalidArgument, "other than");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"),
              StatusCode::kInvalidArgument, "unsupported value");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': 3}"),
              StatusCode::kInvalidArgument, "unsupported value");
  ExpectError(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2"),
              StatusCode::kInvalidArgument, "expected");
  ExpectError(WithHeader("{'descr': '<f4"), StatusCode::kInvalidArgument, "unterminated");
  ExpectError(WithHeader("['descr']"), StatusCode::kInvalidArgument, "expected '{'");
  ExpectError(WithHeader("{'descr': '<f3', 'fortran_order': False, 'shape': ()}"),
              StatusCode::kUnimplemented, "'<f3'");
  ExpectError(WithHeader("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }",
                         std::string("\x00\xd8\x00\x00", 4)),
              StatusCode::kInvalidArgument, "invalid code point");
  std::string deep = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 300; ++i) deep += "1, ";
  ExpectError(WithHeader(deep + ")}"), StatusCode::kInvalidArgument, "more than 254");
  // Python 2 longs and double quotes are fine.
  auto py2 = ReadNpy(WithHeader("{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (1L,)}",
                                std::string("\x05\x00", 2)),
                     "py2.npy");
  ASSERT_TRUE(py2.ok()) << py2.status();
  EXPECT_EQ(py2->flat<int16_t>()[0], 5);
}

// A 100-byte file declaring 2^40 floats fails on its size before anything is
// allocated (an allocation of 4 TiB would throw or be killed, not return).
TEST(NpyHostileTest, HugeShapeInTinyFile) {
  std::string bytes = WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }");
  bytes.resize(100, ' ');
  ExpectError(bytes, StatusCode::kDataLoss, "needs 4398046511104 bytes of data");
  std::string object = WithHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1099511627776,), }");
  object.resize(100, ' ');
  auto t = ReadNpy(object, "bad.npy");
  EXPECT_FALSE(t.ok());
}

// Tensors read from files respect the per-tensor byte limit: 'S1' strings
// cost 32 bytes each in memory (one std::string) for 1 byte in the file.
TEST(NpyHostileTest, PerTensorLimitIsAStatus) {
  std::string data(4096, 'x');
  std::string bytes = WithHeader("{'descr': '|S1', 'fortran_order': False, 'shape': (4096,), }", data);
  ASSERT_TRUE(ReadNpy(bytes, "ok.npy").ok());
  const size_t saved = MaxTensorBytes();
  SetMaxTensorBytes(4096 * sizeof(std::string) - 1);
  ExpectError(bytes, StatusCode::kResourceExhausted, "OOM when allocating tensor of 4096 elements");
  ExpectError(WithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (65536,), }",
                         std::string(65536 * 8, '\0')),
              StatusCode::kResourceExhausted, "524288 bytes");
  SetMaxTensorBytes(saved);
}

TEST(NpyHostileTest, EveryTruncationFails) {
  for (const std::string* f : {&kF4Vector, &kBytes, &kUnicode, &kFortran, &kVersion3}) {
    for (size_t n = 0; n < f->size(); ++n) {
      auto t = ReadNpy(f->substr(0, n), "cut.npy");
      EXPECT_FALSE(t.ok()) << n;
    }
  }
}

TEST(NpyHostileTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(42);
  for (const std::string* f : {&kF4Vector, &kUnicode, &kFortran3d}) {
    for (int trial = 0; trial < 2000; ++trial) {
      std::string b = *f;
      int flips = 1 + rng() % 4;
      for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<char>(rng());
      ReadNpy(b, "fuzz.npy").status().IgnoreError();
    }
  }
}

TEST(NpyFileTest, ThroughEnv) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("m").ok());
  Tensor t = Tensor::FromVector<int32_t>({1, 2, 3});
  ASSERT_TRUE(WriteNpyFile(env.get(), "m/t.npy", t).ok());
  auto back = ReadNpyFile(env.get(), "m/t.npy");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(t));
  EXPECT_FALSE(ReadNpyFile(env.get(), "m/missing.npy").ok());
  ASSERT_TRUE(env->WriteStringToFile("m/junk.npy", "junk").ok());
  auto junk = ReadNpyFile(env.get(), "m/junk.npy");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("m/junk.npy"), std::string::npos);
}

// Every .npy numpy wrote for the model corpus reads back, and writes back to
// the same bytes.
TEST(NpyCorpusTest, RoundTripsByteForByte) {
  SAVEDMODEL_REQUIRE_TESTDATA(dir, "corpus_expected");
  int read = 0, objects = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".npy") continue;
    std::string bytes = testing::ReadFileOrDie(entry.path());
    auto t = ReadNpy(bytes, entry.path().string());
    if (bytes.find("'descr': '|O'") != std::string::npos) {
      // Pickled arrays of serialized tf.Examples: each element parses as bytes.
      ASSERT_TRUE(t.ok()) << t.status();
      EXPECT_EQ(t->dtype(), DT_STRING);
      EXPECT_GT(t->num_elements(), 0);
      for (const auto& e : t->flat<std::string>()) EXPECT_FALSE(e.empty());
      ++objects;
      continue;
    }
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(t->dtype() == DT_FLOAT || t->dtype() == DT_INT32) << entry.path();
    EXPECT_LE(t->rank(), 4);
    auto w = WriteNpy(*t);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(*w, bytes) << entry.path();
    ++read;
  }
  EXPECT_GT(read, 50);
  EXPECT_GT(objects, 0);
}

TEST(NpyCorpusTest, KnownShapes) {
  SAVEDMODEL_REQUIRE_TESTDATA(path, "corpus_expected/mnist_mlp_tf2_4/serving_default/input.flatten_input.npy");
  auto t = ReadNpy(testing::ReadFileOrDie(path), path.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (TensorShape{2, 28, 28}));
  EXPECT_EQ(t->dtype(), DT_FLOAT);
}

}  // namespace
}  // namespace savedmodel
