#include "savedmodel/kernels/nn/conv2d_gemm.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "savedmodel/kernels/math/gemm.h"
#include "savedmodel/kernels/nn/conv2d_indirect.h"

namespace savedmodel::kernels {

StatusOr<ConvDims> Conv2DDimsOf(const ConvParams& p, const TensorShape& in, const TensorShape& filter) {
  if (in.rank() != 4 || filter.rank() != 4) return InvalidArgument("input and filter must be 4-D");
  ConvDims d;
  d.batch = in.dim(0), d.ih = in.dim(1), d.iw = in.dim(2), d.ic = in.dim(3);
  d.kh = filter.dim(0), d.kw = filter.dim(1), d.fc = filter.dim(2), d.oc = filter.dim(3);
  if (d.fc <= 0 || d.ic % d.fc != 0) {
    return InvalidArgument("input depth " + std::to_string(d.ic) + " is not a multiple of filter depth " +
                           std::to_string(d.fc));
  }
  d.groups = d.ic / d.fc;
  // An input without channels would make zero groups; TensorFlow rejects it too.
  if (d.groups == 0) return InvalidArgument("input depth must be positive");
  if (d.oc % d.groups != 0) return InvalidArgument("output depth must be a multiple of the group count");
  auto h = p.Rows(d.ih, d.kh), w = p.Cols(d.iw, d.kw);
  if (!h.ok()) return h.status();
  if (!w.ok()) return w.status();
  d.oh = h->out, d.ow = w->out, d.pad_top = h->pad_before, d.pad_left = w->pad_before;
  d.sh = p.sh, d.sw = p.sw, d.dh = p.dh, d.dw = p.dw;
  return d;
}

namespace {

// Patch matrices are capped near this size per thread: large enough for the
// products to run at full speed, small enough to stay in L2 between being
// written and being multiplied, and independent of the image size.
constexpr int64_t kPatchBytes = int64_t{1} << 20;

inline void CopyOrZero(float* dst, const float* src, int64_t n) {
  if (src == nullptr) {
    std::memset(dst, 0, n * sizeof(float));
  } else if (n == 1) {
    *dst = *src;  // one-channel images: a call to memcpy per pixel costs more than the copy
  } else {
    std::memcpy(dst, src, n * sizeof(float));
  }
}

// Runs body(claim) on the calling thread and up to all of the pool's
// workers; claim(&i) hands out the next unclaimed item of [0, n) and returns
// false once none is left. Items go to whichever thread asks first, so a
// thread the OS has set aside (the machine is shared) holds up one item, not
// a fixed third of them; what an item computes never depends on its thread.
template <typename Body>
void ShareOut(ThreadPool* pool, int64_t n, int64_t min_items_per_thread, const Body& body) {
  std::atomic<int64_t> next{0};
  const auto claim = [&](int64_t* item) {
    *item = next.fetch_add(1, std::memory_order_relaxed);
    return *item < n;
  };
  const int64_t threads = pool == nullptr ? 1 : pool->num_threads() + 1;
  const int64_t parts = std::clamp<int64_t>(n / std::max<int64_t>(1, min_items_per_thread), 1, threads);
  ParallelFor(parts > 1 ? pool : nullptr, parts, 1, [&](int64_t, int64_t) { body(claim); });
}

// Writes output rows [row0, row0 + rows) as patch rows: column
// g * K + (ky * kw + kx) * fc + c holds input channel g * fc + c under window
// tap (ky, kx), zero where the tap falls in the padding. K = kh * kw * fc, so
// each group's columns are one contiguous block of the row.
void Im2Col(const ConvDims& d, const float* x, int64_t row0, int64_t rows, float* patch) {
  const int64_t k = d.kh * d.kw * d.fc, cols = d.groups * k;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t idx = row0 + r, ox = idx % d.ow, t = idx / d.ow, oy = t % d.oh, b = t / d.oh;
    const float* img = x + b * d.ih * d.iw * d.ic;
    float* row = patch + r * cols;
    const int64_t ix0 = ox * d.sw - d.pad_left;
    for (int64_t ky = 0; ky < d.kh; ++ky) {
      const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh;
      const bool row_in = iy >= 0 && iy < d.ih;
      if (d.groups == 1) {
        float* seg = row + ky * d.kw * d.ic;
        // With no dilation a window row is kw * ic contiguous input values.
        if (row_in && d.dw == 1 && ix0 >= 0 && ix0 + d.kw <= d.iw) {
          CopyOrZero(seg, img + (iy * d.iw + ix0) * d.ic, d.kw * d.ic);
          continue;
        }
        for (int64_t kx = 0; kx < d.kw; ++kx) {
          const int64_t ix = ix0 + kx * d.dw;
          const bool in = row_in && ix >= 0 && ix < d.iw;
          CopyOrZero(seg + kx * d.ic, in ? img + (iy * d.iw + ix) * d.ic : nullptr, d.ic);
        }
        continue;
      }
      for (int64_t kx = 0; kx < d.kw; ++kx) {
        const int64_t ix = ix0 + kx * d.dw;
        const bool in = row_in && ix >= 0 && ix < d.iw;
        for (int64_t g = 0; g < d.groups; ++g) {
          CopyOrZero(row + g * k + (ky * d.kw + kx) * d.fc,
                     in ? img + (iy * d.iw + ix) * d.ic + g * d.fc : nullptr, d.fc);
        }
      }
    }
  }
}

}  // namespace

