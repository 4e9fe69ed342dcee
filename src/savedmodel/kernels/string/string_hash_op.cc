// StringToHashBucketFast(input) -> int64 Fingerprint64(s) % num_buckets, the
// FarmHash fingerprint TensorFlow uses (stable across platforms and runs).
#include <string>

#include "savedmodel/format/saved_model/fingerprint.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel::kernels {
namespace {

class StringToHashBucketFastKernel : public OpKernel {
 public:
  StringToHashBucketFastKernel(const OpKernelConstruction& c, Status* s) {
    *s = c.GetAttr("num_buckets", &buckets_);
    if (s->ok() && buckets_ < 1) *s = c.Error("num_buckets must be positive, got " + std::to_string(buckets_));
  }
  Status Compute(OpKernelContext* ctx) const override {
    const Tensor in = ctx->input(0);
    Tensor* out = ctx->allocate_output(0, DT_INT64, in.shape());
    auto src = in.flat<std::string>();
    auto dst = out->flat<int64_t>();
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      dst[i] = static_cast<int64_t>(Fingerprint64(src[i]) % static_cast<uint64_t>(buckets_));
    }
    return Status::OK();
  }

 private:
  int64_t buckets_ = 1;
};
REGISTER_KERNEL("StringToHashBucketFast", StringToHashBucketFastKernel);

}  // namespace
}  // namespace savedmodel::kernels
