#include "savedmodel/format/tensor_proto.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

tensorflow::TensorProto Proto(DataType dt, std::vector<int64_t> dims) {
  tensorflow::TensorProto p;
  p.set_dtype(static_cast<tensorflow::DataType>(dt));
  for (int64_t d : dims) p.mutable_tensor_shape()->add_dim()->set_size(d);
  return p;
}

Tensor MustDecode(const tensorflow::TensorProto& p) {
  auto t = TensorFromProto(p);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto f = t.flat<T>();
  return std::vector<T>(f.begin(), f.end());
}

TEST(TensorProtoTest, TypedFieldsForEveryDtype) {
  auto p = Proto(DT_FLOAT, {2});
  p.add_float_val(1.5f);
  p.add_float_val(-2);
  EXPECT_EQ(Values<float>(MustDecode(p)), (std::vector<float>{1.5f, -2}));

  p = Proto(DT_DOUBLE, {1});
  p.add_double_val(0.25);
  EXPECT_EQ(Values<double>(MustDecode(p)), (std::vector<double>{0.25}));

  p = Proto(DT_INT32, {2});
  p.add_int_val(-7);
  p.add_int_val(9);
  EXPECT_EQ(Values<int32_t>(MustDecode(p)), (std::vector<int32_t>{-7, 9}));

  p = Proto(DT_INT16, {1});
  p.add_int_val(-300);
  EXPECT_EQ(Values<int16_t>(MustDecode(p)), (std::vector<int16_t>{-300}));

  p = Proto(DT_INT8, {1});
  p.add_int_val(-5);
  EXPECT_EQ(Values<int8_t>(MustDecode(p)), (std::vector<int8_t>{-5}));

  p = Proto(DT_UINT8, {1});
  p.add_int_val(255);
  EXPECT_EQ(Values<uint8_t>(MustDecode(p)), (std::vector<uint8_t>{255}));

  p = Proto(DT_UINT16, {1});
  p.add_int_val(65535);
  EXPECT_EQ(Values<uint16_t>(MustDecode(p)), (std::vector<uint16_t>{65535}));

  p = Proto(DT_INT64, {1});
  p.add_int64_val(INT64_MIN);
  EXPECT_EQ(Values<int64_t>(MustDecode(p)), (std::vector<int64_t>{INT64_MIN}));

  p = Proto(DT_UINT32, {1});
  p.add_uint32_val(4000000000u);
  EXPECT_EQ(Values<uint32_t>(MustDecode(p)), (std::vector<uint32_t>{4000000000u}));

  p = Proto(DT_UINT64, {1});
  p.add_uint64_val(UINT64_MAX);
  EXPECT_EQ(Values<uint64_t>(MustDecode(p)), (std::vector<uint64_t>{UINT64_MAX}));

  p = Proto(DT_BOOL, {2});
  p.add_bool_val(false);
  p.add_bool_val(true);
  EXPECT_EQ(Values<bool>(MustDecode(p)), (std::vector<bool>{false, true}));

  p = Proto(DT_HALF, {2});
  p.add_half_val(0x3C00);
  p.add_half_val(0x2E66);
  Tensor h = MustDecode(p);
  EXPECT_EQ(h.flat<half>()[0].bits, 0x3C00);
  EXPECT_EQ(h.flat<half>()[1].bits, 0x2E66);

  p = Proto(DT_BFLOAT16, {1});
  p.add_half_val(0x3DCD);
  EXPECT_EQ(MustDecode(p).flat<bfloat16>()[0].bits, 0x3DCD);

  p = Proto(DT_COMPLEX64, {2});
  for (float v : {1.f, 2.f, 3.f, -4.f}) p.add_scomplex_val(v);
  EXPECT_EQ(Values<complex64>(MustDecode(p)), (std::vector<complex64>{{1, 2}, {3, -4}}));

  p = Proto(DT_COMPLEX128, {1});
  p.add_dcomplex_val(0.5);
  p.add_dcomplex_val(-0.5);
  EXPECT_EQ(Values<complex128>(MustDecode(p)), (std::vector<complex128>{{0.5, -0.5}}));

  p = Proto(DT_STRING, {2});
  p.add_string_val("ab");
  p.add_string_val(std::string("\0x", 2));
  EXPECT_EQ(Values<std::string>(MustDecode(p)),
            (std::vector<std::string>{"ab", std::string("\0x", 2)}));
}

