// UnsortedSegmentSum(data, segment_ids, num_segments) ->
// [num_segments] + data.shape[segment_ids.rank:]: out[s] is the sum of the
// data slices whose id is s (zero for none). Negative ids are dropped and ids
// >= num_segments are an error, as in TensorFlow's CPU kernel.
#include <string>
#include <vector>

#include "savedmodel/kernels/kernel.h"
#include "savedmodel/kernels/math/numeric.h"
#include "savedmodel/kernels/math/tensor_util.h"
#include "savedmodel/kernels/typed_kernel.h"

namespace savedmodel::kernels {
namespace {

class UnsortedSegmentSumKernel : public TypedKernel<UnsortedSegmentSumKernel> {
  friend class TypedKernel<UnsortedSegmentSumKernel>;

 public:
  UnsortedSegmentSumKernel(const OpKernelConstruction& c, Status* s) {
    *s = SelectRun(c, c.input_types()[0], [](auto t) { return kIsNumber<typename decltype(t)::type>; });
  }

 private:
  template <typename T>
  Status Run(OpKernelContext* ctx) const {
    const Tensor data = ctx->input(0), ids_t = ctx->input(1), n_t = ctx->input(2);
    if (n_t.num_elements() != 1) {
      return ctx->InvalidArg("num_segments should be a scalar, not shape " + n_t.shape().DebugString());
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> nv, IntValues(n_t));
    const int64_t segments = nv[0];
    if (segments < 0) {
      return ctx->InvalidArg("Input num_segments == " + std::to_string(segments) + " must not be negative.");
    }
    bool prefix = ids_t.rank() <= data.rank();
    for (int d = 0; prefix && d < ids_t.rank(); ++d) prefix = ids_t.dim(d) == data.dim(d);
    if (!prefix) {
      return ctx->InvalidArg("data.shape = " + data.shape().DebugString() +
                             " does not start with segment_ids.shape = " + ids_t.shape().DebugString());
    }
    std::vector<int64_t> dims{segments};
    int64_t slice = 1;
    for (int d = ids_t.rank(); d < data.rank(); ++d) dims.push_back(data.dim(d)), slice *= data.dim(d);
    auto shape = TensorShape::FromDims(dims);
    if (!shape.ok()) return ctx->InvalidArg(shape.status().message());
    ASSIGN_OR_RETURN(std::vector<int64_t> ids, IntValues(ids_t));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] >= segments) {
        return ctx->InvalidArg("segment_ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                               " is out of range [0, " + std::to_string(segments) + ")");
      }
    }
    ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(data.dtype(), *shape));
    using C = Calc<T>;
    std::vector<C> acc(static_cast<size_t>(out.num_elements()), C(0));
    const T* x = data.flat<T>().data();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0) continue;
      for (int64_t e = 0; e < slice; ++e) acc[ids[i] * slice + e] += ToCalc(x[i * slice + e]);
    }
    T* y = out.flat<T>().data();
    for (size_t i = 0; i < acc.size(); ++i) y[i] = FromCalc<T>(acc[i]);
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }
};
REGISTER_KERNEL("UnsortedSegmentSum", UnsortedSegmentSumKernel);

}  // namespace
}  // namespace savedmodel::kernels
