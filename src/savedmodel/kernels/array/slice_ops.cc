// Slicing and tiling, all as one strided copy from the input.
//   Slice: x: [d0..dn], begin: [n+1], size: [n+1] (-1 = to the end) -> size
//   StridedSlice: x, begin, end, strides: [k] with begin/end/ellipsis/new_axis/
//       shrink_axis masks (Python's x[a:b:s, ..., tf.newaxis, i]) -> sliced shape
//   Tile: x: [d0..dn], multiples: [n+1] -> [d0 * m0, ..]
#include <string>
#include <vector>

#include "savedmodel/kernels/array/array_util.h"
#include "savedmodel/core/checked_math.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

// Copies the view (dims, strides, base) of x into a new tensor of `shape`
// (same element count as dims).
Status CopyView(OpKernelContext* ctx, const Tensor& x, const std::vector<int64_t>& dims,
                const std::vector<int64_t>& strides, int64_t base, const TensorShape& shape) {
  Tensor* out = ctx->allocate_output(0, x.dtype(), shape);
  return VisitBySize(x.dtype(), [&](auto tag) -> Status {
    using E = decltype(tag);
    StridedCopy(static_cast<const E*>(x.raw_data()), static_cast<E*>(out->raw_data()), dims,
                strides, base);
    return Status();
  });
}

class SliceKernel : public OpKernel {
 public:
  SliceKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0), begin_t = ctx->input(1), size_t_ = ctx->input(2);
    const int rank = x.rank();
    if (begin_t.rank() != 1 || size_t_.rank() != 1 || begin_t.num_elements() != rank ||
        size_t_.num_elements() != rank) {
      return ctx->InvalidArg("Expected begin and size arguments to be 1-D tensors of size " +
                             std::to_string(rank) + ", but got shapes " +
                             begin_t.shape().DebugString() + " and " +
                             size_t_.shape().DebugString() + " instead.");
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> begin, IntValues(begin_t));
    ASSIGN_OR_RETURN(std::vector<int64_t> size, IntValues(size_t_));
    const std::vector<int64_t> in_strides = RowMajorStrides(x.shape().dims());
    int64_t base = 0;
    for (int d = 0; d < rank; ++d) {
      const int64_t n = x.dim(d);
      if (size[d] == -1) size[d] = n - begin[d];
      if (begin[d] < 0 || begin[d] > n) {
        return ctx->InvalidArg("Expected begin[" + std::to_string(d) + "] in [0, " +
                               std::to_string(n) + "], but got " + std::to_string(begin[d]));
      }
      if (size[d] < 0 || begin[d] + size[d] > n) {
        return ctx->InvalidArg("Expected size[" + std::to_string(d) + "] in [0, " +
                               std::to_string(n - begin[d]) + "], but got " +
                               std::to_string(size[d]));
      }
      base += begin[d] * in_strides[d];
    }
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(size));
    if (shape.num_elements() == 0) base = 0;
    return CopyView(ctx, x, size, in_strides, base, shape);
  }
};

