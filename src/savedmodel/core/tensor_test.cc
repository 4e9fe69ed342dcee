#include "savedmodel/core/tensor.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

constexpr DataType kStorable[] = {DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16,
                                  DT_INT8, DT_STRING, DT_COMPLEX64, DT_INT64, DT_BOOL,
                                  DT_BFLOAT16, DT_UINT16, DT_COMPLEX128, DT_HALF, DT_UINT32,
                                  DT_UINT64};

TEST(TensorTest, DefaultIsUninitialized) {
  Tensor t;
  EXPECT_FALSE(t.IsInitialized());
  EXPECT_EQ(t.dtype(), DT_INVALID);
  EXPECT_EQ(t.byte_size(), 0u);
  EXPECT_EQ(t.raw_data(), nullptr);
  EXPECT_TRUE(t.Equals(Tensor()));
  EXPECT_EQ(t.ValuesString(), "<uninitialized>");
}

TEST(TensorTest, CreateEveryStorableDtype) {
  std::vector<int64_t> dims = {2, 3};
  for (DataType dt : kStorable) {
    auto t = Tensor::Create(dt, dims);
    ASSERT_TRUE(t.ok()) << DataTypeString(dt) << " " << t.status();
    EXPECT_TRUE(t->IsInitialized());
    EXPECT_EQ(t->dtype(), dt);
    EXPECT_EQ(t->shape(), (TensorShape{2, 3}));
    EXPECT_EQ(t->rank(), 2);
    EXPECT_EQ(t->dim(0), 2);
    EXPECT_EQ(t->num_elements(), 6);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t->raw_data()) % kTensorAlignment, 0u);
    if (dt == DT_STRING) {
      EXPECT_EQ(t->byte_size(), 0u);
      EXPECT_EQ(t->TotalBytes(), 0u);
      for (const std::string& s : t->flat<std::string>()) EXPECT_TRUE(s.empty());
    } else {
      EXPECT_EQ(t->byte_size(), 6 * DataTypeSize(dt));
      EXPECT_EQ(t->TotalBytes(), t->byte_size());
      const auto* bytes = static_cast<const unsigned char*>(t->raw_data());
      for (size_t i = 0; i < t->byte_size(); ++i) ASSERT_EQ(bytes[i], 0) << DataTypeString(dt);
    }
  }
}

TEST(TensorTest, CreateRejects) {
  std::vector<int64_t> ok_dims = {2};
  for (DataType dt : {DT_INVALID, DT_RESOURCE, DT_VARIANT, DT_QINT8, DT_INT4,
                      static_cast<DataType>(101)}) {
    auto t = Tensor::Create(dt, ok_dims);
    ASSERT_FALSE(t.ok()) << DataTypeString(dt);
    EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
  }
  std::vector<int64_t> negative = {2, -3};
  EXPECT_EQ(Tensor::Create(DT_FLOAT, negative).status().code(), StatusCode::kInvalidArgument);
  std::vector<int64_t> huge = {int64_t{1} << 30, int64_t{1} << 30, 4};
  EXPECT_EQ(Tensor::Create(DT_FLOAT, huge).status().code(), StatusCode::kInvalidArgument);
}

TEST(TensorTest, EmptyTensor) {
  std::vector<int64_t> dims = {0, 4};
  auto t = Tensor::Create(DT_FLOAT, dims);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsInitialized());
  EXPECT_EQ(t->num_elements(), 0);
  EXPECT_EQ(t->byte_size(), 0u);
  EXPECT_TRUE(t->flat<float>().empty());
  EXPECT_TRUE(t->Equals(t->DeepCopy()));
}

TEST(TensorTest, ScalarAndFromVector) {
  Tensor s = Tensor::Scalar<float>(2.5f);
  EXPECT_EQ(s.dtype(), DT_FLOAT);
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.scalar<float>(), 2.5f);

  Tensor v = Tensor::FromVector<int64_t>({1, 2, 3});
  EXPECT_EQ(v.dtype(), DT_INT64);
  EXPECT_EQ(v.shape(), (TensorShape{3}));
  EXPECT_EQ(v.flat<int64_t>()[2], 3);

  Tensor m = Tensor::FromVector<double>({1, 2, 3, 4, 5, 6}, TensorShape{2, 3});
  EXPECT_EQ(m.shape(), (TensorShape{2, 3}));
  EXPECT_EQ(m.flat<double>()[5], 6.0);

  Tensor str = Tensor::FromVector<std::string>({"ab", "", "cde"});
  EXPECT_EQ(str.dtype(), DT_STRING);
  EXPECT_EQ(str.flat<std::string>()[2], "cde");
  EXPECT_EQ(str.TotalBytes(), 5u);

  Tensor h = Tensor::Scalar(half{0x3C00});
  EXPECT_EQ(h.dtype(), DT_HALF);
  EXPECT_EQ(h.byte_size(), 2u);
  Tensor c = Tensor::FromVector<complex64>({{1, 2}});
  EXPECT_EQ(c.dtype(), DT_COMPLEX64);
  EXPECT_EQ(c.flat<complex64>()[0].imag(), 2.0f);
}

