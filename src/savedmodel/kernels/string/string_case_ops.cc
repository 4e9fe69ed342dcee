// StringLower / StringUpper with encoding "" (bytes: ASCII letters change,
// every other byte is kept, as TensorFlow does without ICU), and StringLength
// in bytes (unit "BYTE") or UTF-8 characters (unit "UTF8_CHAR": bytes that
// are not continuation bytes 10xxxxxx, TensorFlow's count).
#include <string>

#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {
namespace {

template <bool kUpper>
class CaseKernel : public OpKernel {
 public:
  CaseKernel(const OpKernelConstruction& c, Status* s) {
    std::string encoding;
    *s = c.GetAttr("encoding", &encoding);
    if (s->ok() && !encoding.empty()) {
      *s = Unimplemented("node '" + c.name() + "': " + c.node().op() + " with encoding '" + encoding +
                         "' (only the default byte-wise encoding is supported)");
    }
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, DT_STRING, in.shape());
    auto src = in.flat<std::string>();
    auto dst = out->flat<std::string>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      std::string s = src[i];
      for (char& ch : s) {
        if (kUpper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        if (!kUpper && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      }
      dst[i] = std::move(s);
    }
    return Status::OK();
  }
};
REGISTER_KERNEL("StringLower", CaseKernel<false>);
REGISTER_KERNEL("StringUpper", CaseKernel<true>);

class StringLengthKernel : public OpKernel {
 public:
  StringLengthKernel(const OpKernelConstruction& c, Status* s) {
    std::string unit = "BYTE";
    if (c.HasAttr("unit")) *s = c.GetAttr("unit", &unit);
    if (s->ok() && unit != "BYTE" && unit != "UTF8_CHAR") *s = c.Error("unknown unit '" + unit + "'");
    chars_ = unit == "UTF8_CHAR";
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, DT_INT32, in.shape());
    auto src = in.flat<std::string>();
    auto dst = out->flat<int32_t>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      int64_t n = static_cast<int64_t>(src[i].size());
      if (chars_) {
        n = 0;
        for (unsigned char ch : src[i]) n += (ch & 0xC0) != 0x80;
      }
      dst[i] = static_cast<int32_t>(n);
    }
    return Status::OK();
  }

 private:
  bool chars_ = false;
};
REGISTER_KERNEL("StringLength", StringLengthKernel);

}  // namespace
}  // namespace savedmodel::kernels