class StridedSliceKernel : public OpKernel {
 public:
  StridedSliceKernel(const OpKernelConstruction& c, Status* s) {
    for (auto [name, field] : {std::pair{"begin_mask", &begin_mask_}, {"end_mask", &end_mask_},
                               {"ellipsis_mask", &ellipsis_mask_},
                               {"new_axis_mask", &new_axis_mask_},
                               {"shrink_axis_mask", &shrink_axis_mask_}}) {
      if (s->ok()) *s = c.GetAttr(name, field);
    }
  }

  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0);
    const Tensor& bt = ctx->input(1);
    if (bt.rank() != 1 || ctx->input(2).shape() != bt.shape() ||
        ctx->input(3).shape() != bt.shape()) {
      return ctx->InvalidArg("Expected begin, end, and strides to be 1D equal size tensors, but "
                             "got shapes " + bt.shape().DebugString() + ", " +
                             ctx->input(2).shape().DebugString() + ", and " +
                             ctx->input(3).shape().DebugString() + " instead.");
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> begin, IntValues(ctx->input(1)));
    ASSIGN_OR_RETURN(std::vector<int64_t> end, IntValues(ctx->input(2)));
    ASSIGN_OR_RETURN(std::vector<int64_t> stride, IntValues(ctx->input(3)));
    const int sparse_n = static_cast<int>(begin.size());
    if (sparse_n > 64) return ctx->InvalidArg("slice spec has more than 64 entries");
    auto bit = [](int64_t mask, int i) { return i < 63 && ((mask >> i) & 1) != 0; };
    // Unsigned: a mask of INT32_MIN must not overflow the "- 1".
    const uint32_t ellipsis_bits = static_cast<uint32_t>(ellipsis_mask_);
    if (ellipsis_bits & (ellipsis_bits - 1)) {
      return ctx->InvalidArg("Multiple ellipses in slice spec not allowed");
    }

    // Expand the sparse spec to one entry per input dim. Without an explicit
    // ellipsis there is an implicit one at the end.
    struct Dense {
      int64_t begin = 0, end = 0, stride = 1;
      bool begin_full = true, end_full = true, shrink = false;
    };
    const int rank = x.rank();
    std::vector<Dense> dense(rank);
    constexpr int kNewAxis = -1;
    std::vector<int> final_dims;  // dense index, or kNewAxis; shrunk dims are absent
    bool has_ellipsis = ellipsis_mask_ != 0;
    int num_new_axis = 0;
    for (int i = 0; i < sparse_n; ++i) num_new_axis += bit(new_axis_mask_, i) ? 1 : 0;
    int full = 0;
    auto fill_full = [&](int upto) {
      for (; full < upto; ++full) final_dims.push_back(full);  // whole dim, defaults
    };
    for (int i = 0; i < sparse_n; ++i) {
      if (bit(ellipsis_mask_, i)) {
        int new_after = 0;
        for (int j = i + 1; j < sparse_n; ++j) new_after += bit(new_axis_mask_, j) ? 1 : 0;
        // Dims left for the entries after the ellipsis (new axes consume none).
        const int after = sparse_n - 1 - i - new_after;
        fill_full(std::min(rank, std::max(full, rank - after)));
      } else if (bit(new_axis_mask_, i)) {
        final_dims.push_back(kNewAxis);
      } else {
        if (full >= rank) {
          return ctx->InvalidArg("Index out of range using input dim " + std::to_string(full) +
                                 "; input has only " + std::to_string(rank) + " dims");
        }
        Dense& d = dense[full];
        d.begin = begin[i];
        d.end = end[i];
        d.stride = stride[i];
        d.begin_full = bit(begin_mask_, i);
        d.end_full = bit(end_mask_, i);
        d.shrink = bit(shrink_axis_mask_, i);
        if (!d.shrink) final_dims.push_back(full);
        ++full;
      }
    }
    if (!has_ellipsis) fill_full(rank);
    (void)num_new_axis;

    // Resolve each dim to (start, stride, length).
    const std::vector<int64_t> in_strides = RowMajorStrides(x.shape().dims());
    std::vector<int64_t> lengths(rank), copy_strides(rank);
    int64_t base = 0;
    bool empty = false;
    for (int d = 0; d < rank; ++d) {
      const Dense& s = dense[d];
      const int64_t n = x.dim(d);
      if (s.stride == 0) return ctx->InvalidArg("strides[" + std::to_string(d) + "] must be non-zero");
      int64_t start, length;
      if (s.shrink) {
        start = s.begin < 0 ? s.begin + n : s.begin;
        if (start < 0 || start >= n) {
          return ctx->InvalidArg("slice index " + std::to_string(s.begin) + " of dimension " +
                                 std::to_string(d) + " out of bounds.");
        }
        length = 1;
      } else {
        const bool fwd = s.stride > 0;
        // Clamp to [0, n] going forward, [-1, n-1] going backward.
        const int64_t lo = fwd ? 0 : -1, hi = fwd ? n : n - 1;
        auto resolve = [&](int64_t v, bool full_range, bool is_begin) {
          if (full_range) return is_begin == fwd ? lo : hi;
          if (v < 0) v += n;
          return std::clamp(v, lo, hi);
        };
        start = resolve(s.begin, s.begin_full, true);
        const int64_t stop = resolve(s.end, s.end_full, false);
        const int64_t span = fwd ? stop - start : start - stop;
        const int64_t step = fwd ? s.stride : -s.stride;
        length = span <= 0 ? 0 : (span + step - 1) / step;
      }
      lengths[d] = length;
      if (length == 0) empty = true;
      copy_strides[d] = (s.shrink ? 1 : s.stride) * in_strides[d];
      base += start * in_strides[d];
    }
    std::vector<int64_t> out_dims;
    for (int f : final_dims) out_dims.push_back(f == kNewAxis ? 1 : lengths[f]);
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(out_dims));
    if (empty) base = 0;
    return CopyView(ctx, x, lengths, copy_strides, base, shape);
  }

 private:
  // int32 as TensorFlow reads them: a mask beyond int32 fails construction.
  int32_t begin_mask_ = 0, end_mask_ = 0, ellipsis_mask_ = 0, new_axis_mask_ = 0,
          shrink_axis_mask_ = 0;
};

