// Einsum(inputs: N tensors, 1 or 2), attr equation "ab,bc->ac".
// Each input is labelled one letter per dim; labels shared between inputs
// are multiplied, labels missing from the output are summed over, a label
// repeated within one input takes its diagonal. "..." stands for the same
// broadcast dims in every operand (aligned from the right, size-1 dims
// broadcast). Without "->" the output is the labels that appear once, in
// alphabetical order, after the ellipsis dims, as numpy and TensorFlow do.
//
// A direct loop over every label combination: simple and exact, the
// reference a faster contraction would be tested against.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "savedmodel/core/checked_math.h"
#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

// The most multiply-adds one run of the direct loop may take (seconds, not hours).
constexpr int64_t kMaxSteps = int64_t{1} << 34;

// Labels are letters; ellipsis dims get labels 0..k-1, below any letter.
using Labels = std::vector<int>;

StatusOr<std::pair<Labels, bool>> ParseTerm(const std::string& term) {
  Labels out;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    const char ch = term[i];
    if (ch == '.') {
      if (ellipsis || term.compare(i, 3, "...") != 0) return InvalidArgument("bad ellipsis in '" + term + "'");
      ellipsis = true;
      out.push_back(-1);  // placeholder, expanded once ranks are known
      i += 2;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      out.push_back(static_cast<unsigned char>(ch));
    } else if (ch != ' ') {
      return InvalidArgument(std::string("invalid character '") + ch + "' in einsum term '" + term + "'");
    }
  }
  return std::make_pair(out, ellipsis);
}

// Replaces the -1 placeholder by `n` ellipsis labels (the last n of kMaxEll).
Labels Expand(const Labels& l, int n, int max_ell) {
  Labels out;
  for (int x : l) {
    if (x != -1) {
      out.push_back(x);
    } else {
      for (int k = max_ell - n; k < max_ell; ++k) out.push_back(k);
    }
  }
  return out;
}

class EinsumKernel : public TypedKernel<EinsumKernel> {
  friend class TypedKernel<EinsumKernel>;

