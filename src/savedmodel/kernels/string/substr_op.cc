// Substr(input, pos, len) -> input[pos : pos + len] per element, in bytes
// (unit BYTE) or UTF-8 characters (UTF8_CHAR). pos and len have one shape;
// they broadcast against input (the output takes the broadcast shape). A
// negative pos counts from the end; |pos| beyond the string's length is an
// error naming the element; len past the end stops at the end.
#include <string>
#include <string_view>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/broadcast.h"
#include "savedmodel/kernels/math/tensor_util.h"

namespace savedmodel::kernels {
namespace {

// Byte offset of the start of UTF-8 character `chars` in s (a character
// starts at every byte that is not a continuation byte 10xxxxxx).
size_t CharOffset(std::string_view s, int64_t chars) {
  size_t i = 0;
  for (int64_t seen = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == chars) return i;
  }
  return s.size();
}

int64_t CharCount(std::string_view s) {
  int64_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

class SubstrKernel : public OpKernel {
 public:
  SubstrKernel(const OpKernelConstruction& c, Status* s) {
    std::string unit = "BYTE";
    if (c.HasAttr("unit")) *s = c.GetAttr("unit", &unit);
    if (s->ok() && unit != "BYTE" && unit != "UTF8_CHAR") *s = c.Error("unknown unit '" + unit + "'");
    chars_ = unit == "UTF8_CHAR";
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor input = ctx->input(0), pos_t = ctx->input(1), len_t = ctx->input(2);
    if (!(pos_t.shape() == len_t.shape())) {
      return ctx->InvalidArg("pos and len should have the same shape, got: " + pos_t.shape().DebugString() +
                             " vs. " + len_t.shape().DebugString());
    }
    auto out_shape = BroadcastShape(input.shape(), pos_t.shape());
    if (!out_shape.ok()) return ctx->InvalidArg(out_shape.status().message());
    ASSIGN_OR_RETURN(std::vector<int64_t> pos, IntValues(pos_t));
    ASSIGN_OR_RETURN(std::vector<int64_t> len, IntValues(len_t));
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(DT_STRING, *out_shape));
    auto in = input.flat<std::string>();
    auto dst = out.flat<std::string>();
    for (int64_t i = 0; i < out.num_elements(); ++i) {
      const std::string_view s = in[ReferenceBroadcastIndex(input.shape(), *out_shape, i)];
      const int64_t j = ReferenceBroadcastIndex(pos_t.shape(), *out_shape, i);
      int64_t p = pos[j], n = len[j];
      const int64_t size = chars_ ? CharCount(s) : static_cast<int64_t>(s.size());
      if (p > size || p < -size) {
        return ctx->InvalidArg("pos " + std::to_string(p) + " out of range for string b'" + std::string(s) +
                               "' at index " + std::to_string(i));
      }
      if (p < 0) p += size;
      // A negative len reads to the end, as TensorFlow's unsigned length does.
      if (n < 0 || n > size - p) n = size - p;
      if (chars_) {
        const size_t b = CharOffset(s, p), e = CharOffset(s, p + n);
        dst[i] = std::string(s.substr(b, e - b));
      } else {
        dst[i] = std::string(s.substr(static_cast<size_t>(p), static_cast<size_t>(n)));
      }
    }
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

 private:
  bool chars_ = false;
};
REGISTER_KERNEL("Substr", SubstrKernel);

}  // namespace
}  // namespace savedmodel::kernels