void Conv2DGemm(ThreadPool* pool, const ConvDims& d, const float* x, const float* f, float* y,
                const ConvEpilogue& epilogue) {
  const int64_t m = d.batch * d.oh * d.ow;
  if (m == 0 || d.oc == 0) return;
  const int64_t k = d.kh * d.kw * d.fc, cols = d.groups * k, ocg = d.oc / d.groups;
  // The input is already the patch matrix when every window is one pixel.
  const bool direct = d.kh == 1 && d.kw == 1 && d.sh == 1 && d.sw == 1 && d.pad_top == 0 && d.pad_left == 0 &&
                      d.oh == d.ih && d.ow == d.iw;
  const int64_t row_bytes = static_cast<int64_t>(sizeof(float)) * ((direct ? 0 : cols) + d.oc);
  int64_t rows = std::clamp<int64_t>(kPatchBytes / row_bytes, 32, 4096);
  // At least eight chunks when there are rows enough, so one small image still
  // spreads over the threads; a function of the shape only, never of the pool.
  rows = std::min(rows, std::max<int64_t>(32, (m + 7) / 8));
  const int64_t chunks = (m + rows - 1) / rows;
  // A thread's share should be worth waking it for: 2^17 multiply-adds, the
  // size below which Sgemm's own split stopped paying (docs/performance.md).
  // Small layers at batch 1 then run on the calling thread alone.
  const int64_t per_chunk = std::max<int64_t>(1, rows * d.oc * k);
  const int64_t min_chunks = std::max<int64_t>(1, ((int64_t{1} << 17) + per_chunk - 1) / per_chunk);
  // Without a patch matrix where the CPU has AVX-512 (conv2d_indirect.h):
  // twice the speed of the products below on the Zen 5 host.
  if (Conv2DIndirect::Applies(d)) {
    ShareOut(pool, chunks, min_chunks, [&](const auto& claim) {
      Conv2DIndirect conv(d, rows);
      for (int64_t chunk; claim(&chunk);) {
        const int64_t row0 = chunk * rows, n = std::min(rows, m - row0);
        float* c = y + row0 * d.oc;
        conv.Rows(x, f, row0, n, c);
        if (epilogue) epilogue(row0, n, c);
      }
    });
    return;
  }
  ShareOut(pool, chunks, min_chunks, [&](const auto& claim) {
    std::unique_ptr<float[]> patch(direct ? nullptr : new float[rows * cols]);
    for (int64_t chunk; claim(&chunk);) {
      const int64_t row0 = chunk * rows, n = std::min(rows, m - row0);
      const float* a = x + row0 * d.ic;
      if (!direct) {
        Im2Col(d, x, row0, n, patch.get());
        a = patch.get();
      }
      float* c = y + row0 * d.oc;
      for (int64_t g = 0; g < d.groups; ++g) {
        Sgemm(nullptr, false, false, n, ocg, k, a + g * k, cols, f + g * ocg, d.oc, 0.0f, c + g * ocg, d.oc);
      }
      if (epilogue) epilogue(row0, n, c);
    }
  });
}

