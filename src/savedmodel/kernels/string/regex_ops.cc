// Regular expressions with RE2, as TensorFlow uses: linear time in the input
// (no catastrophic backtracking on hostile strings) and RE2's syntax, which
// graphs are written for (\1 in rewrites, (?i) flags, no backreferences).
//
//   StaticRegexFullMatch(input)            pattern attr  -> bool, input's shape
//   RegexFullMatch(input, pattern)         pattern scalar -> bool, input's shape
//   StaticRegexReplace(input)              pattern/rewrite attrs -> string
//   RegexReplace(input, pattern, rewrite)  scalars -> string
#include <memory>

#include <re2/re2.h>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel {
namespace {

StatusOr<std::unique_ptr<RE2>> Compile(const std::string& pattern) {
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) {
    return InvalidArgument("Invalid pattern: " + pattern + ", error: " + re->error());
  }
  return re;
}

Status CheckRewrite(const RE2& re, const std::string& rewrite) {
  std::string error;
  if (!re.CheckRewriteString(rewrite, &error)) {
    return InvalidArgument("Invalid rewrite pattern: " + rewrite + ", error: " + error);
  }
  return Status::OK();
}

void FullMatch(const RE2& re, const Tensor& in, Tensor* out) {
  auto src = in.flat<std::string>();
  auto dst = out->flat<bool>();
  for (int64_t i = 0; i < in.num_elements(); ++i) dst[i] = RE2::FullMatch(src[i], re);
}

void Replace(const RE2& re, const std::string& rewrite, bool global, const Tensor& in, Tensor* out) {
  auto src = in.flat<std::string>();
  auto dst = out->flat<std::string>();
  for (int64_t i = 0; i < in.num_elements(); ++i) {
    dst[i] = src[i];
    if (global) {
      RE2::GlobalReplace(&dst[i], re, rewrite);
    } else {
      RE2::Replace(&dst[i], re, rewrite);
    }
  }
}

StatusOr<std::string> ScalarString(OpKernelContext* ctx, int index, const char* what) {
  Tensor t = ctx->input(index);
  if (t.rank() != 0) return ctx->Error(std::string(what) + " must be a scalar, got shape " + t.shape().DebugString());
  return t.scalar<std::string>();
}

class StaticFullMatchKernel : public OpKernel {
 public:
  StaticFullMatchKernel(const OpKernelConstruction& c, Status* s) {
    std::string pattern;
    *s = c.GetAttr("pattern", &pattern);
    if (!s->ok()) return;
    auto re = Compile(pattern);
    if (!re.ok()) {
      *s = c.Error(re.status().message());
      return;
    }
    re_ = std::move(re).value();
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0);
    FullMatch(*re_, in, ctx->allocate_output(0, DT_BOOL, in.shape()));
    return Status::OK();
  }

 private:
  std::unique_ptr<RE2> re_;
};
REGISTER_KERNEL("StaticRegexFullMatch", StaticFullMatchKernel);

class FullMatchKernel : public OpKernel {
 public:
  FullMatchKernel(const OpKernelConstruction&, Status*) {}
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string pattern, ScalarString(ctx, 1, "pattern"));
    auto re = Compile(pattern);
    if (!re.ok()) return ctx->Error(re.status().message());
    Tensor in = ctx->input(0);
    FullMatch(**re, in, ctx->allocate_output(0, DT_BOOL, in.shape()));
    return Status::OK();
  }
};
REGISTER_KERNEL("RegexFullMatch", FullMatchKernel);

class StaticReplaceKernel : public OpKernel {
 public:
  StaticReplaceKernel(const OpKernelConstruction& c, Status* s) {
    std::string pattern;
    *s = c.GetAttr("pattern", &pattern);
    if (s->ok()) *s = c.GetAttr("rewrite", &rewrite_);
    if (s->ok()) *s = c.GetAttr("replace_global", &global_);
    if (!s->ok()) return;
    auto re = Compile(pattern);
    if (re.ok()) {
      re_ = std::move(re).value();
      *s = CheckRewrite(*re_, rewrite_);
    } else {
      *s = re.status();
    }
    if (!s->ok()) *s = c.Error(s->message());
  }
  Status Compute(OpKernelContext* ctx) const override {
    Tensor in = ctx->input(0);
    Replace(*re_, rewrite_, global_, in, ctx->allocate_output(0, DT_STRING, in.shape()));
    return Status::OK();
  }

 private:
  std::unique_ptr<RE2> re_;
  std::string rewrite_;
  bool global_ = true;
};
REGISTER_KERNEL("StaticRegexReplace", StaticReplaceKernel);

class ReplaceKernel : public OpKernel {
 public:
  ReplaceKernel(const OpKernelConstruction& c, Status* s) { *s = c.GetAttr("replace_global", &global_); }
  Status Compute(OpKernelContext* ctx) const override {
    ASSIGN_OR_RETURN(std::string pattern, ScalarString(ctx, 1, "pattern"));
    ASSIGN_OR_RETURN(std::string rewrite, ScalarString(ctx, 2, "rewrite"));
    auto re = Compile(pattern);
    if (!re.ok()) return ctx->Error(re.status().message());
    // Unlike the static op, TensorFlow does not check this rewrite: one that
    // names a missing group leaves the strings unchanged (RE2's behaviour).
    Tensor in = ctx->input(0);
    Replace(**re, rewrite, global_, in, ctx->allocate_output(0, DT_STRING, in.shape()));
    return Status::OK();
  }

 private:
  bool global_ = true;
};
REGISTER_KERNEL("RegexReplace", ReplaceKernel);

}  // namespace
}  // namespace savedmodel