 public:
  EinsumKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("equation", &equation_);
    if (!s->ok()) return;
    const size_t arrow = equation_.find("->");
    const std::string lhs = equation_.substr(0, arrow);
    has_output_ = arrow != std::string::npos;
    if (has_output_) {
      auto out = ParseTerm(equation_.substr(arrow + 2));
      if (!out.ok()) {
        *s = c.Error(out.status().message());
        return;
      }
      output_ = out->first;
    }
    size_t start = 0;
    for (;;) {
      const size_t comma = lhs.find(',', start);
      auto t = ParseTerm(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!t.ok()) {
        *s = c.Error(t.status().message());
        return;
      }
      inputs_.push_back(t->first);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (inputs_.size() != c.input_types().size()) {
      *s = c.Error("equation '" + equation_ + "' has " + std::to_string(inputs_.size()) + " operands, the node " +
                   std::to_string(c.input_types().size()));
      return;
    }
    *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsNumber<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const int n = ctx->num_inputs();
    // Ellipsis dims per input: its rank minus its lettered labels.
    std::vector<int> ell(n, 0);
    int max_ell = 0;
    for (int i = 0; i < n; ++i) {
      const Tensor& x = ctx->input(i);
      const int letters = static_cast<int>(std::count_if(inputs_[i].begin(), inputs_[i].end(), [](int l) { return l != -1; }));
      const bool has_ell = std::count(inputs_[i].begin(), inputs_[i].end(), -1) > 0;
      ell[i] = x.rank() - letters;
      if ((!has_ell && ell[i] != 0) || ell[i] < 0) {
        return ctx->InvalidArg("input " + std::to_string(i) + " has rank " + std::to_string(x.rank()) +
                               ", which does not match '" + equation_ + "'");
      }
      max_ell = std::max(max_ell, ell[i]);
    }
    // Sizes per label; ellipsis dims broadcast (size 1 against size k).
    std::map<int, int64_t> size;
    std::vector<Labels> in_labels(n);
    for (int i = 0; i < n; ++i) {
      in_labels[i] = Expand(inputs_[i], ell[i], max_ell);
      const Tensor& x = ctx->input(i);
      for (int d = 0; d < x.rank(); ++d) {
        const int l = in_labels[i][d];
        auto [it, fresh] = size.emplace(l, x.dim(d));
        if (fresh || it->second == x.dim(d)) continue;
        if (l < max_ell && (it->second == 1 || x.dim(d) == 1)) {
          it->second = std::max(it->second, x.dim(d));
          continue;
        }
        return ctx->InvalidArg("Expected dimension " + std::to_string(it->second) + " at axis " + std::to_string(d) +
                               " of input " + std::to_string(i) + ", but got dimension " + std::to_string(x.dim(d)));
      }
    }
    Labels out_labels;
    if (has_output_) {
      out_labels = Expand(output_, max_ell, max_ell);
      if (std::count(output_.begin(), output_.end(), -1) == 0 && max_ell > 0) {
        return ctx->InvalidArg("output subscripts lack the ellipsis of the inputs in '" + equation_ + "'");
      }
    } else {
      std::map<int, int> count;
      for (const auto& l : in_labels)
        for (int x : l) ++count[x];
      for (int k = 0; k < max_ell; ++k) out_labels.push_back(k);
      for (const auto& [l, c] : count)
        if (l >= max_ell && c == 1) out_labels.push_back(l);
    }
    for (size_t a = 0; a < out_labels.size(); ++a) {
      if (!size.count(out_labels[a])) {
        return ctx->InvalidArg("output label '" + std::string(1, static_cast<char>(out_labels[a])) +
                               "' is not in any input of '" + equation_ + "'");
      }
      for (size_t b = a + 1; b < out_labels.size(); ++b) {
        if (out_labels[a] == out_labels[b]) return ctx->InvalidArg("repeated output label in '" + equation_ + "'");
      }
    }
    // Loop order: output labels, then the summed ones.
    Labels all = out_labels;
    for (const auto& [l, sz] : size)
      if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(l);
    std::vector<int64_t> dims;
    for (int l : out_labels) dims.push_back(size[l]);
    ASSIGN_OR_RETURN(TensorShape shape, ShapeFrom(dims));
    Tensor* out = ctx->allocate_output(0, ctx->input(0).dtype(), shape);
    // Stride of each loop label in each input (0 where absent or broadcast).
    std::vector<std::vector<int64_t>> stride(n, std::vector<int64_t>(all.size(), 0));
    for (int i = 0; i < n; ++i) {
      const Tensor& x = ctx->input(i);
      int64_t st = 1;
      for (int d = x.rank() - 1; d >= 0; --d) {
        const size_t k = std::find(all.begin(), all.end(), in_labels[i][d]) - all.begin();
        if (x.dim(d) != 1 || size[all[k]] == 1) stride[i][k] += st;
        st *= x.dim(d);
      }
    }
    const size_t n_out = out_labels.size();
    // The loop visits every label combination once; refuse what would run for
    // hours rather than hang (`ab,cd->` of two 10^4 x 10^4 inputs is 10^16).
    int64_t inner = 1, steps = out->num_elements();
    for (size_t k = n_out; k < all.size(); ++k) {
      if (!CheckedMul(inner, size[all[k]], &inner) || !CheckedMul(steps, size[all[k]], &steps) ||
          steps > kMaxSteps) {
        return ResourceExhausted("node '" + ctx->node().name() + "': einsum '" + equation_ +
                                 "' needs more than " + std::to_string(kMaxSteps) +
                                 " multiply-adds, the limit of this kernel");
      }
    }
    using C = Calc<T>;
    T* y = out->flat<T>().data();
    std::vector<const T*> xs(n);
    for (int i = 0; i < n; ++i) xs[i] = ctx->input(i).flat<T>().data();
    std::vector<int64_t> idx(all.size(), 0);
    for (int64_t o = 0; o < out->num_elements(); ++o) {
      // Decode o into the output label indices (row-major).
      int64_t rem = o;
      for (size_t k = n_out; k-- > 0;) {
        idx[k] = rem % size[all[k]];
        rem /= size[all[k]];
      }
      C acc = C(0);
      for (int64_t j = 0; j < inner; ++j) {
        int64_t r = j;
        for (size_t k = all.size(); k-- > n_out;) {
          idx[k] = r % size[all[k]];
          r /= size[all[k]];
        }
        C prod = C(1);
        for (int i = 0; i < n; ++i) {
          int64_t off = 0;
          for (size_t k = 0; k < all.size(); ++k) off += idx[k] * stride[i][k];
          prod = prod * ToCalc(xs[i][off]);
        }
        acc = acc + prod;
      }
      y[o] = FromCalc<T>(acc);
    }
    return Status::OK();
  }

  std::string equation_;
  std::vector<Labels> inputs_;
  Labels output_;
  bool has_output_ = false;
};
REGISTER_KERNEL("Einsum", EinsumKernel);

}  // namespace
}  // namespace savedmodel::kernels
