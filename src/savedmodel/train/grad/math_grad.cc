// Gradients of element-wise and matrix math ops.
#include "grad_util.h"

namespace savedmodel::train::grad {
namespace {

const NoGradient kNoGrad({"Shape", "Rank", "Size", "ArgMax", "ArgMin", "Equal", "NotEqual", "Less",
                          "LessEqual", "Greater", "GreaterEqual", "ZerosLike", "OnesLike", "Range",
                          "Const", "Placeholder", "Floor", "Round", "Sign", "FloorDiv", "BroadcastGradientArgs"});

const Registrar kIdentity("Identity", [](GradContext&, const std::vector<Output>& g) {
  return std::vector<Output>{g[0]};
});
const Registrar kStopGradient("StopGradient", [](GradContext&, const std::vector<Output>&) {
  return std::vector<Output>{Output{}};
});

const Registrar kAdd("AddV2", [](GradContext& c, const std::vector<Output>& g) {
  auto [gx, gy] = ReduceForBroadcast(c.b, c.inputs[0], c.inputs[1], g[0], g[0]);
  return std::vector<Output>{gx, gy};
});
const Registrar kAddV1("Add", [](GradContext& c, const std::vector<Output>& g) {
  auto [gx, gy] = ReduceForBroadcast(c.b, c.inputs[0], c.inputs[1], g[0], g[0]);
  return std::vector<Output>{gx, gy};
});

const Registrar kSub("Sub", [](GradContext& c, const std::vector<Output>& g) {
  auto [gx, gy] = ReduceForBroadcast(c.b, c.inputs[0], c.inputs[1], g[0], Neg(c.b, g[0]));
  return std::vector<Output>{gx, gy};
});

const Registrar kMul("Mul", [](GradContext& c, const std::vector<Output>& g) {
  const Output &x = c.inputs[0], &y = c.inputs[1];
  auto [gx, gy] = ReduceForBroadcast(c.b, x, y, Mul(c.b, g[0], y), Mul(c.b, x, g[0], "mul_1"));
  return std::vector<Output>{gx, gy};
});

// z = x / y: dz/dx = 1/y, dz/dy = -x/y^2.
const Registrar kRealDiv("RealDiv", [](GradContext& c, const std::vector<Output>& g) {
  GraphBuilder& b = c.b;
  const Output &x = c.inputs[0], &y = c.inputs[1];
  Output gx = Div(b, g[0], y);
  Output gy = Mul(b, g[0], Div(b, Div(b, Neg(b, x), y, "truediv_1"), y, "truediv_2"));
  auto [rx, ry] = ReduceForBroadcast(b, x, y, gx, gy);
  return std::vector<Output>{rx, ry};
});

// AddN: every input gets the output's gradient.
const Registrar kAddN("AddN", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>(c.inputs.size(), g[0]);
});

const Registrar kNeg("Neg", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{Neg(c.b, g[0])};
});
const Registrar kLog("Log", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{Mul(c.b, g[0], c.b.Op("Reciprocal", {c.inputs[0]}, {}, "Reciprocal"))};
});
const Registrar kExp("Exp", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{Mul(c.b, g[0], c.outputs[0])};
});
const Registrar kSquare("Square", [](GradContext& c, const std::vector<Output>& g) {
  Tensor two(BaseType(c.inputs[0].dtype), TensorShape{});
  if (two.dtype() == DT_DOUBLE) two.scalar<double>() = 2; else two.scalar<float>() = 2;
  return std::vector<Output>{Mul(c.b, g[0], Mul(c.b, Const(c.b, two, "Const"), c.inputs[0], "mul_1"))};
});
// d sqrt(x) = 0.5 / sqrt(x)
const Registrar kSqrt("Sqrt", [](GradContext& c, const std::vector<Output>& g) {
  Tensor half(BaseType(c.inputs[0].dtype), TensorShape{});
  if (half.dtype() == DT_DOUBLE) half.scalar<double>() = 0.5; else half.scalar<float>() = 0.5f;
  return std::vector<Output>{Mul(c.b, g[0], Div(c.b, Const(c.b, half, "Const"), c.outputs[0]))};
});

const Registrar kSigmoid("Sigmoid", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{c.b.Op("SigmoidGrad", {c.outputs[0], g[0]}, {}, "SigmoidGrad")};
});
const Registrar kTanh("Tanh", [](GradContext& c, const std::vector<Output>& g) {
  return std::vector<Output>{c.b.Op("TanhGrad", {c.outputs[0], g[0]}, {}, "TanhGrad")};
});

