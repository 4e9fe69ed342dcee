// Decodes arbitrary bytes as a TensorProto and converts it to a Tensor, as a
// Const node's value or a checkpoint's proto would be. What decodes must
// encode back (both ways) and decode again to the same dtype and shape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "savedmodel/core/tensor.h"
#include "savedmodel/format/tensor_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savedmodel;
  // Tensors the decoder would build beyond this are refused, not allocated.
  static const bool limited = [] { SetMaxTensorBytes(size_t{64} << 20); return true; }();
  (void)limited;
  tensorflow::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)PartialShapeFromProto(proto.tensor_shape()).ok();
  auto t = TensorFromProto(proto);
  if (!t.ok()) return 0;
  (void)t->DebugString(3);
  for (bool content : {false, true}) {
    tensorflow::TensorProto again;
    TensorToProto(*t, &again, content);
    auto back = TensorFromProto(again);
    if (!back.ok() || back->dtype() != t->dtype() || back->shape() != t->shape()) std::abort();
  }
  return 0;
}
