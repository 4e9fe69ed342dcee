// Conv2D's matrix-product path against its direct loop nest (computed in
// double, with a bound from |x| * |f| for float's rounding), the kernels that
// use it (Conv2D, _FusedConv2D against Conv2D + BiasAdd/FusedBatchNorm +
// activation run one after another), and the NHWC pooling path against the
// general loop (the NCHW layout).
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "savedmodel/base/cpu_features.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/nn/conv2d_gemm.h"
#include "savedmodel/kernels/nn/conv_util.h"
#include "savedmodel/kernels/testing/kernel_test_helpers.h"

namespace savedmodel {
namespace {

using kernels::Conv2DBackpropFilterDirect;
using kernels::Conv2DBackpropFilterGemm;
using kernels::Conv2DBackpropInputDirect;
using kernels::Conv2DBackpropInputGemm;
using kernels::Conv2DDimsOf;
using kernels::Conv2DDirect;
using kernels::Conv2DGemm;
using kernels::ConvDims;
using kernels::ConvParams;
using kernels::kToNchw;
using kernels::kToNhwc;
using kernels::Permute4;
using testing::OpTest;

std::vector<float> Random(int64_t n, std::mt19937* rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(*rng);
  return v;
}

Tensor RandomTensor(const TensorShape& shape, std::mt19937* rng) {
  return Tensor::FromVector(Random(shape.num_elements(), rng), shape);
}

struct Case {
  int64_t batch, ih, iw, ic, kh, kw, fc, oc;
  std::string padding;
  int64_t sh, sw, dh, dw;
  int64_t pad[4];  // EXPLICIT: top, bottom, left, right
};

// The GEMM path over one case: within float rounding of the exact result, and
// bit-identical with and without threads.
void CheckCase(const Case& k, ThreadPool* pool) {
  SCOPED_TRACE("in " + std::to_string(k.batch) + "x" + std::to_string(k.ih) + "x" + std::to_string(k.iw) + "x" +
               std::to_string(k.ic) + " filter " + std::to_string(k.kh) + "x" + std::to_string(k.kw) + "x" +
               std::to_string(k.fc) + "x" + std::to_string(k.oc) + " " + k.padding + " stride " +
               std::to_string(k.sh) + "," + std::to_string(k.sw) + " dilation " + std::to_string(k.dh) + "," +
               std::to_string(k.dw));
  ConvParams p;
  p.padding = k.padding;
  p.sh = k.sh, p.sw = k.sw, p.dh = k.dh, p.dw = k.dw;
  std::copy(k.pad, k.pad + 4, p.pad);
  auto d = Conv2DDimsOf(p, TensorShape{k.batch, k.ih, k.iw, k.ic}, TensorShape{k.kh, k.kw, k.fc, k.oc});
  ASSERT_TRUE(d.ok()) << d.status();
  std::mt19937 rng(static_cast<uint32_t>(k.ih * 131 + k.ic * 17 + k.oc));
  const auto x = Random(k.batch * k.ih * k.iw * k.ic, &rng), f = Random(k.kh * k.kw * k.fc * k.oc, &rng);
  const int64_t out = d->batch * d->oh * d->ow * d->oc;
  std::vector<float> fast(out, NAN), one_thread(out, NAN);
  Conv2DGemm(pool, *d, x.data(), f.data(), fast.data());
  Conv2DGemm(nullptr, *d, x.data(), f.data(), one_thread.data());
  // (An empty output has null data, which memcmp may not be given.)
  if (out > 0) {
    EXPECT_EQ(0, std::memcmp(fast.data(), one_thread.data(), out * sizeof(float))) << "differs with threads";
  }

  std::vector<double> xd(x.begin(), x.end()), fd(f.begin(), f.end()), xa(x.size()), fa(f.size());
  for (size_t i = 0; i < x.size(); ++i) xa[i] = std::fabs(xd[i]);
  for (size_t i = 0; i < f.size(); ++i) fa[i] = std::fabs(fd[i]);
  std::vector<double> exact(out), bound(out);
  Conv2DDirect<double>(nullptr, *d, xd.data(), fd.data(), exact.data());
  Conv2DDirect<double>(nullptr, *d, xa.data(), fa.data(), bound.data());
  // Float accumulation of up to K products in any order stays within
  // K * 2^-24 * sum|x*f|; 1e-5 relative to the sum holds for K here.
  int bad = 0;
  for (int64_t i = 0; i < out && bad < 5; ++i) {
    if (!(std::fabs(fast[i] - exact[i]) <= 1e-5 * bound[i] + 1e-30)) {
      ADD_FAILURE() << "at " << i << ": " << fast[i] << " vs " << exact[i];
      ++bad;
    }
  }
  // And the float direct loop (the kernel's old path) agrees the same way.
  std::vector<float> direct(out);
  Conv2DDirect<float>(nullptr, *d, x.data(), f.data(), direct.data());
  for (int64_t i = 0; i < out && bad < 5; ++i) {
    if (!(std::fabs(fast[i] - direct[i]) <= 2e-5 * bound[i] + 1e-30)) {
      ADD_FAILURE() << "direct at " << i << ": " << fast[i] << " vs " << direct[i];
      ++bad;
    }
  }
}

TEST(Conv2DGemmTest, MatchesDirectLoopOverShapes) {
  ThreadPool pool(3);
  const std::vector<Case> cases = {
      // batch, ih, iw, ic, kh, kw, fc, oc, padding, sh, sw, dh, dw, explicit pads
      {2, 28, 28, 1, 3, 3, 1, 32, "VALID", 1, 1, 1, 1, {}},      // the MNIST convnet's first layer
      {3, 26, 26, 32, 3, 3, 32, 64, "VALID", 1, 1, 1, 1, {}},    // and its second (many chunks)
      {2, 9, 7, 5, 3, 3, 5, 4, "SAME", 1, 1, 1, 1, {}},
      {2, 10, 11, 3, 3, 2, 3, 6, "SAME", 2, 3, 1, 1, {}},
      {1, 12, 12, 4, 3, 3, 4, 5, "VALID", 1, 1, 2, 3, {}},       // dilations
      {1, 13, 9, 4, 3, 3, 4, 5, "SAME", 2, 1, 2, 2, {}},
      {2, 8, 8, 6, 3, 3, 6, 7, "EXPLICIT", 1, 1, 1, 1, {1, 2, 0, 3}},
      {1, 7, 9, 2, 2, 4, 2, 3, "EXPLICIT", 2, 2, 1, 2, {3, 0, 2, 2}},
      {4, 9, 9, 16, 1, 1, 16, 24, "VALID", 1, 1, 1, 1, {}},      // 1x1: the input is the patch matrix
      {2, 9, 9, 16, 1, 1, 16, 8, "SAME", 2, 2, 1, 1, {}},        // 1x1 strided: im2col
      {1, 6, 6, 8, 1, 1, 8, 4, "EXPLICIT", 1, 1, 1, 1, {1, 1, 0, 1}},
      {2, 8, 8, 6, 3, 3, 2, 9, "SAME", 1, 1, 1, 1, {}},          // 3 groups
      {1, 7, 7, 8, 1, 1, 4, 6, "VALID", 1, 1, 1, 1, {}},         // 2 groups, 1x1 direct
      {1, 9, 8, 12, 3, 2, 3, 8, "EXPLICIT", 2, 1, 2, 1, {1, 0, 2, 1}},  // 4 groups, everything
      {1, 5, 5, 3, 5, 5, 3, 4, "VALID", 1, 1, 1, 1, {}},         // window = image
      {1, 3, 3, 2, 5, 5, 2, 4, "VALID", 1, 1, 1, 1, {}},         // window > image: empty
      {0, 5, 5, 2, 3, 3, 2, 4, "SAME", 1, 1, 1, 1, {}},          // empty batch
      {1, 20, 20, 64, 5, 5, 64, 8, "SAME", 1, 1, 1, 1, {}},      // wide patch rows: small chunks
      // Column blocks of the AVX-512 path (conv2d_indirect.h): 64 + a masked
      // tail, 3 and 1 vectors, 5 + 16 channels, pixel blocks with a tail.
      {1, 24, 24, 32, 3, 3, 32, 64, "VALID", 1, 1, 1, 1, {}},    // the convnet's second layer at batch 1
      {1, 7, 9, 19, 3, 3, 19, 100, "SAME", 1, 1, 1, 1, {}},
      {2, 6, 5, 7, 3, 3, 7, 40, "SAME", 2, 1, 1, 2, {}},
      {1, 5, 7, 33, 2, 2, 33, 21, "EXPLICIT", 1, 2, 1, 1, {2, 1, 1, 0}},
      {1, 3, 5, 200, 3, 3, 200, 130, "SAME", 1, 1, 1, 1, {}},    // K = 1800, 3 column blocks
      {3, 5, 5, 20, 1, 1, 20, 17, "VALID", 1, 1, 1, 1, {}},      // 1x1, 17 channels
      {1, 3, 4, 2100, 1, 1, 2100, 20, "VALID", 1, 1, 1, 1, {}},  // K = 2100: over the panel bound
      {1, 10, 30, 4, 3, 3, 4, 16, "VALID", 1, 2, 1, 2, {}},      // whole blocks in a row, strided, dilated
      // 3x3 over one channel, the filter held in registers: window rows or,
      // dilated along the width, single values; masked 16 + 4 and 8 channels.
      {2, 13, 11, 1, 3, 3, 1, 20, "SAME", 1, 1, 1, 1, {}},
      {1, 12, 15, 1, 3, 3, 1, 8, "SAME", 2, 1, 1, 2, {}},
      {1, 9, 17, 1, 3, 3, 1, 32, "EXPLICIT", 1, 2, 2, 1, {2, 0, 1, 3}},
  };
  // Every instruction-set level this CPU has: below AVX-512 the patch-matrix
  // products, at AVX-512 the indirect register blocks where they apply.
  for (SimdLevel level : {SimdLevel::kBaseline, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (level > DetectedSimdLevel()) break;
    SCOPED_TRACE(SimdLevelName(level));
    const SimdLevel old = SetSimdLevelCap(level);
    for (const Case& c : cases) CheckCase(c, &pool);
    SetSimdLevelCap(old);
  }
}

// Conv2DBackpropInput's products against its direct loop, for the ungrouped
// cases above.
TEST(Conv2DGemmTest, BackpropInputMatchesDirectLoop) {
  ThreadPool pool(3);
  const std::vector<Case> cases = {
      {3, 12, 11, 5, 3, 3, 5, 7, "VALID", 1, 1, 1, 1, {}},
      {2, 9, 7, 4, 3, 3, 4, 6, "SAME", 2, 2, 1, 1, {}},  // strided: the transposed convolution
      {1, 13, 9, 3, 3, 2, 3, 4, "SAME", 2, 1, 2, 2, {}},
      {2, 8, 8, 6, 3, 3, 6, 5, "EXPLICIT", 1, 2, 1, 1, {1, 2, 0, 3}},
      {2, 6, 6, 8, 1, 1, 8, 4, "VALID", 1, 1, 1, 1, {}},
      {1, 30, 30, 32, 3, 3, 32, 64, "SAME", 1, 1, 1, 1, {}},  // several chunks per image
      {1, 3, 3, 2, 5, 5, 2, 4, "VALID", 1, 1, 1, 1, {}},      // no output pixels: dx is zero
  };
  for (const Case& k : cases) {
    SCOPED_TRACE("in " + std::to_string(k.ih) + "x" + std::to_string(k.iw) + "x" + std::to_string(k.ic) + " " +
                 k.padding);
    ConvParams p;
    p.padding = k.padding;
    p.sh = k.sh, p.sw = k.sw, p.dh = k.dh, p.dw = k.dw;
    std::copy(k.pad, k.pad + 4, p.pad);
    auto d = Conv2DDimsOf(p, TensorShape{k.batch, k.ih, k.iw, k.ic}, TensorShape{k.kh, k.kw, k.fc, k.oc});
    ASSERT_TRUE(d.ok()) << d.status();
    std::mt19937 rng(static_cast<uint32_t>(k.ih * 7 + k.oc));
    const auto dy = Random(d->batch * d->oh * d->ow * d->oc, &rng), f = Random(k.kh * k.kw * k.fc * k.oc, &rng);
    const int64_t n = k.batch * k.ih * k.iw * k.ic;
    std::vector<float> fast(n, NAN), one_thread(n, NAN);
    Conv2DBackpropInputGemm(&pool, *d, dy.data(), f.data(), fast.data());
    Conv2DBackpropInputGemm(nullptr, *d, dy.data(), f.data(), one_thread.data());
    EXPECT_EQ(0, std::memcmp(fast.data(), one_thread.data(), n * sizeof(float))) << "differs with threads";
    std::vector<double> gd(dy.begin(), dy.end()), fd(f.begin(), f.end()), ga(gd.size()), fa(fd.size());
    for (size_t i = 0; i < gd.size(); ++i) ga[i] = std::fabs(gd[i]);
    for (size_t i = 0; i < fd.size(); ++i) fa[i] = std::fabs(fd[i]);
    std::vector<double> exact(n), bound(n);
    Conv2DBackpropInputDirect<double>(*d, gd.data(), fd.data(), exact.data());
    Conv2DBackpropInputDirect<double>(*d, ga.data(), fa.data(), bound.data());
    int bad = 0;
    for (int64_t i = 0; i < n && bad < 5; ++i) {
      if (!(std::fabs(fast[i] - exact[i]) <= 1e-5 * bound[i] + 1e-30)) {
        ADD_FAILURE() << "at " << i << ": " << fast[i] << " vs " << exact[i];
        ++bad;
      }
    }
  }
}

// Conv2DBackpropFilter's products against its direct loop (in double), and
// the loop itself against the adjoint identity that defines it:
// <conv(x, w), dy> = <w, dW(x, dy)> for every w, checked with w = the unit
// filter of each weight through the forward direct loop.
TEST(Conv2DGemmTest, BackpropFilterMatchesDirectLoop) {
  ThreadPool pool(3);
  const std::vector<Case> cases = {
      {3, 12, 11, 5, 3, 3, 5, 7, "VALID", 1, 1, 1, 1, {}},
      {2, 9, 7, 4, 3, 3, 4, 70, "SAME", 2, 2, 1, 1, {}},  // two blocks of output channels
      {1, 13, 9, 3, 3, 2, 3, 4, "SAME", 2, 1, 2, 2, {}},
      {2, 8, 8, 6, 3, 3, 6, 5, "EXPLICIT", 1, 2, 1, 1, {1, 2, 0, 3}},
      {2, 6, 6, 8, 1, 1, 8, 130, "VALID", 1, 1, 1, 1, {}},     // 1x1: the input itself, three tasks
      {4, 30, 30, 2, 3, 3, 2, 8, "SAME", 1, 1, 1, 1, {}},      // several chunks of pixels
      {1, 3, 3, 2, 5, 5, 2, 4, "VALID", 1, 1, 1, 1, {}},       // no output pixels: dW is zero
  };
  for (const Case& k : cases) {
    SCOPED_TRACE("in " + std::to_string(k.ih) + "x" + std::to_string(k.iw) + "x" + std::to_string(k.ic) + " " +
                 k.padding);
    ConvParams p;
    p.padding = k.padding;
    p.sh = k.sh, p.sw = k.sw, p.dh = k.dh, p.dw = k.dw;
    std::copy(k.pad, k.pad + 4, p.pad);
    auto d = Conv2DDimsOf(p, TensorShape{k.batch, k.ih, k.iw, k.ic}, TensorShape{k.kh, k.kw, k.fc, k.oc});
    ASSERT_TRUE(d.ok()) << d.status();
    std::mt19937 rng(static_cast<uint32_t>(k.ih * 5 + k.oc));
    const auto x = Random(k.batch * k.ih * k.iw * k.ic, &rng), dy = Random(d->batch * d->oh * d->ow * d->oc, &rng);
    const int64_t n = k.kh * k.kw * k.ic * k.oc;
    std::vector<float> fast(n, NAN), one_thread(n, NAN);
    Conv2DBackpropFilterGemm(&pool, *d, x.data(), dy.data(), fast.data());
    Conv2DBackpropFilterGemm(nullptr, *d, x.data(), dy.data(), one_thread.data());
    EXPECT_EQ(0, std::memcmp(fast.data(), one_thread.data(), n * sizeof(float))) << "differs with threads";
    std::vector<double> xd(x.begin(), x.end()), gd(dy.begin(), dy.end()), xa(xd.size()), ga(gd.size());
    for (size_t i = 0; i < xd.size(); ++i) xa[i] = std::fabs(xd[i]);
    for (size_t i = 0; i < gd.size(); ++i) ga[i] = std::fabs(gd[i]);
    std::vector<double> exact(n), bound(n);
    Conv2DBackpropFilterDirect<double>(*d, xd.data(), gd.data(), exact.data());
    Conv2DBackpropFilterDirect<double>(*d, xa.data(), ga.data(), bound.data());
    int bad = 0;
    for (int64_t i = 0; i < n && bad < 5; ++i) {
      if (!(std::fabs(fast[i] - exact[i]) <= 1e-5 * bound[i] + 1e-30)) {
        ADD_FAILURE() << "at " << i << ": " << fast[i] << " vs " << exact[i];
        ++bad;
      }
    }
    // The adjoint identity, for a few weights: dW[i] = <conv(x, e_i), dy>.
    const int64_t outs = d->batch * d->oh * d->ow * d->oc;
    std::vector<double> unit(n, 0.0), y(outs);
    for (int64_t i = 0; i < n; i += std::max<int64_t>(1, n / 7)) {
      unit[i] = 1.0;
      Conv2DDirect<double>(nullptr, *d, xd.data(), unit.data(), y.data());
      unit[i] = 0.0;
      double dot = 0.0;
      for (int64_t j = 0; j < outs; ++j) dot += y[j] * gd[j];
      EXPECT_NEAR(exact[i], dot, 1e-9 * (1.0 + bound[i])) << "weight " << i;
    }
  }
}

TEST(Conv2DGemmTest, BackpropFilterOpNhwcNchwAndGroups) {
  std::mt19937 rng(9);
  const Tensor x = RandomTensor({2, 7, 6, 4}, &rng), dy = RandomTensor({2, 4, 6, 5}, &rng);
  const Tensor sizes = testing::V_<int32_t>({3, 2, 4, 5});
  auto nhwc = OpTest("Conv2DBackpropFilter").Input(x).Input(sizes).Input(dy)
                  .Attr("strides", std::vector<int64_t>{1, 2, 1, 1}).Attr("padding", "SAME").IntraOpThreads(2).Run1();
  ASSERT_TRUE(nhwc.ok()) << nhwc.status();
  ASSERT_EQ(nhwc->shape(), (TensorShape{3, 2, 4, 5}));
  auto nchw = OpTest("Conv2DBackpropFilter").Input(Permute4<float>(x, kToNchw)).Input(sizes)
                  .Input(Permute4<float>(dy, kToNchw)).Attr("strides", std::vector<int64_t>{1, 1, 2, 1})
                  .Attr("padding", "SAME").Attr("data_format", "NCHW").Run1();
  ASSERT_TRUE(nchw.ok()) << nchw.status();
  EXPECT_EQ(0, std::memcmp(nchw->flat<float>().data(), nhwc->flat<float>().data(), nhwc->byte_size()));
  // double takes the loop; same numbers up to float rounding.
  std::vector<double> xd(x.flat<float>().begin(), x.flat<float>().end()),
      gd(dy.flat<float>().begin(), dy.flat<float>().end());
  auto dbl = OpTest("Conv2DBackpropFilter").Input(Tensor::FromVector(xd, x.shape())).Input(sizes)
                 .Input(Tensor::FromVector(gd, dy.shape())).Attr("strides", std::vector<int64_t>{1, 2, 1, 1})
                 .Attr("padding", "SAME").Run1();
  ASSERT_TRUE(dbl.ok()) << dbl.status();
  for (int64_t i = 0; i < nhwc->num_elements(); ++i) {
    EXPECT_NEAR(nhwc->flat<float>()[i], dbl->flat<double>()[i], 1e-5) << i;
  }
  auto grouped = OpTest("Conv2DBackpropFilter").Input(x).Input(testing::V_<int32_t>({3, 2, 2, 4}))
                     .Input(RandomTensor({2, 4, 6, 4}, &rng)).Attr("strides", std::vector<int64_t>{1, 2, 1, 1})
                     .Attr("padding", "SAME").Run1();
  EXPECT_EQ(grouped.status().code(), StatusCode::kUnimplemented) << grouped.status();
  testing::ExpectError(OpTest("Conv2DBackpropFilter").Input(x).Input(sizes).Input(RandomTensor({2, 4, 6, 3}, &rng))
                           .Attr("strides", std::vector<int64_t>{1, 2, 1, 1}).Attr("padding", "SAME").Run1(),
                       "out_backprop has shape");
}

TEST(Conv2DGemmTest, BadDepthsAreErrors) {
  ConvParams p;
  p.padding = "VALID";
  EXPECT_FALSE(Conv2DDimsOf(p, TensorShape{1, 4, 4, 5}, TensorShape{3, 3, 2, 4}).ok());
  EXPECT_FALSE(Conv2DDimsOf(p, TensorShape{1, 4, 4, 4}, TensorShape{3, 3, 2, 3}).ok());  // 3 % 2 groups
  EXPECT_FALSE(Conv2DDimsOf(p, TensorShape{1, 4, 4, 0}, TensorShape{3, 3, 2, 4}).ok());
  EXPECT_FALSE(Conv2DDimsOf(p, TensorShape{1, 4, 4, 4}, TensorShape{3, 3, 0, 4}).ok());
}

// Conv2D as an op: NCHW is the NHWC result transposed, and both match the
// direct loop.
TEST(Conv2DGemmTest, Conv2DOpNhwcAndNchw) {
  std::mt19937 rng(7);
  const Tensor x = RandomTensor({2, 7, 6, 4}, &rng), f = RandomTensor({3, 2, 4, 5}, &rng);
  const std::vector<int64_t> strides{1, 2, 1, 1}, dilations{1, 1, 2, 1};
  auto nhwc = OpTest("Conv2D").Input(x).Input(f).Attr("strides", strides).Attr("dilations", dilations)
                  .Attr("padding", "SAME").IntraOpThreads(2).Run1();
  ASSERT_TRUE(nhwc.ok()) << nhwc.status();
  ASSERT_EQ(nhwc->shape(), (TensorShape{2, 4, 6, 5}));
  auto nchw = OpTest("Conv2D").Input(Permute4<float>(x, kToNchw)).Input(f).Attr("strides", std::vector<int64_t>{1, 1, 2, 1})
                  .Attr("dilations", std::vector<int64_t>{1, 1, 1, 2}).Attr("padding", "SAME")
                  .Attr("data_format", "NCHW").Run1();
  ASSERT_TRUE(nchw.ok()) << nchw.status();
  const Tensor back = Permute4<float>(*nchw, kToNhwc);
  ASSERT_EQ(back.shape(), nhwc->shape());
  EXPECT_EQ(0, std::memcmp(back.flat<float>().data(), nhwc->flat<float>().data(), back.byte_size()));

  ConvParams p;
  p.padding = "SAME", p.sh = 2, p.dw = 2;
  auto d = Conv2DDimsOf(p, x.shape(), f.shape());
  ASSERT_TRUE(d.ok());
  std::vector<float> want(nhwc->num_elements());
  Conv2DDirect<float>(nullptr, *d, x.flat<float>().data(), f.flat<float>().data(), want.data());
  testing::ExpectNear<float>(*nhwc, want, nhwc->shape(), 1e-5);
}

tensorflow::AttrValue FloatList(int n) {
  tensorflow::AttrValue v;
  for (int i = 0; i < n; ++i) v.mutable_list()->add_type(tensorflow::DT_FLOAT);
  return v;
}

OpTest Fused(const Tensor& x, const Tensor& f, const std::vector<Tensor>& args, std::vector<std::string> ops) {
  OpTest t("_FusedConv2D");
  t.Input(x).Input(f);
  for (const Tensor& a : args) t.Input(a);
  tensorflow::AttrValue list;
  for (const std::string& op : ops) list.mutable_list()->add_s(op);
  t.Attr("fused_ops", list).Attr("TArgs", FloatList(static_cast<int>(args.size())))
      .Attr("num_args", static_cast<int64_t>(args.size())).Attr("num_host_args", int64_t{0})
      .Attr("strides", std::vector<int64_t>{1, 1, 1, 1}).Attr("padding", "SAME").IntraOpThreads(2);
  return t;
}

// _FusedConv2D equals Conv2D then BiasAdd / FusedBatchNorm then the activation.
TEST(FusedConv2DTest, MatchesSeparateKernels) {
  std::mt19937 rng(11);
  const Tensor x = RandomTensor({2, 9, 8, 3}, &rng), f = RandomTensor({3, 3, 3, 6}, &rng);
  const Tensor bias = RandomTensor({6}, &rng), scale = RandomTensor({6}, &rng), offset = RandomTensor({6}, &rng),
               mean = RandomTensor({6}, &rng);
  std::vector<float> var_v = Random(6, &rng);
  for (float& v : var_v) v = std::fabs(v) + 0.1f;
  const Tensor var = Tensor::FromVector(var_v, TensorShape{6});
  auto conv = OpTest("Conv2D").Input(x).Input(f).Attr("strides", std::vector<int64_t>{1, 1, 1, 1})
                  .Attr("padding", "SAME").Run1();
  ASSERT_TRUE(conv.ok()) << conv.status();
  auto biased = OpTest("BiasAdd").Input(*conv).Input(bias).Run1();
  ASSERT_TRUE(biased.ok()) << biased.status();
  auto normed = OpTest("FusedBatchNormV3").Input(*conv).Input(scale).Input(offset).Input(mean).Input(var)
                    .Attr("U", DT_FLOAT).Attr("epsilon", 0.001f).Attr("is_training", false).Run();
  ASSERT_TRUE(normed.ok()) << normed.status();
  for (const char* act : {"", "Relu", "Relu6", "Elu", "LeakyRelu"}) {
    for (bool bn : {false, true}) {
      SCOPED_TRACE(std::string(bn ? "FusedBatchNorm" : "BiasAdd") + " " + act);
      Tensor want = bn ? (*normed)[0] : *biased;
      if (*act) {
        OpTest a(act);
        a.Input(want);
        if (std::string(act) == "LeakyRelu") a.Attr("alpha", 0.3f);
        auto w = a.Run1();
        ASSERT_TRUE(w.ok()) << w.status();
        want = *w;
      }
      std::vector<std::string> ops{bn ? "FusedBatchNorm" : "BiasAdd"};
      if (*act) ops.push_back(act);
      OpTest t = bn ? Fused(x, f, {scale, offset, mean, var}, ops) : Fused(x, f, {bias}, ops);
      t.Attr("epsilon", 0.001f).Attr("leakyrelu_alpha", 0.3f);
      auto got = t.Run1();
      ASSERT_TRUE(got.ok()) << got.status();
      std::vector<float> w(want.flat<float>().begin(), want.flat<float>().end());
      testing::ExpectNear<float>(*got, w, want.shape(), 1e-6);
    }
  }
}

TEST(FusedConv2DTest, UnsupportedListsAreUnimplemented) {
  std::mt19937 rng(3);
  const Tensor x = RandomTensor({1, 4, 4, 2}, &rng), f = RandomTensor({1, 1, 2, 3}, &rng), b = RandomTensor({3}, &rng);
  auto got = Fused(x, f, {b}, {"BiasAdd", "Sigmoid"}).Run1();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented) << got.status();
  EXPECT_NE(got.status().message().find("BiasAdd, Sigmoid"), std::string::npos) << got.status();
  got = Fused(x, f, {b}, {"Relu"}).Run1();
  EXPECT_EQ(got.status().code(), StatusCode::kUnimplemented) << got.status();
  testing::ExpectError(Fused(x, f, {b, b}, {"BiasAdd"}).Run1(), "take 1 args");
  testing::ExpectError(Fused(x, f, {RandomTensor({4}, &rng)}, {"BiasAdd"}).Run1(), "output channels");
}

// The NHWC pooling path against the general loop, which NCHW still takes:
// bit-identical, NaN and padding included.
TEST(PoolNhwcTest, MatchesGeneralLoop) {
  std::mt19937 rng(5);
  struct P { std::vector<int64_t> k, s; const char* padding; };
  // 7 channels: one masked vector on the AVX-512 path; 37: two full and a tail.
  for (int64_t channels : {7, 37})
  for (SimdLevel level : {SimdLevel::kBaseline, SimdLevel::kAvx512})
  for (const P& p : {P{{2, 2}, {2, 2}, "VALID"}, P{{3, 3}, {2, 2}, "SAME"}, P{{3, 2}, {1, 3}, "SAME"},
                     P{{1, 1}, {1, 1}, "VALID"}, P{{4, 5}, {3, 2}, "VALID"}}) {
    Tensor x = RandomTensor({3, 11, 10, channels}, &rng);
    x.flat<float>()[5] = NAN;
    x.flat<float>()[100] = NAN;
    x.flat<float>()[101] = -0.0f;
    const SimdLevel old = SetSimdLevelCap(level);
    struct Restore {
      SimdLevel l;
      ~Restore() { SetSimdLevelCap(l); }
    } restore{old};
    for (const char* op : {"MaxPool", "AvgPool"}) {
      SCOPED_TRACE(std::string(op) + " " + p.padding + " k " + std::to_string(p.k[0]) + "x" + std::to_string(p.k[1]) +
                   " channels " + std::to_string(channels) + " " + SimdLevelName(level));
      auto nhwc = OpTest(op).Input(x).Attr("ksize", std::vector<int64_t>{1, p.k[0], p.k[1], 1})
                      .Attr("strides", std::vector<int64_t>{1, p.s[0], p.s[1], 1}).Attr("padding", p.padding)
                      .IntraOpThreads(2).Run1();
      auto nchw = OpTest(op).Input(Permute4<float>(x, kToNchw))
                      .Attr("ksize", std::vector<int64_t>{1, 1, p.k[0], p.k[1]})
                      .Attr("strides", std::vector<int64_t>{1, 1, p.s[0], p.s[1]}).Attr("padding", p.padding)
                      .Attr("data_format", "NCHW").Run1();
      ASSERT_TRUE(nhwc.ok()) << nhwc.status();
      ASSERT_TRUE(nchw.ok()) << nchw.status();
      const Tensor back = Permute4<float>(*nchw, kToNhwc);
      ASSERT_EQ(back.shape(), nhwc->shape());
      EXPECT_EQ(0, std::memcmp(back.flat<float>().data(), nhwc->flat<float>().data(), back.byte_size()));
    }
  }
  // Integers take the same path for MaxPool.
  auto ints = OpTest("MaxPool").Input(testing::T_<int32_t>({1, 5, -3, 4, 2, 9, 0, -1}, {1, 2, 2, 2}))
                  .Attr("ksize", std::vector<int64_t>{1, 2, 2, 1}).Attr("strides", std::vector<int64_t>{1, 1, 1, 1})
                  .Attr("padding", "VALID").Run1();
  testing::ExpectTensor<int32_t>(ints, {2, 9}, {1, 1, 1, 2});
}

}  // namespace
}  // namespace savedmodel