// MatMul: for z = a b, da = dz b^T, db = a^T dz (with the transposes folded in).
const Registrar kMatMul("MatMul", [](GradContext& c, const std::vector<Output>& g) {
  GraphBuilder& b = c.b;
  bool ta = c.node.attr().at("transpose_a").b(), tb = c.node.attr().at("transpose_b").b();
  const Output &a = c.inputs[0], &x = c.inputs[1];
  Output ga, gb;
  if (!ta && !tb) {
    ga = MatMul(b, g[0], x, false, true);
    gb = MatMul(b, a, g[0], true, false, "MatMul_1");
  } else if (!ta && tb) {
    ga = MatMul(b, g[0], x, false, false);
    gb = MatMul(b, g[0], a, true, false, "MatMul_1");
  } else if (ta && !tb) {
    ga = MatMul(b, x, g[0], false, true);
    gb = MatMul(b, a, g[0], false, false, "MatMul_1");
  } else {
    ga = MatMul(b, x, g[0], true, true);
    gb = MatMul(b, g[0], a, true, true, "MatMul_1");
  }
  return std::vector<Output>{ga, gb};
});

// For Sum/Mean over `axes`: the reduced shape with kept dims is
// shape * (1 - mask) + mask, mask marking the reduced axes; the gradient is dz
// reshaped to it and tiled back up to x's shape.
std::pair<Output, Output> KeptShapeAndTiled(GraphBuilder& b, const Output& x, const Output& axes,
                                            const Output& dz) {
  Output shape = ShapeOf(b, x);
  Output rank = b.Op("Size", {shape}, {{"out_type", AttrType(DT_INT32)}}, "Size");
  Output axes32 = axes.dtype == DT_INT32 ? axes : Cast(b, axes, DT_INT32);
  Output norm = b.Op("FloorMod", {axes32, rank}, {}, "FloorMod");
  Output onehot = b.Op("OneHot", {norm, rank, Scalar<int32_t>(b, 1, "on"), Scalar<int32_t>(b, 0, "off")},
                       {{"axis", AttrInt(-1)}}, "OneHot");
  // A scalar axis gives a [rank] one-hot; a vector gives [n, rank]: sum the rows.
  Output mask = b.Op("Sum", {b.Op("Reshape", {onehot, b.Op("Pack", {std::vector<Output>{Scalar<int32_t>(b, -1, "m1"), rank}},
                                                     {{"axis", AttrInt(0)}}, "Pack")}, {}, "mask_rows"),
                      Scalar<int32_t>(b, 0, "rows")},
              {{"keep_dims", AttrBool(false)}}, "mask");
  Output one = Scalar<int32_t>(b, 1, "one");
  Output kept = Add(b, Mul(b, shape, Sub(b, one, mask)), mask, "kept_shape");
  Output tiled = b.Op("Tile", {b.Op("Reshape", {dz, kept}, {}, "Reshape"),
                               b.Op("FloorDiv", {shape, kept}, {}, "tile_scaling")},
                      {}, "Tile");
  return {kept, tiled};
}

const Registrar kSum("Sum", [](GradContext& c, const std::vector<Output>& g) {
  auto [kept, tiled] = KeptShapeAndTiled(c.b, c.inputs[0], c.inputs[1], g[0]);
  return std::vector<Output>{tiled, Output{}};
});

const Registrar kMean("Mean", [](GradContext& c, const std::vector<Output>& g) {
  GraphBuilder& b = c.b;
  auto [kept, tiled] = KeptShapeAndTiled(b, c.inputs[0], c.inputs[1], g[0]);
  Output zero = Scalar<int32_t>(b, 0, "zero");
  Output in_size = b.Op("Prod", {ShapeOf(b, c.inputs[0]), zero}, {{"keep_dims", AttrBool(false)}}, "Prod");
  Output out_size = b.Op("Prod", {kept, zero}, {{"keep_dims", AttrBool(false)}}, "Prod_1");
  Output count = Cast(b, b.Op("FloorDiv", {in_size, out_size}, {}, "count"), BaseType(c.inputs[0].dtype));
  return std::vector<Output>{Div(b, tiled, count), Output{}};
});

const Registrar kCast("Cast", [](GradContext& c, const std::vector<Output>& g) {
  DataType src = BaseType(c.inputs[0].dtype);
  if (src != DT_FLOAT && src != DT_DOUBLE && src != DT_HALF && src != DT_BFLOAT16) {
    return std::vector<Output>{Output{}};
  }
  return std::vector<Output>{Cast(c.b, g[0], src)};
});

}  // namespace
}  // namespace savedmodel::train::grad
