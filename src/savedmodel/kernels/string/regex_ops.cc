// StaticRegexFullMatch / StaticRegexReplace: a pattern fixed at load time.
// TensorFlow uses RE2; std::regex (ECMAScript) agrees on the patterns graphs
// use in practice (savers' "^s3://.*", Keras' punctuation stripping).
#include <regex>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

StatusOr<std::regex> Compile(const OpKernelConstruction& c, const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return c.Error("invalid pattern '" + pattern + "': " + e.what());
  }
}

class FullMatchKernel : public OpKernel {
 public:
  FullMatchKernel(const OpKernelConstruction& c, Status* s) {
    std::string pattern;
    *s = c.GetAttr("pattern", &pattern);
    if (!s->ok()) return;
    auto re = Compile(c, pattern);
    if (!re.ok()) {
      *s = re.status();
      return;
    }
    re_ = std::move(re).value();
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, DT_BOOL, in.shape());
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      out->flat<bool>()[i] = std::regex_match(in.flat<std::string>()[i], re_);
    }
    return Status::OK();
  }

 private:
  std::regex re_;
};
REGISTER_KERNEL("StaticRegexFullMatch", FullMatchKernel);

class ReplaceKernel : public OpKernel {
 public:
  ReplaceKernel(const OpKernelConstruction& c, Status* s) {
    std::string pattern;
    *s = c.GetAttr("pattern", &pattern);
    if (s->ok()) *s = c.GetAttr("rewrite", &rewrite_);
    if (s->ok()) *s = c.GetAttr("replace_global", &global_);
    if (!s->ok()) return;
    auto re = Compile(c, pattern);
    if (!re.ok()) {
      *s = re.status();
      return;
    }
    re_ = std::move(re).value();
    // RE2 writes group references as \1; std::regex as $1.
    std::string fmt;
    for (size_t i = 0; i < rewrite_.size(); ++i) {
      if (rewrite_[i] == '\\' && i + 1 < rewrite_.size() && std::isdigit(static_cast<unsigned char>(rewrite_[i + 1]))) {
        fmt += '$';
      } else if (rewrite_[i] == '$') {
        fmt += "$$";
      } else {
        fmt += rewrite_[i];
      }
    }
    rewrite_ = fmt;
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, DT_STRING, in.shape());
    auto flags = global_ ? std::regex_constants::format_default : std::regex_constants::format_first_only;
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      out->flat<std::string>()[i] = std::regex_replace(in.flat<std::string>()[i], re_, rewrite_, flags);
    }
    return Status::OK();
  }

 private:
  std::regex re_;
  std::string rewrite_;
  bool global_ = true;
};
REGISTER_KERNEL("StaticRegexReplace", ReplaceKernel);

}  // namespace
}  // namespace savedmodel