class TileKernel : public OpKernel {
 public:
  TileKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor x = ctx->input(0), m_t = ctx->input(1);
    const int rank = x.rank();
    if (m_t.rank() != 1 || m_t.num_elements() != rank) {
      return ctx->InvalidArg("Expected multiples argument to be a vector of length " +
                             std::to_string(rank) + " but got length " +
                             std::to_string(m_t.num_elements()));
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> mult, IntValues(m_t));
    std::vector<int64_t> dims(rank);
    for (int d = 0; d < rank; ++d) {
      if (mult[d] < 0) {
        return ctx->InvalidArg("Expected multiples[" + std::to_string(d) + "] >= 0, but got " +
                               std::to_string(mult[d]));
      }
      if (!CheckedMul(x.dim(d), mult[d], &dims[d])) {
        return ctx->InvalidArg("Tile output dimension " + std::to_string(d) + " overflows int64");
      }
    }
    auto shape = ShapeFrom(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    Tensor* out = ctx->allocate_output(0, x.dtype(), *shape);
    const int64_t n = out->num_elements();
    if (n == 0) return Status();
    const std::vector<int64_t> in_strides = RowMajorStrides(x.shape().dims());
    return VisitBySize(x.dtype(), [&](auto tag) -> Status {
      using E = decltype(tag);
      const E* in = static_cast<const E*>(x.raw_data());
      E* y = static_cast<E*>(out->raw_data());
      if (rank == 0) {
        y[0] = in[0];
        return Status();
      }
      // Odometer over the output; each coordinate wraps modulo the input dim.
      std::vector<int64_t> coord(rank, 0), in_coord(rank, 0);
      int64_t off = 0;
      for (int64_t i = 0; i < n; ++i) {
        y[i] = in[off];
        for (int d = rank - 1; d >= 0; --d) {
          ++coord[d];
          if (++in_coord[d] == x.dim(d)) {
            off -= (in_coord[d] - 1) * in_strides[d];
            in_coord[d] = 0;
          } else {
            off += in_strides[d];
          }
          if (coord[d] < dims[d]) break;
          coord[d] = 0;
          off -= in_coord[d] * in_strides[d];
          in_coord[d] = 0;
        }
      }
      return Status();
    });
  }
};

REGISTER_KERNEL("Slice", SliceKernel);
REGISTER_KERNEL("StridedSlice", StridedSliceKernel);
REGISTER_KERNEL("Tile", TileKernel);

}  // namespace
}  // namespace savedmodel::kernels