void Conv2DBackpropInputGemm(ThreadPool* pool, const ConvDims& d, const float* dy, const float* f, float* dx) {
  const int64_t image = d.ih * d.iw * d.ic, pixels = d.oh * d.ow, k = d.kh * d.kw * d.ic;
  if (d.batch == 0 || image == 0) return;
  const int64_t row_bytes = static_cast<int64_t>(sizeof(float)) * (k + d.oc);
  const int64_t rows = std::clamp<int64_t>(kPatchBytes / row_bytes, 32, 4096);
  ShareOut(pool, d.batch, 1, [&](const auto& claim) {
    std::unique_ptr<float[]> col(pixels == 0 ? nullptr : new float[std::min(rows, pixels) * k]);
    for (int64_t b; claim(&b);) {
      float* img = dx + b * image;
      std::memset(img, 0, image * sizeof(float));
      for (int64_t p0 = 0; p0 < pixels; p0 += rows) {
        const int64_t n = std::min(rows, pixels - p0);
        if (d.oc == 0) break;  // no output channels: dx is zero
        Sgemm(nullptr, false, true, n, k, d.oc, dy + (b * pixels + p0) * d.oc, d.oc, f, d.oc, 0.0f, col.get(), k);
        for (int64_t r = 0; r < n; ++r) {
          const int64_t oy = (p0 + r) / d.ow, ox = (p0 + r) % d.ow;
          const float* src = col.get() + r * k;
          for (int64_t ky = 0; ky < d.kh; ++ky) {
            const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh;
            if (iy < 0 || iy >= d.ih) continue;
            for (int64_t kx = 0; kx < d.kw; ++kx) {
              const int64_t ix = ox * d.sw - d.pad_left + kx * d.dw;
              if (ix < 0 || ix >= d.iw) continue;
              float* dst = img + (iy * d.iw + ix) * d.ic;
              const float* tap = src + (ky * d.kw + kx) * d.ic;
              for (int64_t c = 0; c < d.ic; ++c) dst[c] += tap[c];
            }
          }
        }
      }
    }
  });
}

void Conv2DBackpropFilterGemm(ThreadPool* pool, const ConvDims& d, const float* x, const float* dy, float* dw) {
  const int64_t taps = d.kh * d.kw, m = d.batch * d.oh * d.ow;
  if (taps * d.ic == 0 || d.oc == 0) return;
  if (m == 0) {
    std::memset(dw, 0, taps * d.ic * d.oc * sizeof(float));
    return;
  }
  // Output channels in blocks, so a 1x1 filter (one tap) still gives the
  // threads several tasks; each task gathers its tap's pixels itself.
  constexpr int64_t kColumnBlock = 64;
  const int64_t blocks = (d.oc + kColumnBlock - 1) / kColumnBlock;
  const bool direct = d.kh == 1 && d.kw == 1 && d.sh == 1 && d.sw == 1 && d.pad_top == 0 && d.pad_left == 0 &&
                      d.oh == d.ih && d.ow == d.iw;
  const int64_t rows = std::clamp<int64_t>(kPatchBytes / (d.ic * static_cast<int64_t>(sizeof(float))), 256, 65536);
  ShareOut(pool, taps * blocks, 1, [&](const auto& claim) {
    std::unique_ptr<float[]> gathered(direct ? nullptr : new float[std::min(rows, m) * d.ic]);
    for (int64_t task; claim(&task);) {
      const int64_t tap = task / blocks, o0 = (task % blocks) * kColumnBlock;
      const int64_t on = std::min(kColumnBlock, d.oc - o0), ky = tap / d.kw, kx = tap % d.kw;
      float* out = dw + tap * d.ic * d.oc + o0;
      for (int64_t row0 = 0; row0 < m; row0 += rows) {
        const int64_t n = std::min(rows, m - row0);
        const float* a = x + row0 * d.ic;
        if (!direct) {
          for (int64_t r = 0; r < n; ++r) {
            const int64_t idx = row0 + r, ox = idx % d.ow, t = idx / d.ow, oy = t % d.oh, b = t / d.oh;
            const int64_t iy = oy * d.sh - d.pad_top + ky * d.dh, ix = ox * d.sw - d.pad_left + kx * d.dw;
            const bool in = iy >= 0 && iy < d.ih && ix >= 0 && ix < d.iw;
            CopyOrZero(gathered.get() + r * d.ic, in ? x + ((b * d.ih + iy) * d.iw + ix) * d.ic : nullptr, d.ic);
          }
          a = gathered.get();
        }
        Sgemm(nullptr, true, false, d.ic, on, n, a, d.ic, dy + row0 * d.oc + o0, d.oc, row0 == 0 ? 0.0f : 1.0f,
              out, d.oc);
      }
    }
  });
}

}  // namespace savedmodel::kernels
