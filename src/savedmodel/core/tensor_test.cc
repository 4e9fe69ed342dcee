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

TEST(TensorTest, DebugString) {
  EXPECT_EQ(Tensor::FromVector<float>({1, 2}).DebugString(),
            "Tensor<type: float shape: [2] values: 1 2>");
  EXPECT_EQ(Tensor::FromVector<float>({0.1f, 2.5f}).DebugString(),
            "Tensor<type: float shape: [2] values: 0.1 2.5>");
  EXPECT_EQ(Tensor::FromVector<int32_t>({1, 2, 3, 4}).DebugString(2),
            "Tensor<type: int32 shape: [4] values: 1 2...>");
  EXPECT_EQ(Tensor().DebugString(), "Tensor<type: INVALID shape: [] values:>");
}

// Expected strings below were produced by numpy 1.24's str(ndarray).
TEST(TensorValuesStringTest, Floats) {
  EXPECT_EQ(Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2}).ValuesString(),
            "[[1. 2.]\n [3. 4.]]");
  EXPECT_EQ(Tensor::FromVector<float>({2.5f, 3}, TensorShape{2, 1}).ValuesString(),
            "[[2.5]\n [3. ]]");
  EXPECT_EQ(Tensor::FromVector<float>({0.1f, 1, -2.25f}).ValuesString(), "[ 0.1   1.   -2.25]");
  EXPECT_EQ(Tensor::FromVector<float>({1.0f / 3}).ValuesString(), "[0.33333334]");
  EXPECT_EQ(Tensor::FromVector<double>({1.0 / 3}).ValuesString(), "[0.33333333]");
  EXPECT_EQ(Tensor::FromVector<float>({0.0f, -0.0f}).ValuesString(), "[ 0. -0.]");
  EXPECT_EQ(Tensor::FromVector<half>({FloatToHalf(0.1f)}).ValuesString(), "[0.1]");
  EXPECT_EQ(Tensor::FromVector<bfloat16>({FloatToBFloat16(0.1f)}).ValuesString(), "[0.1]");
}

TEST(TensorValuesStringTest, ScientificFloats) {
  EXPECT_EQ(Tensor::FromVector<float>({1e-5f, 1}).ValuesString(), "[1.e-05 1.e+00]");
  EXPECT_EQ(Tensor::FromVector<float>({1e-5f, 1.5f, 123}).ValuesString(),
            "[1.00e-05 1.50e+00 1.23e+02]");
  EXPECT_EQ(Tensor::FromVector<double>({1e8, 1}).ValuesString(), "[1.e+08 1.e+00]");
  EXPECT_EQ(Tensor::FromVector<double>({1e-100, 1}).ValuesString(), "[1.e-100 1.e+000]");
  EXPECT_EQ(Tensor::FromVector<float>({123456789.0f, 1}).ValuesString(),
            "[1.2345679e+08 1.0000000e+00]");
}

TEST(TensorValuesStringTest, NonFinite) {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Tensor::FromVector<float>({nan, 1, -inf}).ValuesString(), "[ nan   1. -inf]");
  EXPECT_EQ(Tensor::FromVector<float>({inf}).ValuesString(), "[inf]");
}

TEST(TensorValuesStringTest, OtherTypes) {
  EXPECT_EQ(Tensor::FromVector<int32_t>({1, -10, 100}).ValuesString(), "[  1 -10 100]");
  EXPECT_EQ(Tensor::FromVector<bool>({true, false}).ValuesString(), "[ True False]");
  EXPECT_EQ(Tensor::FromVector<std::string>({"a", "b'c", std::string("\0\n", 2)}).ValuesString(),
            "[b'a' b\"b'c\" b'\\x00\\n']");
  EXPECT_EQ(Tensor::FromVector<complex64>({{1, 2}, {-1.5f, -0.5f}}).ValuesString(),
            "[ 1. +2.j  -1.5-0.5j]");
  Tensor cube = Tensor::FromVector<int32_t>(
      [] { std::vector<int32_t> v(24); std::iota(v.begin(), v.end(), 0); return v; }(),
      TensorShape{2, 3, 4});
  EXPECT_EQ(cube.ValuesString(),
            "[[[ 0  1  2  3]\n  [ 4  5  6  7]\n  [ 8  9 10 11]]\n\n"
            " [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]");
}

TEST(TensorValuesStringTest, Scalars) {
  EXPECT_EQ(Tensor::Scalar(1.0f).ValuesString(), "1.0");
  EXPECT_EQ(Tensor::Scalar(0.1f).ValuesString(), "0.1");
  EXPECT_EQ(Tensor::Scalar(1e-5f).ValuesString(), "1e-05");
  EXPECT_EQ(Tensor::Scalar(1.5e20f).ValuesString(), "1.5e+20");
  EXPECT_EQ(Tensor::Scalar(1e16).ValuesString(), "1e+16");
  EXPECT_EQ(Tensor::Scalar(123456.7f).ValuesString(), "123456.7");
  EXPECT_EQ(Tensor::Scalar(FloatToHalf(0.1f)).ValuesString(), "0.1");
  EXPECT_EQ(Tensor::Scalar<int32_t>(7).ValuesString(), "7");
  EXPECT_EQ(Tensor::Scalar(true).ValuesString(), "True");
  EXPECT_EQ(Tensor::Scalar(complex64(1, 2)).ValuesString(), "(1+2j)");
  EXPECT_EQ(Tensor::Scalar(complex64(0, 2)).ValuesString(), "2j");
  EXPECT_EQ(Tensor::Scalar(std::string("hi")).ValuesString(), "b'hi'");
}

TEST(TensorValuesStringTest, Empty) {
  EXPECT_EQ(Tensor(DT_DOUBLE, TensorShape{2, 0}).ValuesString(), "[]");
  EXPECT_EQ(Tensor(DT_FLOAT, TensorShape{0}).ValuesString(), "[]");
}

TEST(TensorValuesStringTest, WrapsAt75Columns) {
  std::vector<float> v(30);
  std::iota(v.begin(), v.end(), 0.0f);
  EXPECT_EQ(Tensor::FromVector<float>(v).ValuesString(),
            "[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n"
            " 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]");
}

TEST(TensorValuesStringTest, Truncation) {
  std::vector<int64_t> v(2000);
  std::iota(v.begin(), v.end(), 0);
  EXPECT_EQ(Tensor::FromVector<int64_t>(v, TensorShape{2, 1000}).ValuesString(),
            "[[   0    1    2 ...  997  998  999]\n [1000 1001 1002 ... 1997 1998 1999]]");
  std::vector<float> f(1001);
  std::iota(f.begin(), f.end(), 0.0f);
  EXPECT_EQ(Tensor::FromVector<float>(f).ValuesString(), "[   0.    1.    2. ...  998.  999. 1000.]");
  // At the threshold nothing is elided; a smaller threshold elides.
  std::vector<int32_t> small = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(Tensor::FromVector<int32_t>(small).ValuesString(8), "[1 2 3 4 5 6 7 8]");
  EXPECT_EQ(Tensor::FromVector<int32_t>(small).ValuesString(7), "[1 2 3 ... 6 7 8]");
}

}  // namespace
}  // namespace savedmodel