TEST(TensorProtoTest, RepeatsLastValue) {
  auto p = Proto(DT_FLOAT, {2, 3});
  p.add_float_val(1);
  p.add_float_val(7);
  EXPECT_EQ(Values<float>(MustDecode(p)), (std::vector<float>{1, 7, 7, 7, 7, 7}));

  p = Proto(DT_STRING, {3});
  p.add_string_val("x");
  EXPECT_EQ(Values<std::string>(MustDecode(p)), (std::vector<std::string>{"x", "x", "x"}));

  p = Proto(DT_COMPLEX64, {3});
  p.add_scomplex_val(1);
  p.add_scomplex_val(2);
  EXPECT_EQ(Values<complex64>(MustDecode(p)),
            (std::vector<complex64>{{1, 2}, {1, 2}, {1, 2}}));

  p = Proto(DT_HALF, {3});
  p.add_half_val(0x4000);
  Tensor halves = MustDecode(p);
  for (half v : halves.flat<half>()) EXPECT_EQ(v.bits, 0x4000);

  // No values: zeros / empty strings.
  p = Proto(DT_INT64, {4});
  EXPECT_EQ(Values<int64_t>(MustDecode(p)), (std::vector<int64_t>{0, 0, 0, 0}));
  p = Proto(DT_STRING, {2});
  EXPECT_EQ(Values<std::string>(MustDecode(p)), (std::vector<std::string>{"", ""}));
  // A scalar with no shape and no values is 0.
  p = Proto(DT_FLOAT, {});
  Tensor s = MustDecode(p);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.scalar<float>(), 0.0f);
}

TEST(TensorProtoTest, TensorContent) {
  auto p = Proto(DT_FLOAT, {2, 2});
  std::vector<float> v = {1, 2, 3, 4};
  p.set_tensor_content(std::string(reinterpret_cast<const char*>(v.data()), 16));
  p.add_float_val(99);  // ignored: tensor_content wins
  Tensor t = MustDecode(p);
  EXPECT_EQ(t.shape(), (TensorShape{2, 2}));
  EXPECT_EQ(Values<float>(t), v);

  p = Proto(DT_INT16, {3});
  p.set_tensor_content(std::string("\x01\x00\xff\xff\x00\x01", 6));
  EXPECT_EQ(Values<int16_t>(MustDecode(p)), (std::vector<int16_t>{1, -1, 256}));

  p = Proto(DT_BOOL, {2});
  p.set_tensor_content(std::string("\x00\x05", 2));
  EXPECT_EQ(Values<bool>(MustDecode(p)), (std::vector<bool>{false, true}));

  // DT_STRING content: varint lengths, then the bytes.
  p = Proto(DT_STRING, {2});
  p.set_tensor_content(std::string("\x02\x03" "abxyz", 7));
  EXPECT_EQ(Values<std::string>(MustDecode(p)), (std::vector<std::string>{"ab", "xyz"}));
  p.set_tensor_content(std::string("\x02\x03" "abxy", 6));
  EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kInvalidArgument);
  p.set_tensor_content(std::string("\x02", 1));
  EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kInvalidArgument);
}

TEST(TensorProtoTest, Errors) {
  auto p = Proto(DT_FLOAT, {2});
  p.set_tensor_content(std::string(7, '\0'));
  auto r = TensorFromProto(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("7 bytes"), std::string::npos) << r.status();

  p = Proto(DT_INT32, {2});
  for (int i = 0; i < 3; ++i) p.add_int_val(i);
  r = TensorFromProto(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 values in int_val"), std::string::npos) << r.status();

  p = Proto(DT_FLOAT, {2, -1});
  r = TensorFromProto(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("(2, -1)"), std::string::npos) << r.status();

  p = Proto(DT_FLOAT, {int64_t{1} << 30, int64_t{1} << 30, 2});
  EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kInvalidArgument);

  p = Proto(DT_FLOAT, {});
  p.mutable_tensor_shape()->set_unknown_rank(true);
  r = TensorFromProto(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown rank"), std::string::npos) << r.status();

  p = Proto(DT_INVALID, {1});
  EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kInvalidArgument);
  p = Proto(static_cast<DataType>(77), {1});
  EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kInvalidArgument);
  for (DataType dt : {DT_RESOURCE, DT_VARIANT, DT_QINT8, DT_FLOAT8_E5M2,
                      static_cast<DataType>(101)}) {
    p = Proto(dt, {1});
    EXPECT_EQ(TensorFromProto(p).status().code(), StatusCode::kUnimplemented)
        << DataTypeString(dt);
  }
}

