// StringFormat(inputs: list of tensors) -> string scalar: `template` with each
// `placeholder` replaced by the next input summarized as tf.print shows it
// (TensorSummarizeV2, at most `summarize` entries at each end of each axis).
#include <string>
#include <vector>

#include "savedmodel/core/tensor_format.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {
namespace {

class StringFormatKernel : public OpKernel {
 public:
  StringFormatKernel(const OpKernelConstruction& c, Status* s) {
    std::string templ, placeholder;
    *s = c.GetAttr("template", &templ);
    if (s->ok()) *s = c.GetAttr("placeholder", &placeholder);
    if (s->ok()) *s = c.GetAttr("summarize", &summarize_);
    if (!s->ok()) return;
    if (placeholder.empty()) {
      *s = c.Error("placeholder must not be empty");
      return;
    }
    size_t start = 0;
    for (size_t at; (at = templ.find(placeholder, start)) != std::string::npos;
         start = at + placeholder.size()) {
      pieces_.push_back(templ.substr(start, at - start));
    }
    pieces_.push_back(templ.substr(start));
    const size_t placeholders = pieces_.size() - 1;
    if (placeholders != c.input_types().size()) {
      *s = c.Error("num placeholders in template and num inputs must match: " +
                   std::to_string(placeholders) + " vs. " + std::to_string(c.input_types().size()));
    }
  }

  Status Compute(OpKernelContext* ctx) const override {
    std::string out;
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      out += pieces_[static_cast<size_t>(i)];
      out += TensorSummarizeV2(ctx->input(i), summarize_);
    }
    out += pieces_.back();
    ctx->allocate_output(0, DT_STRING, TensorShape{})->scalar<std::string>() = std::move(out);
    return Status::OK();
  }

 private:
  std::vector<std::string> pieces_;  // the template split at each placeholder
  int64_t summarize_ = 3;
};
REGISTER_KERNEL("StringFormat", StringFormatKernel);

}  // namespace
}  // namespace savedmodel::kernels