TEST(TensorTest, CopiesShareBuffer) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3});
  Tensor b = a;
  b.flat<float>()[0] = 9;
  EXPECT_EQ(a.flat<float>()[0], 9.0f);
  EXPECT_EQ(a.raw_data(), b.raw_data());
}

TEST(TensorTest, Reshaped) {
  Tensor a = Tensor::FromVector<int32_t>({1, 2, 3, 4, 5, 6});
  auto r = a.Reshaped(TensorShape{3, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shape(), (TensorShape{3, 2}));
  EXPECT_EQ(r->raw_data(), a.raw_data());  // no copy
  EXPECT_EQ(a.shape(), (TensorShape{6}));   // original untouched
  r->flat<int32_t>()[5] = 60;
  EXPECT_EQ(a.flat<int32_t>()[5], 60);
  EXPECT_EQ(r->ValuesString(), "[[ 1  2]\n [ 3  4]\n [ 5 60]]");

  auto bad = a.Reshaped(TensorShape{4, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("[4,2]"), std::string::npos) << bad.status();

  auto scalar = Tensor::FromVector<float>({7}).Reshaped(TensorShape{});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->scalar<float>(), 7.0f);
}

TEST(TensorTest, DeepCopyIsIndependent) {
  for (DataType dt : kStorable) {
    std::vector<int64_t> dims = {4};
    Tensor a = *Tensor::Create(dt, dims);
    if (dt == DT_STRING) {
      a.flat<std::string>()[1] = "hello";
    } else {
      static_cast<unsigned char*>(a.raw_data())[DataTypeSize(dt)] = 1;
    }
    Tensor b = a.DeepCopy();
    EXPECT_NE(a.raw_data(), b.raw_data());
    EXPECT_TRUE(a.Equals(b)) << DataTypeString(dt);
    if (dt == DT_STRING) {
      b.flat<std::string>()[1] = "world";
      EXPECT_EQ(a.flat<std::string>()[1], "hello");
    } else {
      static_cast<unsigned char*>(b.raw_data())[DataTypeSize(dt)] = 0;
      EXPECT_EQ(static_cast<unsigned char*>(a.raw_data())[DataTypeSize(dt)], 1);
    }
    EXPECT_FALSE(a.Equals(b)) << DataTypeString(dt);
  }
  Tensor empty;
  EXPECT_FALSE(empty.DeepCopy().IsInitialized());
}

TEST(TensorTest, Equals) {
  Tensor a = Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2});
  EXPECT_TRUE(a.Equals(Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2})));
  EXPECT_FALSE(a.Equals(Tensor::FromVector<float>({1, 2, 3, 4})));  // shape
  EXPECT_FALSE(a.Equals(Tensor::FromVector<int32_t>({1, 2, 3, 4}, TensorShape{2, 2})));
  EXPECT_FALSE(a.Equals(Tensor::FromVector<float>({1, 2, 3, 5}, TensorShape{2, 2})));
  EXPECT_FALSE(a.Equals(Tensor()));
  EXPECT_FALSE(Tensor().Equals(a));
  // Bit-exact: NaN equals the same NaN, 0 differs from -0.
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(Tensor::Scalar(nan).Equals(Tensor::Scalar(nan)));
  EXPECT_FALSE(Tensor::Scalar(0.0f).Equals(Tensor::Scalar(-0.0f)));

  Tensor s1 = Tensor::FromVector<std::string>({"a", "bc"});
  EXPECT_TRUE(s1.Equals(Tensor::FromVector<std::string>({"a", "bc"})));
  EXPECT_FALSE(s1.Equals(Tensor::FromVector<std::string>({"a", "bd"})));
  EXPECT_FALSE(s1.Equals(Tensor::FromVector<std::string>({"a", "bc", ""})));
}

TEST(TensorTest, StringTensors) {
  Tensor t(DT_STRING, TensorShape{3});
  t.flat<std::string>()[0] = std::string("a\0b", 3);
  t.flat<std::string>()[2] = std::string(1000, 'x');  // beyond any small-string buffer
  Tensor copy = t.DeepCopy();
  EXPECT_EQ(copy.flat<std::string>()[0].size(), 3u);
  EXPECT_EQ(copy.flat<std::string>()[2], std::string(1000, 'x'));
  EXPECT_EQ(t.TotalBytes(), 1003u);
  auto reshaped = t.Reshaped(TensorShape{1, 3});
  ASSERT_TRUE(reshaped.ok());
  EXPECT_EQ(reshaped->flat<std::string>()[0], std::string("a\0b", 3));
}

}  // namespace
}  // namespace savedmodel
