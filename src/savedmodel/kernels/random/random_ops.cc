// Random initializers: RandomUniform [0, 1), RandomStandardNormal and
// TruncatedNormal (normal samples beyond two standard deviations dropped), in
// float, double, half and bfloat16.
//
// With a non-zero seed or seed2 the values are TensorFlow's own, bit for bit:
// the stream is Philox4x32-10 keyed by (seed, seed2), each Run of a node takes
// the next stretch of it, and the output is filled group by group in the same
// layout as TensorFlow's CPU kernel. Both seeds zero picks a fresh random key
// per node, as TensorFlow does.
#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <random>
#include <string>

#include "savedmodel/base/philox.h"
#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

enum class Dist { kUniform, kNormal, kTruncated };

// Each output element owns this many 128-bit blocks of the stream. TensorFlow
// reserves this much per Run so that truncated normal's rejection loop, which
// needs a variable number of draws, still gives each output group a stretch
// of the stream that no other group touches.
constexpr uint64_t kBlocksPerOutput = 256;

// A float from one of TensorFlow's narrower float formats.
template <typename T>
T FromFloat(float f) {
  if constexpr (std::is_same_v<T, half>) {
    return FloatToHalf(f);
  } else if constexpr (std::is_same_v<T, bfloat16>) {
    return FloatToBFloat16(f);
  } else {
    return f;
  }
}

// Outputs per group: one 128-bit block makes four 32-bit values, or two
// doubles (each double takes 64 bits).
template <typename T>
constexpr int GroupSize() {
  return std::is_same_v<T, double> ? 2 : 4;
}

// Hands out one 32-bit word at a time from successive blocks.
class WordStream {
 public:
  explicit WordStream(Philox gen) : gen_(gen) {}
  uint32_t Next() {
    if (used_ == Philox::kBlockSize) {
      block_ = gen_();
      used_ = 0;
    }
    return block_[used_++];
  }

 private:
  Philox gen_;
  Philox::Block block_{};
  int used_ = Philox::kBlockSize;
};

// Fills one group's outputs from `gen`, which is positioned at the group's
// first block.
template <Dist kDist, typename T>
void FillGroup(Philox gen, T* out) {
  constexpr int kGroup = GroupSize<T>();
  if constexpr (kDist == Dist::kUniform) {
    const Philox::Block b = gen();
    if constexpr (std::is_same_v<T, double>) {
      for (int i = 0; i < kGroup; ++i) out[i] = Uint64ToUnitDouble(b[2 * i], b[2 * i + 1]);
    } else if constexpr (std::is_same_v<T, float>) {
      for (int i = 0; i < kGroup; ++i) out[i] = Uint32ToUnitFloat(b[i]);
    } else {
      // 16-bit formats keep as many random bits as their mantissa holds, so
      // the value is exactly a multiple of 2^-mantissa_bits.
      constexpr int kBits = std::is_same_v<T, half> ? 10 : 7;
      for (int i = 0; i < kGroup; ++i) {
        out[i] = FromFloat<T>(static_cast<float>(b[i] & ((1u << kBits) - 1)) / (1u << kBits));
      }
    }
  } else if constexpr (kDist == Dist::kNormal) {
    const Philox::Block b = gen();
    if constexpr (std::is_same_v<T, double>) {
      BoxMullerDouble(b[0], b[1], b[2], b[3], &out[0], &out[1]);
    } else {
      for (int i = 0; i < kGroup; i += 2) {
        float f0, f1;
        BoxMullerFloat(b[i], b[i + 1], &f0, &f1);
        out[i] = FromFloat<T>(f0);
        out[i + 1] = FromFloat<T>(f1);
      }
    }
  } else {
    WordStream words(gen);
    int n = 0;
    while (n < kGroup) {
      if constexpr (std::is_same_v<T, double>) {
        const uint32_t x0 = words.Next(), x1 = words.Next(), x2 = words.Next(), x3 = words.Next();
        double d[2];
        BoxMullerDouble(x0, x1, x2, x3, &d[0], &d[1]);
        for (int j = 0; j < 2 && n < kGroup; ++j) {
          if (std::fabs(d[j]) < 2.0) out[n++] = d[j];
        }
      } else {
        const uint32_t x0 = words.Next(), x1 = words.Next();
        float f[2];
        BoxMullerFloat(x0, x1, &f[0], &f[1]);
        for (int j = 0; j < 2 && n < kGroup; ++j) {
          if (std::fabs(f[j]) < 2.0f) out[n++] = FromFloat<T>(f[j]);
        }
      }
    }
  }
}

