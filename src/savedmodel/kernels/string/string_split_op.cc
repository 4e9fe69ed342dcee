// StringSplitV2(input [n], sep []) -> a sparse [n, max_tokens] matrix of
// tokens: indices [k, 2] (row, column), values [k], dense shape [2].
// Python's str.split semantics, as TensorFlow implements them:
//   sep "": split on runs of ASCII whitespace, ignoring leading and trailing
//           runs (an all-blank string has no tokens);
//   sep given: split at every occurrence, keeping empty tokens (an empty
//           string is one empty token).
// maxsplit > 0 stops after that many splits and keeps the rest as the last
// token; 0 keeps each string whole.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

void SkipSpace(std::string_view* s) {
  size_t i = 0;
  while (i < s->size() && IsSpace((*s)[i])) ++i;
  s->remove_prefix(i);
}

void Split(std::string_view text, std::string_view sep, int64_t maxsplit, std::vector<std::string_view>* out) {
  if (maxsplit == 0) {
    out->push_back(text);
    return;
  }
  int64_t splits = 0;
  if (sep.empty()) {
    SkipSpace(&text);
    while (!text.empty()) {
      size_t n = 0;
      while (n < text.size() && !IsSpace(text[n])) ++n;
      out->push_back(text.substr(0, n));
      text.remove_prefix(n);
      SkipSpace(&text);
      if (maxsplit > 0 && ++splits == maxsplit) {
        out->push_back(text);
        return;
      }
    }
    return;
  }
  for (size_t at = text.find(sep); at != std::string_view::npos; at = text.find(sep)) {
    out->push_back(text.substr(0, at));
    text.remove_prefix(at + sep.size());
    if (maxsplit > 0 && ++splits == maxsplit) break;
  }
  out->push_back(text);
}

class StringSplitV2Kernel : public OpKernel {
 public:
  StringSplitV2Kernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("maxsplit", &maxsplit_); }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor input = ctx->input(0), sep_t = ctx->input(1);
    if (input.rank() != 1) return ctx->InvalidArg("input must be a vector, got shape: " + input.shape().DebugString());
    if (sep_t.rank() != 0) return ctx->InvalidArg("sep must be a scalar, got shape: " + sep_t.shape().DebugString());
    const std::string_view sep = sep_t.scalar<std::string>();
    auto in = input.flat<std::string>();
    std::vector<std::string_view> tokens;
    std::vector<int64_t> row_ends;  // tokens' end offset per row
    int64_t widest = 0;
    for (const std::string& s : in) {
      const size_t before = tokens.size();
      Split(s, sep, maxsplit_, &tokens);
      widest = std::max<int64_t>(widest, static_cast<int64_t>(tokens.size() - before));
      row_ends.push_back(static_cast<int64_t>(tokens.size()));
    }
    const int64_t n = static_cast<int64_t>(tokens.size());
    auto* indices = ctx->allocate_output(0, DT_INT64, TensorShape{n, 2});
    auto* values = ctx->allocate_output(1, DT_STRING, TensorShape{n});
    auto* shape = ctx->allocate_output(2, DT_INT64, TensorShape{2});
    auto idx = indices->flat<int64_t>();
    auto val = values->flat<std::string>();
    int64_t k = 0;
    for (int64_t row = 0; row < static_cast<int64_t>(row_ends.size()); ++row) {
      for (int64_t col = 0; k < row_ends[row]; ++k, ++col) {
        idx[2 * k] = row, idx[2 * k + 1] = col;
        val[k] = std::string(tokens[k]);
      }
    }
    shape->flat<int64_t>()[0] = input.dim(0);
    shape->flat<int64_t>()[1] = widest;
    return Status::OK();
  }

 private:
  int64_t maxsplit_ = -1;
};
REGISTER_KERNEL("StringSplitV2", StringSplitV2Kernel);

}  // namespace
}  // namespace savedmodel::kernels
