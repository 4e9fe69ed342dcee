// Tensors as text: TensorFlow's DebugString and numpy's str().
#include "savedmodel/core/tensor_format.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace savedmodel {
namespace {

TEST(TensorFormatTest, DebugString) {
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

TEST(TensorFormatTest, MembersForwardToTheFreeFunctions) {
  Tensor t = Tensor::FromVector<float>({1, 2.5f}, TensorShape{2, 1});
  EXPECT_EQ(t.DebugString(1), TensorDebugString(t, 1));
  EXPECT_EQ(t.ValuesString(), TensorValuesString(t));
}

}  // namespace
}  // namespace savedmodel