// Fills `out` (n elements) from the stream starting at `base`. Group g starts
// at block g (one block per group) or, for truncated normal, at block
// g * group * kBlocksPerOutput / 4, so the result does not depend on how the
// groups are split between threads.
template <Dist kDist, typename T>
void Fill(const Philox& base, T* out, int64_t n, ThreadPool* pool) {
  constexpr int kGroup = GroupSize<T>();
  constexpr uint64_t kBlocksPerGroup =
      kDist == Dist::kTruncated ? kGroup * kBlocksPerOutput / Philox::kBlockSize : 1;
  const int64_t groups = (n + kGroup - 1) / kGroup;
  // Roughly 100 ns per group; chunks of ~1k groups make a thread worth waking.
  ParallelFor(pool, groups, kDist == Dist::kUniform ? 8192 : 1024, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      Philox gen = base;
      gen.Skip(static_cast<uint64_t>(g) * kBlocksPerGroup);
      const int64_t begin = g * kGroup;
      if (begin + kGroup <= n) {
        FillGroup<kDist, T>(gen, out + begin);
      } else {
        T tail[kGroup];
        FillGroup<kDist, T>(gen, tail);
        std::copy(tail, tail + (n - begin), out + begin);
      }
    }
  });
}

template <Dist kDist>
class RandomKernel : public OpKernel {
 public:
  RandomKernel(const OpKernelConstruction& c, Status* s) {
    int64_t seed = 0, seed2 = 0;
    *s = c.GetAttr("dtype", &dtype_);
    if (s->ok()) *s = c.GetAttr("seed", &seed);
    if (s->ok()) *s = c.GetAttr("seed2", &seed2);
    if (!s->ok()) return;
    if (dtype_ != DT_FLOAT && dtype_ != DT_DOUBLE && dtype_ != DT_HALF && dtype_ != DT_BFLOAT16) {
      *s = c.UnsupportedType(dtype_);
      return;
    }
    uint64_t key = static_cast<uint64_t>(seed), counter_hi = static_cast<uint64_t>(seed2);
    if (seed == 0 && seed2 == 0) {
      std::random_device rd;
      key = (uint64_t{rd()} << 32) | rd();
      counter_hi = (uint64_t{rd()} << 32) | rd();
    }
    gen_ = Philox(key, counter_hi);
  }

  Status Compute(OpKernelContext* ctx) const override {
    const Tensor shape_t = ctx->input(0);
    if (shape_t.rank() != 1 || (shape_t.dtype() != DT_INT32 && shape_t.dtype() != DT_INT64)) {
      return ctx->InvalidArg("shape must be a vector of {int32,int64}, got " + DataTypeString(shape_t.dtype()) +
                             " shape " + shape_t.shape().DebugString());
    }
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < shape_t.num_elements(); ++i) {
      dims.push_back(shape_t.dtype() == DT_INT64 ? shape_t.flat<int64_t>()[i] : shape_t.flat<int32_t>()[i]);
    }
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, dtype_, *shape);
    const int64_t n = out->num_elements();
    Philox base;
    {
      // Only the reservation is serialized; concurrent Runs then fill from
      // their own disjoint stretches of the stream.
      std::lock_guard<std::mutex> l(mu_);
      base = gen_;
      gen_.Skip(static_cast<uint64_t>(n) * kBlocksPerOutput);
    }
    switch (dtype_) {
      case DT_FLOAT: Fill<kDist, float>(base, out->flat<float>().data(), n, ctx->pool()); break;
      case DT_DOUBLE: Fill<kDist, double>(base, out->flat<double>().data(), n, ctx->pool()); break;
      case DT_HALF: Fill<kDist, half>(base, out->flat<half>().data(), n, ctx->pool()); break;
      default: Fill<kDist, bfloat16>(base, out->flat<bfloat16>().data(), n, ctx->pool()); break;
    }
    return Status::OK();
  }

 private:
  DataType dtype_ = DT_FLOAT;
  mutable std::mutex mu_;
  mutable Philox gen_;
};
REGISTER_KERNEL("RandomUniform", RandomKernel<Dist::kUniform>);
REGISTER_KERNEL("RandomStandardNormal", RandomKernel<Dist::kNormal>);
REGISTER_KERNEL("TruncatedNormal", RandomKernel<Dist::kTruncated>);

}  // namespace
}  // namespace savedmodel
