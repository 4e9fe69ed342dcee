// MatMul and BatchMatMul(V2).
//   MatMul:        a: [m, k] (or [k, m] with transpose_a), b: [k, n] (or [n, k]) -> [m, n]
//   BatchMatMulV2: x: [..., m, k], y: [..., k, n] (adj_x / adj_y swap the last two
//                  dims, conjugating complex values); batch dims broadcast -> [..., m, n]
// float goes through Sgemm (kernels/math/gemm.h: oneDNN, split across the
// pool); double and complex use Eigen's GEMM on row ranges of the output
// (Eigen itself runs single-threaded here); other types use a plain i-k-j
// loop in Calc<T>.
#include <Eigen/Core>

#include <complex>
#include <string>
#include <vector>

#include "savedmodel/base/thread_pool.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/typed_kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/matmul_shape.h"
#include "savedmodel/kernels/math/gemm.h"
#include "savedmodel/kernels/math/numeric.h"

namespace savedmodel::kernels {
namespace {

template <typename T>
inline constexpr bool kMatMulType = kIsReal<T> || kIsComplex<T>;

// Rows of output per thread chunk: enough multiply-adds to beat the hand-off.
int64_t MinRows(int64_t k, int64_t n) {
  const int64_t work_per_row = std::max<int64_t>(1, k * n);
  // Waking a worker costs tens of microseconds; a chunk must carry about a
  // millisecond of multiply-adds (measured on the tutorial's 100x784x10 products).
  return std::max<int64_t>(1, (2 * 1024 * 1024) / work_per_row);
}

// c[m, n] = op(a) * op(b), where a is stored [m, k] or [k, m] (ta) and b is
// stored [k, n] or [n, k] (tb). Conjugates when `conj` for adjoint inputs.
template <typename T>
void Gemm(ThreadPool* pool, const T* a, const T* b, T* c, int64_t m, int64_t k, int64_t n,
          bool ta, bool tb, bool conj_a, bool conj_b) {
  if constexpr (std::is_same_v<T, float>) {
    (void)conj_a, (void)conj_b;  // real: the adjoint is the transpose
    Sgemm(pool, ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
  } else if constexpr (std::is_same_v<T, double> || kIsComplex<T>) {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const Mat> A(a, ta ? k : m, ta ? m : k);
    Eigen::Map<const Mat> B(b, tb ? n : k, tb ? k : n);
    Eigen::Map<Mat> C(c, m, n);
    ParallelFor(pool, m, MinRows(k, n), [&](int64_t r0, int64_t r1) {
      const int64_t rows = r1 - r0;
      auto lhs = [&]() -> Mat {
        // The row block of op(a); copies only when transposed, which is small
        // next to the product itself.
        if (ta) {
          Mat t = A.middleCols(r0, rows).transpose();
          if (conj_a) t = t.conjugate();
          return t;
        }
        Mat t = A.middleRows(r0, rows);
        if (conj_a) t = t.conjugate();
        return t;
      };
      auto out = C.middleRows(r0, rows);
      if (!ta && !conj_a) {
        if (!tb) out.noalias() = A.middleRows(r0, rows) * B;
        else if (!conj_b) out.noalias() = A.middleRows(r0, rows) * B.transpose();
        else out.noalias() = A.middleRows(r0, rows) * B.adjoint();
      } else if (ta && !conj_a) {
        // Eigen reads a transposed block in place; no copy needed.
        auto at = A.middleCols(r0, rows).transpose();
        if (!tb) out.noalias() = at * B;
        else if (!conj_b) out.noalias() = at * B.transpose();
        else out.noalias() = at * B.adjoint();
      } else {
        Mat l = lhs();
        if (!tb) out.noalias() = l * B;
        else if (!conj_b) out.noalias() = l * B.transpose();
        else out.noalias() = l * B.adjoint();
      }
    });
  } else {
    using C = Calc<T>;
    ParallelFor(pool, m, MinRows(k, n), [&](int64_t r0, int64_t r1) {
      std::vector<C> row(n);
      for (int64_t i = r0; i < r1; ++i) {
        std::fill(row.begin(), row.end(), C(0));
        for (int64_t p = 0; p < k; ++p) {
          const C av = ToCalc(ta ? a[p * m + i] : a[i * k + p]);
          for (int64_t j = 0; j < n; ++j) {
            const C bv = ToCalc(tb ? b[j * k + p] : b[p * n + j]);
            row[j] = WrapAdd(row[j], WrapMul(av, bv));
          }
        }
        for (int64_t j = 0; j < n; ++j) c[i * n + j] = FromCalc<T>(row[j]);
      }
    });
  }
}

class MatMulKernel : public TypedKernel<MatMulKernel> {
  friend class TypedKernel<MatMulKernel>;

 public:
  MatMulKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("transpose_a", &ta_);
    if (s->ok()) *s = c.GetAttr("transpose_b", &tb_);
    if (s->ok()) *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kMatMulType<T>;
    });
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor &a = ctx->input(0), &b = ctx->input(1);  // by reference: a copy allocates its shape
    ASSIGN_OR_RETURN(const MatMulDims d, MatMulShape(*ctx, a, b, ta_, tb_));
    const int64_t m = d.m, k = d.k, n = d.n;
    const TensorShape& shape = d.out;
    // Every path writes every element (k == 0 too: the empty sum is 0).
    Tensor* out = ctx->allocate_output_uninitialized(0, a.dtype(), shape);
    if (shape.num_elements() == 0) return Status();
    Gemm<T>(ctx->pool(), a.flat<T>().data(), b.flat<T>().data(), out->flat<T>().data(), m, k, n,
            ta_, tb_, false, false);
    return Status();
  }