TEST(TensorProtoTest, ToProtoFields) {
  tensorflow::TensorProto p;
  TensorToProto(Tensor::FromVector<float>({1, 2, 3}, TensorShape{3, 1}), &p, false);
  EXPECT_EQ(p.dtype(), tensorflow::DT_FLOAT);
  ASSERT_EQ(p.tensor_shape().dim_size(), 2);
  EXPECT_EQ(p.tensor_shape().dim(0).size(), 3);
  EXPECT_EQ(p.tensor_shape().dim(1).size(), 1);
  EXPECT_EQ(p.float_val_size(), 3);
  EXPECT_TRUE(p.tensor_content().empty());

  TensorToProto(Tensor::FromVector<half>({{0x3C00}}), &p, false);
  EXPECT_EQ(p.float_val_size(), 0);  // cleared
  ASSERT_EQ(p.half_val_size(), 1);
  EXPECT_EQ(p.half_val(0), 0x3C00);

  TensorToProto(Tensor::FromVector<bfloat16>({{0xBF80}}), &p, false);
  EXPECT_EQ(p.half_val(0), 0xBF80);  // the bit pattern, not sign-extended

  TensorToProto(Tensor::FromVector<complex64>({{1, 2}}), &p, false);
  EXPECT_EQ(p.scomplex_val_size(), 2);
  EXPECT_EQ(p.scomplex_val(1), 2.0f);

  TensorToProto(Tensor::FromVector<uint8_t>({200}), &p, false);
  EXPECT_EQ(p.int_val(0), 200);
  TensorToProto(Tensor::FromVector<int8_t>({-3}), &p, false);
  EXPECT_EQ(p.int_val(0), -3);

  TensorToProto(Tensor::FromVector<std::string>({"a", "b"}), &p, true);
  EXPECT_EQ(p.dtype(), tensorflow::DT_STRING);
  EXPECT_EQ(p.string_val_size(), 2);
  EXPECT_TRUE(p.tensor_content().empty());

  TensorToProto(Tensor::Scalar<int32_t>(5), &p, true);
  EXPECT_EQ(p.tensor_shape().dim_size(), 0);
  EXPECT_EQ(p.tensor_content(), std::string("\x05\x00\x00\x00", 4));
  EXPECT_EQ(p.int_val_size(), 0);
}

TEST(TensorProtoTest, RoundTripsEveryDtype) {
  for (DataType dt : {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING,
                      DT_COMPLEX64, DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_COMPLEX128,
                      DT_HALF, DT_UINT32, DT_UINT64}) {
    std::vector<int64_t> dims = {2, 3};
    Tensor t = *Tensor::Create(dt, dims);
    if (dt == DT_STRING) {
      for (int i = 0; i < 6; ++i) t.flat<std::string>()[i] = std::string(i, 'a' + i);
    } else {
      auto* b = static_cast<uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.byte_size(); ++i) b[i] = static_cast<uint8_t>(i * 37 + 1);
      if (dt == DT_BOOL) {
        for (size_t i = 0; i < t.byte_size(); ++i) b[i] &= 1;
      }
    }
    for (bool content : {false, true}) {
      tensorflow::TensorProto p;
      TensorToProto(t, &p, content);
      // Through the wire format too.
      tensorflow::TensorProto parsed;
      ASSERT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
      auto back = TensorFromProto(parsed);
      ASSERT_TRUE(back.ok()) << DataTypeString(dt) << " " << back.status();
      EXPECT_TRUE(back->Equals(t)) << DataTypeString(dt) << " content=" << content;
    }
  }
}

TEST(TensorShapeProtoTest, Conversions) {
  tensorflow::TensorShapeProto sp;
  TensorShapeToProto(TensorShape{4, 0, 2}, &sp);
  ASSERT_EQ(sp.dim_size(), 3);
  EXPECT_FALSE(sp.unknown_rank());
  auto s = TensorShapeFromProto(sp);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (TensorShape{4, 0, 2}));

  PartialShapeToProto(PartialShape({-1, 5}), &sp);
  EXPECT_EQ(sp.dim(0).size(), -1);
  auto ps = PartialShapeFromProto(sp);
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(ps->dims(), (std::vector<int64_t>{-1, 5}));
  EXPECT_FALSE(TensorShapeFromProto(sp).ok());

  PartialShapeToProto(PartialShape::Unknown(), &sp);
  EXPECT_TRUE(sp.unknown_rank());
  EXPECT_EQ(sp.dim_size(), 0);
  ps = PartialShapeFromProto(sp);
  ASSERT_TRUE(ps.ok());
  EXPECT_TRUE(ps->unknown_rank());

  sp.add_dim()->set_size(3);  // unknown_rank with dims is contradictory
  EXPECT_EQ(PartialShapeFromProto(sp).status().code(), StatusCode::kInvalidArgument);

  sp.Clear();
  sp.add_dim()->set_size(-2);
  EXPECT_EQ(PartialShapeFromProto(sp).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TensorShapeFromProto(sp).status().code(), StatusCode::kInvalidArgument);

  sp.Clear();
  for (int i = 0; i < 300; ++i) sp.add_dim()->set_size(1);
  EXPECT_EQ(PartialShapeFromProto(sp).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TensorShapeFromProto(sp).status().code(), StatusCode::kInvalidArgument);

  tensorflow::TensorShapeProto scalar;
  auto sc = PartialShapeFromProto(scalar);
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ(sc->rank(), 0);
  EXPECT_EQ(TensorShapeFromProto(scalar)->rank(), 0);
}

}  // namespace
}  // namespace savedmodel
