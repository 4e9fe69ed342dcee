// Building blocks shared by gradient functions.
#pragma once

#include "savedmodel/train/gradients.h"
#include "savedmodel/train/ops.h"

namespace savedmodel::train::grad {

// Registers fn for `op` from a static initializer.
struct Registrar {
  Registrar(const char* op, GradFn fn) { RegisterGradient(op, std::move(fn)); }
};
struct NoGradient {
  explicit NoGradient(std::initializer_list<const char*> ops) {
    for (const char* op : ops) RegisterNoGradient(op);
  }
};

inline Output ShapeOf(GraphBuilder& b, const Output& x) {
  return b.Op("Shape", {x}, {{"out_type", AttrType(DT_INT32)}}, "Shape");
}

// For z = f(x, y) with broadcasting: sums gz over the dimensions x was
// broadcast along and reshapes to x's shape; likewise for y.
inline std::pair<Output, Output> ReduceForBroadcast(GraphBuilder& b, const Output& x, const Output& y,
                                                    const Output& gx_full, const Output& gy_full) {
  Output sx = ShapeOf(b, x), sy = ShapeOf(b, y);
  auto r = b.AddOp("BroadcastGradientArgs", {sx, sy}, {}, "BroadcastGradientArgs");
  if (r.size() != 2) return {};
  Output gx, gy;
  if (gx_full.valid()) {
    gx = b.Op("Reshape", {b.Op("Sum", {gx_full, r[0]}, {{"keep_dims", AttrBool(false)}}, "Sum"), sx}, {}, "Reshape");
  }
  if (gy_full.valid()) {
    gy = b.Op("Reshape", {b.Op("Sum", {gy_full, r[1]}, {{"keep_dims", AttrBool(false)}}, "Sum_1"), sy}, {},
              "Reshape_1");
  }
  return {gx, gy};
}

}  // namespace savedmodel::train::grad