 private:
  bool ta_ = false, tb_ = false;
};

class BatchMatMulKernel : public TypedKernel<BatchMatMulKernel> {
  friend class TypedKernel<BatchMatMulKernel>;

 public:
  BatchMatMulKernel(const OpKernelConstruction& c, Status* s) : v1_(c.node().op() == "BatchMatMul") {
    *s = c.GetAttr("adj_x", &adj_x_);
    if (s->ok()) *s = c.GetAttr("adj_y", &adj_y_);
    if (s->ok()) *s = this->SelectRun(c, c.input_types()[0], [](auto t) {
      using T = typename decltype(t)::type;
      return kMatMulType<T>;
    });
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor x = ctx->input(0), y = ctx->input(1);
    if (x.rank() < 2 || y.rank() < 2) {
      return ctx->InvalidArg("In[0] and In[1] must have rank >= 2, got shapes " +
                             x.shape().DebugString() + " and " + y.shape().DebugString());
    }
    const int rx = x.rank(), ry = y.rank();
    const int64_t m = x.dim(adj_x_ ? rx - 1 : rx - 2), k = x.dim(adj_x_ ? rx - 2 : rx - 1);
    const int64_t ky = y.dim(adj_y_ ? ry - 1 : ry - 2), n = y.dim(adj_y_ ? ry - 2 : ry - 1);
    if (k != ky) {
      return ctx->InvalidArg("Matrix size-incompatible: In[0]: " + x.shape().DebugString() +
                             ", In[1]: " + y.shape().DebugString());
    }
    std::vector<int64_t> xb(x.shape().dims().begin(), x.shape().dims().end() - 2);
    std::vector<int64_t> yb(y.shape().dims().begin(), y.shape().dims().end() - 2);
    if (v1_ && xb != yb) {
      return ctx->InvalidArg("In[0] and In[1] must have the same batch dims: " +
                             x.shape().DebugString() + " vs. " + y.shape().DebugString());
    }
    ASSIGN_OR_RETURN(TensorShape xbs, TensorShape::FromDims(xb));
    ASSIGN_OR_RETURN(TensorShape ybs, TensorShape::FromDims(yb));
    auto plan = MakeBroadcastPlan({xbs, ybs});
    if (!plan.ok()) return ctx->InvalidArg(plan.status().message());
    std::vector<int64_t> out_dims = plan->out_shape.dims();
    out_dims.push_back(m);
    out_dims.push_back(n);
    ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(out_dims));
    Tensor* out = ctx->allocate_output_uninitialized(0, x.dtype(), out_shape);
    if (out_shape.num_elements() == 0) return Status();
    const T* xs = x.flat<T>().data();
    const T* ys = y.flat<T>().data();
    T* zs = out->flat<T>().data();
    const bool cx = adj_x_ && kIsComplex<T>, cy = adj_y_ && kIsComplex<T>;
    ForEachBroadcast(*plan, 0, plan->out_shape.num_elements(), [&](int64_t i, const auto& off) {
      Gemm<T>(ctx->pool(), xs + off[0] * m * k, ys + off[1] * k * n, zs + i * m * n, m, k, n,
              adj_x_, adj_y_, cx, cy);
    });
    return Status();
  }

 private:
  bool v1_;
  bool adj_x_ = false, adj_y_ = false;
};

REGISTER_KERNEL("MatMul", MatMulKernel);
REGISTER_KERNEL("BatchMatMul", BatchMatMulKernel);
REGISTER_KERNEL("BatchMatMulV2", BatchMatMulKernel);

}  // namespace
}  // namespace savedmodel::kernels
