"""The kernel conformance cases: for every op our kernel registry holds, small
graphs built with real TensorFlow, fed fixed inputs, and TensorFlow's answers.

A case is either one op fed through placeholders (`Case(op, inputs, attrs)`,
inputs aligned with the OpDef's input args; a list stands for a list arg), or
a small graph built by a function (`Case(op, build=fn)`), for ops that need
variables, tables, files or serialized protos around them. Placeholders have
unknown shapes, so TensorFlow checks shapes in its kernels at run time, as
ours do, and an invalid input shows as a run error on both sides.

`grad=[i, ...]` adds a gradient case: the op's first output is weighted by a
fixed random tensor (so that softmax-like ops get a non-trivial gradient) and
tf.gradients of it with respect to inputs i is compared with our gradients
of the same graph.
"""
import contextlib

import numpy as np

F32, F64, F16, BF16 = "float32", "float64", "float16", "bfloat16"
I8, I16, I32, I64 = "int8", "int16", "int32", "int64"
U8, U16, U32, U64 = "uint8", "uint16", "uint32", "uint64"
BOOL, C64, C128, STR = "bool", "complex64", "complex128", "string"
FLOATS = [F32, F64, F16, BF16]
SIGNED = [I8, I16, I32, I64]
UNSIGNED = [U8, U16, U32, U64]
INTS = SIGNED + UNSIGNED
REAL = FLOATS + INTS
ALL_NUMERIC = REAL + [C64, C128]

# Float tolerances (relative, absolute) by dtype; integer, bool and string
# outputs are compared exactly. float32 allows a few ulps for transcendental
# functions and summation order (TensorFlow's Eigen and oneDNN kernels sum in
# blocks; ours in other orders).
TOL = {F32: (2e-6, 1e-6), F64: (1e-12, 1e-13), F16: (1e-3, 1e-3), BF16: (8e-3, 8e-3),
       C64: (2e-6, 1e-6), C128: (1e-12, 1e-13)}
GRAD_TOL = {F32: (2e-5, 1e-5), F64: (1e-10, 1e-11)}


class Case:
    def __init__(self, op, inputs=None, attrs=None, build=None, label=None, grad=None, tol=None,
                 note="", edit=None, fetch=None):
        self.fetch = fetch  # compare only the first `fetch` outputs (others unspecified)
        self.edit = edit  # applied to the GraphDef our side runs (TF runs the original)
        self.op = op
        self.inputs = inputs or []
        self.attrs = attrs or {}
        self.build = build
        self.grad = grad
        self.tol = tol  # None: by dtype
        self.note = note
        self.label = label or _label(self.inputs)


def _label(inputs):
    for x in inputs:
        if isinstance(x, list):
            x = x[0] if x else None
        if isinstance(x, np.ndarray):
            return dtype_name(x)
    return "-"


def dtype_name(a):
    if a.dtype == object:
        return STR
    return str(a.dtype)


def np_dtype(dt):
    if dt == BF16:
        import ml_dtypes
        return ml_dtypes.bfloat16
    if dt == STR:
        return object
    return np.dtype(dt)


_rng = np.random.default_rng(20261203)


@contextlib.contextmanager
def own_rng(seed):
    """Values drawn inside come from a generator of their own: cases added
    later wrap themselves in this, so every case after them keeps the inputs
    it was checked with (one shared stream would shift them all)."""
    global _rng
    shared = _rng
    _rng = np.random.default_rng(seed)
    try:
        yield
    finally:
        _rng = shared

SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -2.5, 1e-30, 3e38]


def val(dt, shape, lo=-3.0, hi=3.0, special=False, ints=None):
    """Deterministic test values of dtype `dt`; `special` mixes NaN, +-Inf, -0.0
    and extremes into floats, and the limits into integers."""
    n = int(np.prod(shape)) if shape else 1
    if dt == STR:
        words = [b"", b"a", b"hello", b"TensorFlow", b"\xc3\xa9t\xc3\xa9", b"x" * 40, b"0", b"a b"]
        return np.array([words[i % len(words)] for i in range(n)], dtype=object).reshape(shape)
    if dt == BOOL:
        return (_rng.random(n) < 0.5).reshape(shape)
    if dt in (C64, C128):
        v = _rng.uniform(lo, hi, n) + 1j * _rng.uniform(lo, hi, n)
        return v.astype(dt).reshape(shape)
    if dt in INTS:
        info = np.iinfo(np.dtype(dt))
        a, b = ints if ints else (max(int(lo * 20), info.min), min(int(hi * 20), info.max))
        v = _rng.integers(max(a, info.min), min(b, info.max) + 1, n, dtype=np.int64)
        v = v.astype(dt)
        if special and n >= 4:
            v[0], v[1] = info.max, info.min
        return v.reshape(shape)
    v = _rng.uniform(lo, hi, n)
    if special and n >= len(SPECIAL):
        v[:len(SPECIAL)] = SPECIAL
    return v.astype(np_dtype(dt)).reshape(shape)


def pos(dt, shape):
    return val(dt, shape, 0.1, 3.0)


def _activation(tf, y, act):
    """y through `act` (None: unchanged), the node named "act"."""
    if act == "LeakyRelu":
        return tf.raw_ops.LeakyRelu(features=y, alpha=0.3, name="act")
    if act:
        return getattr(tf.raw_ops, act)(features=y, name="act")
    return y


def _fuse(graph_def, first, op, head_args, copied, fused_ops, act, epsilon, targs=None):
    """Replaces nodes `first`, "head" and "act" (when act) with one `op` node
    named as the last of them, as grappler's remapper does."""
    nodes = {n.name: n for n in graph_def.node}
    base, head = nodes[first], nodes["head"]
    last = nodes["act"] if act else head
    fused = type(base)()
    fused.name, fused.op = last.name, op
    fused.input.extend([base.input[0], base.input[1]] + list(head.input[1:1 + head_args]))
    for a in copied:
        fused.attr[a].CopyFrom(base.attr[a])
    fused.attr["num_args"].i = head_args
    if targs is not None:
        fused.attr["TArgs"].list.type.extend([targs] * head_args)
    fused.attr["fused_ops"].list.s.extend(fused_ops + ([act.encode()] if act else []))
    fused.attr["epsilon"].f = epsilon
    fused.attr["leakyrelu_alpha"].f = 0.3
    keep = [n for n in graph_def.node if n.name not in (first, "head", "act")]
    del graph_def.node[:]
    graph_def.node.extend(keep + [fused])


def _fused_conv_build(norm, act):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, (2, 7, 8, 3), name="x")
        y = tf.raw_ops.Conv2D(input=x, filter=tf.constant(val(F32, (3, 3, 3, 4)), name="w"), strides=[1, 2, 1, 1],
                              padding="SAME", name="conv")
        if norm:
            c = [tf.constant(val(F32, (4,)), name="c%d" % i) for i in range(3)]
            var = tf.constant(np.abs(val(F32, (4,))) + 0.5, name="var")
            y = tf.raw_ops.FusedBatchNormV3(x=y, scale=c[0], offset=c[1], mean=c[2], variance=var, epsilon=0.001,
                                            is_training=False, name="head")[0]
        else:
            y = tf.raw_ops.BiasAdd(value=y, bias=tf.constant(val(F32, (4,)), name="b"), name="head")
        return [_activation(tf, y, act)], {x: val(F32, (2, 7, 8, 3))}
    return build


def _fused_conv_edit(norm, act):
    def edit(graph_def):
        _fuse(graph_def, "conv", "_FusedConv2D", 4 if norm else 1,
              ("T", "strides", "padding", "data_format", "dilations"),
              [b"FusedBatchNorm" if norm else b"BiasAdd"], act, 0.001, targs=1)  # TArgs: DT_FLOAT
    return edit


def _fused_matmul_build(act, ta, tb):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, (3, 5) if ta else (5, 3), name="x")
        w = tf.constant(val(F32, (6, 3) if tb else (3, 6)), name="w")
        y = tf.raw_ops.MatMul(a=x, b=w, transpose_a=ta, transpose_b=tb, name="mm")
        y = tf.raw_ops.BiasAdd(value=y, bias=tf.constant(val(F32, (6,)), name="b"), name="head")
        return [_activation(tf, y, act)], {x: val(F32, (3, 5) if ta else (5, 3))}
    return build


def _fused_matmul_edit(act):
    def edit(graph_def):
        _fuse(graph_def, "mm", "_FusedMatMul", 1, ("T", "transpose_a", "transpose_b"), [b"BiasAdd"], act, 0.0001)
    return edit


def const_i(v, dt=I32):
    return np.array(v, dtype=dt)


# ---------------------------------------------------------------------------
# Elementwise unary ops.

UNARY = {
    # op: (dtypes, domain, gradient?)
    "Neg": (REAL[:4] + SIGNED + [C64], None, True),
    "Abs": (FLOATS + SIGNED, None, False),
    "Exp": (FLOATS + [C64], None, True),
    "Log": (FLOATS + [C64], "pos", True),
    "Log1p": (FLOATS, "pos", False),
    "Square": (FLOATS + SIGNED + [C64], None, True),
    "Sqrt": (FLOATS + [C64], "pos", True),
    "Rsqrt": (FLOATS, "pos", False),
    "Reciprocal": (FLOATS + [I32, I64], "nz", False),
    "Sign": (FLOATS + SIGNED, None, False),
    "Floor": (FLOATS, None, False),
    "Ceil": (FLOATS, None, False),
    "Round": (FLOATS + [I32, I64], None, False),
    "Sin": (FLOATS, None, False),
    "Cos": (FLOATS, None, False),
    "Tanh": (FLOATS, None, True),
    "Sigmoid": (FLOATS, None, True),
    "Relu": (FLOATS + SIGNED + UNSIGNED, None, True),
    "Relu6": (FLOATS + [I32, I64], None, False),
    "Elu": (FLOATS, None, False),
    "Softsign": (FLOATS, None, False),
    "Erf": (FLOATS, None, False),
    "Erfc": (FLOATS, None, False),
    "Selu": (FLOATS, None, False),
    "Softplus": (FLOATS, None, False),
    "IsNan": (FLOATS, None, False),
    "IsInf": (FLOATS, None, False),
    "IsFinite": (FLOATS, None, False),
}


def unary_cases():
    out = []
    for op, (dts, domain, grad) in UNARY.items():
        for dt in dts:
            for shape in [(), (0,), (4, 5), (2, 3, 13)]:
                if domain == "pos":
                    x = pos(dt, shape) if shape != (2, 3, 13) else val(dt, shape, -3, 3, special=True)
                elif domain == "nz":
                    x = pos(dt, shape)
                else:
                    x = val(dt, shape, special=shape == (2, 3, 13))
                out.append(Case(op, [x]))
            if op == "Round" and dt in FLOATS:
                out.append(Case(op, [np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999], dtype=np_dtype(dt))],
                                note="banker's rounding"))
        if grad:
            for dt in (F32, F64):
                x = pos(dt, (3, 4)) if domain else val(dt, (3, 4))
                out.append(Case(op, [x], grad=[0]))
    out.append(Case("LogicalNot", [val(BOOL, (3, 5))]))
    out.append(Case("LogicalNot", [val(BOOL, (0,))]))
    for dt in FLOATS:
        for alpha in (0.2, 0.0, 1.5):
            out.append(Case("LeakyRelu", [val(dt, (4, 6), special=True)], {"alpha": alpha}))
    return out


# ---------------------------------------------------------------------------
# Broadcasting binary ops.

BINARY = {
    "AddV2": (ALL_NUMERIC, True), "Sub": (REAL + [C64], True), "Mul": (ALL_NUMERIC, True),
    "RealDiv": (FLOATS + [C64], True), "Div": (FLOATS + SIGNED + [U8, U16], False),
    "TruncateDiv": (SIGNED + [U8, U16], False), "FloorDiv": (FLOATS + SIGNED + [U8, U16], False),
    "FloorMod": (FLOATS + [I32, I64], False), "Mod": (FLOATS[:2] + [I32, I64], False),
    "DivNoNan": (FLOATS + [C64], False),
    "Maximum": (REAL, False), "Minimum": (REAL, False),
    "SquaredDifference": (FLOATS + [I32, I64], False), "Pow": (FLOATS + [I32, I64], False),
    "Equal": (REAL + [BOOL, STR], False), "NotEqual": (REAL + [BOOL, STR], False),
    "Less": (REAL, False), "LessEqual": (REAL, False), "Greater": (REAL, False),
    "GreaterEqual": (REAL, False),
}
SHAPES2 = [((), ()), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((0, 3), (1, 3)),
           ((5,), ()), ((), (2, 2)), ((2, 1, 3, 1), (1, 4, 1, 5))]


def _divisor(dt, shape, op):
    if dt in INTS:
        v = val(dt, shape, 1, 5) if dt in UNSIGNED else val(dt, shape, 1, 4)
        if dt in SIGNED:
            v = v * np.where(val(BOOL, shape), 1, -1).astype(dt)
        return v
    return val(dt, shape, 0.5, 3)


def binary_cases():
    out = []
    for op, (dts, grad) in BINARY.items():
        divides = op in ("Div", "RealDiv", "TruncateDiv", "FloorDiv", "FloorMod", "Mod", "DivNoNan")
        for dt in dts:
            for sa, sb in SHAPES2:
                a = val(dt, sa, special=sa == (2, 1, 3, 1))
                if op == "Pow" and dt in INTS:
                    a, b = val(dt, sa, -4, 4, ints=(-4, 4)), val(dt, sb, 0, 4, ints=(0, 4))
                elif divides:
                    b = _divisor(dt, sb, op)
                else:
                    b = val(dt, sb)
                out.append(Case(op, [a, b]))
            # NaN/Inf on both sides, equal values, zero divisors.
            if dt in FLOATS:
                s = np.array(SPECIAL, dtype=np.float64)
                a = np.repeat(s, len(s)).astype(np_dtype(dt))
                b = np.tile(s, len(s)).astype(np_dtype(dt))
                if op != "Pow" or dt != BF16:
                    out.append(Case(op, [a, b], note="specials x specials"))
            if dt in INTS and dt not in (U32, U64):
                info = np.iinfo(np.dtype(dt))
                a = np.array([info.max, info.min, info.max, 7, -7 if dt in SIGNED else 7, 0], dtype=dt)
                b = np.array([1, 1, info.max, 2, 2, 3], dtype=dt)
                if divides and dt in SIGNED:
                    b = np.array([1, 2, info.max, -2, 2, 3], dtype=dt)
                if op == "Pow":
                    b = np.array([1, 1, 2, 2, 3, 0], dtype=dt)
                out.append(Case(op, [a, b], note="integer limits (wrap-around)"))
                if divides and op != "DivNoNan":
                    out.append(Case(op, [np.array([1, 2, 3], dtype=dt), np.array([1, 0, 2], dtype=dt)],
                                    note="integer division by zero"))
        out.append(Case(op, [val(dts[0], (3,)), val(dts[0], (4,))], note="incompatible shapes"))
        if grad:
            for dt in (F32, F64):
                for sa, sb in [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), ())]:
                    b = val(dt, sb, 0.5, 2) if op == "RealDiv" else val(dt, sb)
                    out.append(Case(op, [val(dt, sa), b], grad=[0, 1]))
    if True:
        out.append(Case("Pow", [np.array([2, 3], dtype=I32), np.array([-1, 2], dtype=I32)],
                        note="negative integer power"))
        for dt in (STR,):
            out.append(Case("Add", [val(dt, (2, 3)), val(dt, (3,))], label=STR))
        for dt in (F32, I64):
            out.append(Case("Add", [val(dt, (2, 3)), val(dt, (3,))]))
        out.append(Case("Add", [val(F32, (3, 4)), val(F32, (4,))], grad=[0, 1]))
        for a, b in [((3, 4), (3, 4)), ((3, 1), (1, 4))]:
            out.append(Case("LogicalAnd", [val(BOOL, a), val(BOOL, b)]))
            out.append(Case("LogicalOr", [val(BOOL, a), val(BOOL, b)]))
        for op in ("Equal", "NotEqual"):
            out.append(Case(op, [val(F32, (3,)), val(F32, (4,))], {"incompatible_shape_error": False},
                            note="incompatible shapes allowed"))
    return out


# ---------------------------------------------------------------------------
# Reductions and arg-reductions.

def reduction_cases():
    out = []
    ops = {"Sum": ALL_NUMERIC, "Mean": REAL + [C64], "Prod": REAL + [C64], "Max": REAL, "Min": REAL}
    axes_list = [0, -1, [0, 2], [], [1, -1], [2, 0, 1]]
    for op, dts in ops.items():
        for dt in dts:
            for axes in axes_list:
                for keep in (False, True):
                    lo, hi = (0.5, 1.5) if op == "Prod" else (-3, 3)
                    x = val(dt, (2, 3, 4), lo, hi)
                    if op == "Prod" and dt in INTS:
                        x = val(dt, (2, 3, 4), 1, 3, ints=(1, 3))
                    # TensorFlow rounds float16 partial sums to float16; ours
                    # accumulate in float32 (more accurate): allow a few float16
                    # ulps of the largest partial sum (12 terms up to 3 here).
                    out.append(Case(op, [x, const_i(axes)], {"keep_dims": keep},
                                    tol=(2e-3, 2e-2) if dt == F16 else None))
            out.append(Case(op, [val(dt, (0, 3)), const_i(0)]))
            out.append(Case(op, [val(dt, (4, 0)), const_i([0, 1])], {"keep_dims": True}))
            out.append(Case(op, [val(dt, ()), const_i([])]))
            out.append(Case(op, [val(dt, (3, 2)), const_i(1, I64)]))
            if dt in FLOATS:
                out.append(Case(op, [val(dt, (4, 11), special=True), const_i(1)]))
        out.append(Case(op, [val(F32, (2, 3)), const_i(2)], note="axis out of range"))
        out.append(Case(op, [val(F32, (2, 3)), const_i([0, 0])], note="duplicate axis"))
    for dt in (F32, F64):
        out.append(Case("Sum", [val(dt, (3, 4, 5)), const_i([0, 2])], {"keep_dims": False}, grad=[0]))
        out.append(Case("Sum", [val(dt, (3, 4)), const_i(-1)], {"keep_dims": True}, grad=[0]))
        out.append(Case("Mean", [val(dt, (3, 4, 5)), const_i([1])], {"keep_dims": False}, grad=[0]))
        out.append(Case("Mean", [val(dt, (6,)), const_i(0)], grad=[0]))
    # Sums of hundreds of terms: the order of additions differs (TensorFlow's
    # Eigen reduction works in packets and blocks), so allow sqrt(n) ulps.
    out.append(Case("Sum", [val(F32, (300, 257)), const_i(0)], tol=(2e-5, 2e-4), note="large"))
    out.append(Case("Mean", [val(F32, (300, 257)), const_i(1)], tol=(2e-5, 2e-5), note="large"))
    for op in ("All", "Any"):
        for axes in axes_list[:4]:
            for keep in (False, True):
                out.append(Case(op, [val(BOOL, (2, 3, 4)), const_i(axes)], {"keep_dims": keep}))
        out.append(Case(op, [val(BOOL, (0, 2)), const_i(0)]))
    for op in ("ArgMax", "ArgMin"):
        for dt in REAL:
            for axis in (0, 1, -1):
                for ot in ("int32", "int64"):
                    out.append(Case(op, [val(dt, (4, 5)), const_i(axis)], {"output_type": ot}))
            out.append(Case(op, [np.array([[1, 3, 3], [2, 2, 0]], dtype=np_dtype(dt)), const_i(1)],
                            note="ties take the first"))
        out.append(Case(op, [np.array([1.0, np.nan, 3.0, np.nan], dtype=F32), const_i(0)], note="NaN"))
        out.append(Case(op, [val(F32, (3, 0)), const_i(1)], note="empty axis"))
        out.append(Case(op, [val(F32, (3, 4)), const_i(2)], note="axis out of range"))
        out.append(Case(op, [val(F32, (3, 4)), const_i(1, I64)]))
    return out


# ---------------------------------------------------------------------------
# MatMul family, AddN.

def matmul_cases():
    out = []
    for dt in [F32, F64, F16, BF16, I32, I64, C64]:
        for ta in (False, True):
            for tb in (False, True):
                a = val(dt, (5, 3) if ta else (3, 5))
                b = val(dt, (4, 5) if tb else (5, 4))
                out.append(Case("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb}))
        out.append(Case("MatMul", [val(dt, (0, 3)), val(dt, (3, 2))]))
        out.append(Case("MatMul", [val(dt, (2, 0)), val(dt, (0, 3))]))
    # Dot products of 130 terms up to 9: summation order moves the last bits,
    # so the absolute tolerance scales with the sum's magnitude (~1e-6 relative).
    out.append(Case("MatMul", [val(F32, (67, 130)), val(F32, (130, 71))], tol=(1e-5, 2e-4), note="blocked"))
    out.append(Case("MatMul", [val(F32, (2, 3)), val(F32, (4, 2))], note="inner dims differ"))
    out.append(Case("MatMul", [val(F32, (2, 3, 1)), val(F32, (1, 2))], note="rank 3"))
    for dt in (F32, F64):
        for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
            a = val(dt, (4, 3) if ta else (3, 4))
            b = val(dt, (2, 4) if tb else (4, 2))
            out.append(Case("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb}, grad=[0, 1]))
    for op in ("BatchMatMul", "BatchMatMulV2"):
        for dt in [F32, F64, F16, BF16, I32, I64, C64]:
            for ax in (False, True):
                for ay in (False, True):
                    a = val(dt, (2, 4, 3) if ax else (2, 3, 4))
                    b = val(dt, (2, 5, 4) if ay else (2, 4, 5))
                    out.append(Case(op, [a, b], {"adj_x": ax, "adj_y": ay}))
        out.append(Case(op, [val(F32, (2, 3, 4)), val(F32, (3, 4, 5))], note="batch mismatch"))
    for sa, sb in [((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)), ((1, 3, 4), (4, 4, 2))]:
        out.append(Case("BatchMatMulV2", [val(F32, sa), val(F32, sb)], note="broadcast batch"))
    for dt in REAL + [C64]:
        for n in (1, 2, 4):
            out.append(Case("AddN", [[val(dt, (3, 4)) for _ in range(n)]]))
    out.append(Case("AddN", [[val(F32, (3, 4)), val(F32, (4, 3))]], note="shape mismatch"))
    out.append(Case("AddN", [[val(F32, (3, 4)), val(F32, (3, 4)), val(F32, (3, 4))]], grad=[0]))
    return out


# ---------------------------------------------------------------------------
# Neural-network ops.

def nn_cases():
    out = []
    for dt in FLOATS + [I32, I64]:
        out.append(Case("BiasAdd", [val(dt, (3, 4)), val(dt, (4,))]))
        out.append(Case("BiasAdd", [val(dt, (2, 3, 5, 4)), val(dt, (4,))], {"data_format": "NHWC"}))
        out.append(Case("BiasAdd", [val(dt, (2, 4, 3, 5)), val(dt, (4,))], {"data_format": "NCHW"}))
    out.append(Case("BiasAdd", [val(F32, (3, 4)), val(F32, (5,))], note="bias size mismatch"))
    out.append(Case("BiasAdd", [val(F32, (4,)), val(F32, (4,))], note="rank 1 value"))
    for dt in (F32, F64):
        out.append(Case("BiasAdd", [val(dt, (3, 4)), val(dt, (4,))], grad=[0, 1]))
        out.append(Case("BiasAdd", [val(dt, (2, 3, 2, 4)), val(dt, (4,))], grad=[0, 1]))
    for op in ("Softmax", "LogSoftmax"):
        for dt in FLOATS:
            for shape in [(5,), (3, 7), (2, 3, 4), (0, 3)]:
                out.append(Case(op, [val(dt, shape, -5, 5)]))
            out.append(Case(op, [np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0, 1]], dtype=np_dtype(dt))],
                            note="large logits"))
        out.append(Case(op, [val(F32, ())], note="scalar"))
        for dt in (F32, F64):
            out.append(Case(op, [val(dt, (3, 5))], grad=[0]))
        # The vectorized float exp: the MNIST model's 64 x 10, rows wider than
        # a vector, the whole range of exp (underflow through the denormals
        # to 0, -inf entries, rows of equal values). Not NaN: TensorFlow's
        # oneDNN Softmax gives 0 beside a NaN logit, its LogSoftmax NaN (ours
        # NaN for both, elementwise_f32_test.cc).
        with own_rng(1204):
            out.append(Case(op, [val(F32, (64, 10), -30, 30)], note="batch of 10 classes"))
            out.append(Case(op, [val(F32, (3, 1000), -90, 90)], note="wide rows, full exp range"))
        out.append(Case(op, [np.array([[5.0, -95.0, -120.0, 5.0, -80.0],
                                       [0.0, -np.inf, 1.0, -np.inf, -np.inf],
                                       [7.0, 7.0, 7.0, 7.0, 7.0],
                                       [-3e38, 3e38, -3e38, 3e38, 0.0],
                                       [88.0, 0.0, -88.0, -87.0, -104.0]], dtype=np.float32)],
                        note="exp edges"))
    for dt in (F32, F64, F16, BF16):
        logits = val(dt, (4, 6), -4, 4)
        labels = np.abs(val(dt, (4, 6), 0, 1)).astype(np.float64)
        labels = (labels / labels.sum(1, keepdims=True)).astype(np_dtype(dt))
        out.append(Case("SoftmaxCrossEntropyWithLogits", [logits, labels]))
        out.append(Case("SoftmaxCrossEntropyWithLogits", [val(dt, (3, 5)), labels[:1, :5]],
                        note="broadcast labels"))
        for it in (I32, I64):
            out.append(Case("SparseSoftmaxCrossEntropyWithLogits",
                            [logits, np.array([0, 5, 2, 3], dtype=it)]))
    out.append(Case("SparseSoftmaxCrossEntropyWithLogits", [val(F32, (3, 4)), np.array([0, 4, 1], dtype=I32)],
                    note="label out of range"))
    out.append(Case("SoftmaxCrossEntropyWithLogits", [val(F32, (3, 4)), val(F32, (3, 5))],
                    note="shape mismatch"))
    for dt in (F32, F64):
        lab = np.abs(val(dt, (3, 5))) + 0.1
        lab = lab / lab.sum(1, keepdims=True)
        out.append(Case("SoftmaxCrossEntropyWithLogits", [val(dt, (3, 5)), lab], grad=[0]))
        out.append(Case("SparseSoftmaxCrossEntropyWithLogits",
                        [val(dt, (3, 5)), np.array([1, 0, 4], dtype=I64)], grad=[0]))
    # Conv2D: paddings, strides, dilations, formats.
    for dt in (F32, F64, F16, BF16):
        for padding in ("VALID", "SAME"):
            for strides in ([1, 1, 1, 1], [1, 2, 2, 1], [1, 3, 2, 1]):
                for dil in ([1, 1, 1, 1], [1, 2, 2, 1]):
                    if strides != [1, 1, 1, 1] and dil != [1, 1, 1, 1]:
                        continue  # TensorFlow's CPU kernel rejects strides with dilations
                    out.append(Case("Conv2D", [val(dt, (2, 7, 8, 3)), val(dt, (3, 2, 3, 4))],
                                    {"strides": strides, "padding": padding, "dilations": dil},
                                    tol=(1e-5, 1e-5) if dt == F32 else None))
        out.append(Case("Conv2D", [val(dt, (1, 6, 6, 2)), val(dt, (3, 3, 2, 3))],
                        {"strides": [1, 1, 1, 1], "padding": "EXPLICIT",
                         "explicit_paddings": [0, 0, 1, 2, 0, 1, 0, 0]}))
    out.append(Case("Conv2D", [val(F32, (2, 3, 7, 8)), val(F32, (3, 2, 3, 4))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID", "data_format": "NCHW"}, note="NCHW"))
    out.append(Case("Conv2D", [val(F32, (1, 5, 5, 3)), val(F32, (3, 3, 2, 4))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID"}, note="channel mismatch"))
    out.append(Case("Conv2D", [val(F32, (1, 2, 2, 1)), val(F32, (3, 3, 1, 1))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID"}, note="filter larger than input"))
    out.append(Case("Conv2D", [val(F32, (1, 32, 32, 16)), val(F32, (3, 3, 16, 32))],
                    {"strides": [1, 1, 1, 1], "padding": "SAME"}, tol=(1e-5, 2e-4), note="larger"))
    # Pooling.
    for op in ("MaxPool", "AvgPool"):
        dts = FLOATS + ([I32, I64, U8, I8] if op == "MaxPool" else [])
        for dt in dts:
            for padding in ("VALID", "SAME"):
                for ks, st in [([1, 2, 2, 1], [1, 2, 2, 1]), ([1, 3, 3, 1], [1, 1, 1, 1]),
                               ([1, 3, 2, 1], [1, 2, 3, 1])]:
                    out.append(Case(op, [val(dt, (2, 7, 8, 3))], {"ksize": ks, "strides": st, "padding": padding}))
            out.append(Case(op, [val(dt, (2, 3, 7, 8))], {"ksize": [1, 1, 2, 2], "strides": [1, 1, 2, 2],
                                                         "padding": "SAME", "data_format": "NCHW"}, note="NCHW"))
        out.append(Case(op, [val(F32, (1, 6, 6, 1), special=True)],
                        {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"}, note="NaN and Inf"))
        # Not generated: a window larger than a VALID input, on which TensorFlow
        # 2.21's MaxPool kills the process with SIGFPE (ours returns an empty result).
        out.append(Case(op, [val(F32, (2, 3, 4))], {"ksize": [1, 2, 2, 1], "strides": [1, 1, 1, 1],
                                                    "padding": "VALID"}, note="rank 3 input"))
        out.append(Case(op, [val(F32, (1, 4, 4, 2))], {"ksize": [1, 2, 2, 2], "strides": [1, 1, 1, 1],
                                                       "padding": "VALID"}, note="depth window"))
    # Batch normalization at inference.
    for op in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
        for dt in ([F32] if op == "FusedBatchNorm" else [F32, F16, BF16]):
            for fmt, shape in [("NHWC", (2, 3, 4, 5)), ("NCHW", (2, 5, 3, 4))]:
                params = [val(F32, (5,)), val(F32, (5,)), val(F32, (5,)), pos(F32, (5,))]
                # Only y, batch_mean and batch_variance: the reserve spaces are
                # scratch values TensorFlow leaves unspecified at inference.
                out.append(Case(op, [val(dt, shape)] + params,
                                {"epsilon": 0.001, "is_training": False, "data_format": fmt}, fetch=3))
        out.append(Case(op, [val(F32, (2, 3, 4, 5)), val(F32, (4,)), val(F32, (5,)), val(F32, (5,)),
                             pos(F32, (5,))], {"is_training": False}, note="scale size mismatch"))
    for dt in (F32, I32, STR, BOOL, F16):
        x = val(dt, (4, 6, 3))
        for axis, n in [(0, 2), (1, 3), (-1, 3), (1, 1)]:
            out.append(Case("Split", [const_i(axis), x], {"num_split": n}))
        for sizes, axis in [([1, 3], 0), ([2, -1, 1], 1), ([0, 3], 2), ([6], 1)]:
            out.append(Case("SplitV", [x, const_i(sizes), const_i(axis)], {"num_split": len(sizes)}))
    for dt in (F32, I64, STR, BOOL, F16):
        x = val(dt, (3, 4, 2))
        for axes in ([0], [1, 2], [-1], [], [0, 1, 2]):
            out.append(Case("ReverseV2", [x, const_i(axes)]))
    out.append(Case("ReverseV2", [val(F32, (3, 4)), const_i([0, -2])], note="axis twice"))
    out.append(Case("ReverseV2", [val(F32, (3, 4)), const_i([2])], note="axis out of range"))
    for op in ("Cumsum", "Cumprod"):
        for dt in (F32, F64, I32, I64, F16, C64):
            x = val(dt, (3, 5), 0.5, 1.5) if op == "Cumprod" else val(dt, (3, 5))
            for axis in (0, 1, -1):
                for exclusive, reverse in [(False, False), (True, False), (False, True), (True, True)]:
                    out.append(Case(op, [x, const_i(axis)], {"exclusive": exclusive, "reverse": reverse}))
        out.append(Case(op, [val(F32, (0, 3)), const_i(0)]))
        out.append(Case(op, [val(F32, (3,)), const_i(1)], note="axis out of range"))
    words = np.array([b"Hello World", b"", b"ABC def 123", b"\xc3\x89t\xc3\xa9 MIXED", b"x"], dtype=object)
    out.append(Case("StringLower", [words], label=STR))
    out.append(Case("StringUpper", [words.reshape(5, 1)], label=STR))
    for unit in ("BYTE", "UTF8_CHAR"):
        out.append(Case("StringLength", [words], {"unit": unit}, label=STR))
    for dt in (F32, F64, F16, BF16):
        for padding in ("VALID", "SAME"):
            for strides, dil in [([1, 1, 1, 1], [1, 1, 1, 1]), ([1, 2, 2, 1], [1, 1, 1, 1]),
                                 ([1, 1, 1, 1], [1, 2, 2, 1])]:
                # float16: TensorFlow accumulates in float16 (see the reductions).
                out.append(Case("DepthwiseConv2dNative", [val(dt, (2, 7, 8, 3)), val(dt, (3, 2, 3, 2))],
                                {"strides": strides, "padding": padding, "dilations": dil},
                                tol=(2e-3, 2e-2) if dt == F16 else None))
        out.append(Case("DepthwiseConv2dNative", [val(dt, (2, 3, 7, 8)), val(dt, (3, 3, 3, 1))],
                        {"strides": [1, 1, 1, 1], "padding": "SAME", "data_format": "NCHW"}, note="NCHW"))
    out.append(Case("DepthwiseConv2dNative", [val(F32, (1, 5, 5, 3)), val(F32, (3, 3, 2, 1))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID"}, note="depth mismatch"))
    for eq, shapes in [("ab,bc->ac", [(3, 4), (4, 5)]), ("abc,cd->abd", [(2, 3, 4), (4, 5)]),
                       ("abcd,aecd->acbe", [(2, 3, 2, 4), (2, 5, 2, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
                       ("ij->ji", [(3, 4)]), ("ii->i", [(4, 4)]), ("ij->", [(3, 4)]), ("ab,ab->a", [(3, 4), (3, 4)]),
                       ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("ab,cd", [(2, 3), (4, 5)]),
                       ("abc,abd->cd", [(0, 2, 3), (0, 2, 4)])]:
        for dt in (F32, F64, I32, F16, C64):
            out.append(Case("Einsum", [[val(dt, sh) for sh in shapes]], {"equation": eq}, label=dt,
                            tol=(2e-3, 2e-2) if dt == F16 else None))
    out.append(Case("Einsum", [[val(F32, (3, 4)), val(F32, (5, 6))]], {"equation": "ab,bc->ac"},
                    note="size mismatch"))
    out.append(Case("Einsum", [[val(F32, (3, 4)), val(F32, (4, 5))]], {"equation": "ab,bc->ad"},
                    note="unknown output label"))
    for dt in (F32, I64, F16):
        out.append(Case("ResourceGather", build=_resource_gather_case(dt), label=dt))
    for dt in (F32, F64, U8, I32, F16):
        img = val(dt, (2, 4, 5, 3), 0, 5) if dt in INTS else val(dt, (2, 4, 5, 3))
        for size in ([8, 10], [3, 2], [4, 5], [1, 1], [7, 3]):
            for ac, hp in [(False, False), (True, False), (False, True)]:
                attrs = {"align_corners": ac, "half_pixel_centers": hp}
                out.append(Case("ResizeBilinear", [img, const_i(size)], attrs))
                out.append(Case("ResizeNearestNeighbor", [img, const_i(size)], attrs))
    for op in ("ResizeBilinear", "ResizeNearestNeighbor"):
        out.append(Case(op, [val(F32, (1, 4, 4, 1)), const_i([0, 3])], note="zero output size"))
        out.append(Case(op, [val(F32, (4, 4, 1)), const_i([2, 2])], note="rank 3 image"))
    for dt in (F32, F64, F16):
        for padding in ("VALID", "SAME"):
            for strides in ([1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 3, 1]):
                fwd_in = (2, 7, 8, 3)
                kh, kw, oc = 3, 2, 4
                oh = (7 - kh) // strides[1] + 1 if padding == "VALID" else -(-7 // strides[1])
                ow = (8 - kw) // strides[2] + 1 if padding == "VALID" else -(-8 // strides[2])
                out.append(Case("Conv2DBackpropInput",
                                [const_i(fwd_in), val(dt, (kh, kw, 3, oc)), val(dt, (2, oh, ow, oc))],
                                {"strides": strides, "padding": padding},
                                tol=(2e-3, 2e-2) if dt == F16 else (1e-5, 1e-5)))
    out.append(Case("Conv2DBackpropInput", [const_i((2, 7, 8, 3)), val(F32, (3, 2, 3, 4)), val(F32, (2, 4, 4, 4))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID"}, note="out_backprop shape mismatch"))
    for dt in (F32, F64, F16):
        for padding in ("VALID", "SAME"):
            for strides in ([1, 1, 1, 1], [1, 2, 2, 1], [1, 2, 3, 1]):
                kh, kw, oc = 3, 2, 4
                oh = (7 - kh) // strides[1] + 1 if padding == "VALID" else -(-7 // strides[1])
                ow = (8 - kw) // strides[2] + 1 if padding == "VALID" else -(-8 // strides[2])
                # float16: TensorFlow sums the ~100 products in half (0.12 off the exact
                # result at |dW| ~ 85), ours in float rounded once (0.03 off).
                out.append(Case("Conv2DBackpropFilter",
                                [val(dt, (2, 7, 8, 3)), const_i((kh, kw, 3, oc)), val(dt, (2, oh, ow, oc))],
                                {"strides": strides, "padding": padding},
                                tol=(2e-3, 0.15) if dt == F16 else (1e-5, 1e-5)))
    out.append(Case("Conv2DBackpropFilter", [val(F32, (2, 3, 7, 8)), const_i((3, 2, 3, 4)), val(F32, (2, 4, 5, 7))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID", "data_format": "NCHW"}, tol=(1e-5, 1e-5),
                    note="NCHW"))
    out.append(Case("Conv2DBackpropFilter", [val(F32, (1, 9, 9, 2)), const_i((1, 1, 2, 5)), val(F32, (1, 9, 9, 5))],
                    {"strides": [1, 1, 1, 1], "padding": "SAME"}, tol=(1e-5, 1e-5), note="1x1"))
    out.append(Case("Conv2DBackpropFilter", [val(F32, (2, 7, 8, 3)), const_i((3, 2, 3, 4)), val(F32, (2, 4, 4, 4))],
                    {"strides": [1, 1, 1, 1], "padding": "VALID"}, note="out_backprop shape mismatch"))
    # _FusedConv2D, made by grappler (and by our graph passes) from Conv2D then
    # BiasAdd or FusedBatchNorm then an activation: TensorFlow runs the three
    # ops, ours the same graph with them made one _FusedConv2D node.
    for norm in (False, True):
        for act in (None, "Relu", "Relu6", "Elu", "LeakyRelu"):
            out.append(Case("_FusedConv2D", build=_fused_conv_build(norm, act), edit=_fused_conv_edit(norm, act),
                            label=F32, tol=(1e-5, 1e-5),
                            note="%s%s" % ("FusedBatchNorm" if norm else "BiasAdd", " + " + act if act else "")))
    # _FusedMatMul likewise, from MatMul then BiasAdd then an activation.
    for act in (None, "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"):
        for ta, tb in ((False, False), (True, True)):
            out.append(Case("_FusedMatMul", build=_fused_matmul_build(act, ta, tb), edit=_fused_matmul_edit(act),
                            label=F32, tol=(1e-5, 1e-5),
                            note="BiasAdd%s%s" % (" + " + act if act else "", ", transposed" if ta else "")))
    out.append(Case("Split", [const_i(1), val(F32, (4, 5))], {"num_split": 2}, note="uneven"))
    out.append(Case("Split", [const_i(2), val(F32, (4, 6))], {"num_split": 2}, note="axis out of range"))
    out.append(Case("SplitV", [val(F32, (4, 6)), const_i([-1, -1]), const_i(1)], {"num_split": 2},
                    note="two -1"))
    out.append(Case("SplitV", [val(F32, (4, 6)), const_i([2, 2]), const_i(1)], {"num_split": 2},
                    note="sizes do not add up"))
    out.append(Case("SplitV", [val(F32, (4, 6)), const_i([7, -1]), const_i(1)], {"num_split": 2},
                    note="sizes too large"))
    for dt in (F32, F64, I32, F16):
        for k in (1, 3, 6):
            for sorted_ in (True, False):
                x = val(dt, (3, 6))
                out.append(Case("TopKV2", [x, const_i(k)], {"sorted": sorted_} if sorted_ else {"sorted": True}))
        out.append(Case("TopKV2", [np.array([[1, 3, 3, 2, 3]], dtype=np_dtype(dt)), const_i(2)],
                        note="ties take the lower index"))
    out.append(Case("TopKV2", [val(F32, (2, 3)), const_i(4)], note="k > n"))
    out.append(Case("TopKV2", [val(F32, (2, 3)), const_i(-1)], note="negative k"))
    out.append(Case("TopKV2", [val(F32, (5,)), const_i(2, I64)]))
    return out


# ---------------------------------------------------------------------------
# Array ops.

CAST_TYPES = [F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, BOOL, C64]


def array_cases():
    out = []
    for src in CAST_TYPES:
        for dst in CAST_TYPES:
            if src == dst:
                continue
            if src in FLOATS:
                # In-range values: out-of-range float->int casts are undefined in C++ and differ
                # by platform in TensorFlow too; NaN and Inf are compared only float->float.
                x = val(src, (3, 5), -100, 100)
                if dst in UNSIGNED or dst == U8:
                    x = val(src, (3, 5), 0, 100)
                if dst in FLOATS or dst in (C64, C128):
                    x = val(src, (3, 7), special=True) if src != BF16 else x
            elif src in (C64,):
                if dst in INTS or dst == BOOL:
                    continue
                x = val(src, (3, 5))
            else:
                x = val(src, (3, 5), special=True)
            out.append(Case("Cast", [x], {"DstT": dst}, label="%s->%s" % (src, dst)))
    out.append(Case("Cast", [val(F32, (4,), 0, 100)], {"DstT": I32, "Truncate": True}, label="float32->int32"))
    out.append(Case("Cast", [val(F32, (3, 4))], {"DstT": F64}, grad=[0], label="float32->float64"))
    for dt in (F32, I32, STR, BOOL, F16, I64):
        for axis in (0, 1, -1, 2):
            out.append(Case("Pack", [[val(dt, (2, 3)) for _ in range(3)]], {"axis": axis}))
        out.append(Case("Pack", [[val(dt, ())]], {"axis": 0}))
        for axis in (0, 1, -1):
            out.append(Case("Unpack", [val(dt, (3, 4, 2))], {"num": (3, 4, 2)[axis], "axis": axis}))
        for axis in (0, 1, -1):
            xs = [val(dt, (2, 3)), val(dt, (2, 3)), val(dt, (2, 3))]
            out.append(Case("ConcatV2", [xs, const_i(axis)]))
            out.append(Case("Concat", [const_i(axis), xs]))
        out.append(Case("ConcatV2", [[val(dt, (2, 0)), val(dt, (2, 3))], const_i(1)]))
    out.append(Case("Pack", [[val(F32, (2, 3)), val(F32, (3, 2))]], {"axis": 0}, note="shape mismatch"))
    out.append(Case("Pack", [[val(F32, (2, 3))] * 2], {"axis": 3}, note="axis out of range"))
    out.append(Case("Unpack", [val(F32, (3, 4))], {"num": 4, "axis": 0}, note="num mismatch"))
    out.append(Case("ConcatV2", [[val(F32, (2, 3)), val(F32, (3, 3))], const_i(1)], note="shape mismatch"))
    out.append(Case("ConcatV2", [[val(F32, (2, 3)), val(F32, (2, 3))], const_i(2)], note="axis out of range"))
    out.append(Case("ConcatV2", [[val(F32, (2, 3)), val(F32, (2, 3))], const_i(0, I64)]))
    for dt in (F32, I64, STR, BOOL, F16):
        x = val(dt, (4, 5, 3))
        out.append(Case("Slice", [x, const_i([1, 0, 1]), const_i([2, -1, 2])]))
        out.append(Case("Slice", [x, const_i([0, 0, 0], I64), const_i([4, 5, 0], I64)]))
        for spec in [([1], [3], [1], {}), ([0, 1], [4, 5], [2, 2], {}), ([-1], [0], [-1], {}),
                     ([3, 4], [0, 0], [-1, -2], {}), ([1, 0], [2, 0], [1, 1], {"shrink_axis_mask": 1}),
                     ([0, 0], [0, 3], [1, 1], {"begin_mask": 1, "end_mask": 1}),
                     ([0, 1], [0, 3], [1, 1], {"ellipsis_mask": 1}),
                     ([0, 0], [0, 2], [1, 1], {"new_axis_mask": 1}),
                     ([10], [20], [1], {}), ([-10], [10], [1], {}), ([2], [1], [1], {})]:
            b, e, s, masks = spec
            out.append(Case("StridedSlice", [x, const_i(b), const_i(e), const_i(s)], masks))
        for m in ([1, 2, 1], [2, 1, 3], [1, 1, 0]):
            out.append(Case("Tile", [x, const_i(m)]))
        out.append(Case("Transpose", [x, const_i([2, 0, 1])]))
        out.append(Case("Transpose", [x, const_i([0, 1, 2], I64)]))
        out.append(Case("Reshape", [x, const_i([5, -1])]))
        out.append(Case("Reshape", [x, const_i([60], I64)]))
        out.append(Case("ExpandDims", [x, const_i(-1)]))
        out.append(Case("ExpandDims", [x, const_i(0)]))
        out.append(Case("Squeeze", [val(dt, (1, 3, 1, 2))]))
        out.append(Case("Squeeze", [val(dt, (1, 3, 1, 2))], {"axis": [-2]}))
        out.append(Case("Identity", [x]))
        out.append(Case("Snapshot", [x]))
        out.append(Case("StopGradient", [x]))
        out.append(Case("PreventGradient", [x]))
        out.append(Case("IdentityN", [[x, val(I32, (2,))]], label=dtype_name(x)))
        out.append(Case("ZerosLike", [x]))
        if dt != STR:
            out.append(Case("OnesLike", [x]))
        for ot in (I32, I64):
            out.append(Case("Shape", [x], {"out_type": ot}))
            out.append(Case("ShapeN", [[x, val(dt, ())]], {"out_type": ot}))
            out.append(Case("Size", [x], {"out_type": ot}))
        out.append(Case("Rank", [x]))
        out.append(Case("Fill", [const_i([2, 3]), val(dt, ())]))
        out.append(Case("Fill", [const_i([0, 3], I64), val(dt, ())]))
        for axis, bd in [(0, 0), (1, 0), (-1, 0), (1, 1)]:
            idx = np.array([[0, 2], [1, 1], [3, 0], [2, 2]], dtype=I32) if bd else np.array([[0, 2], [1, 1]], dtype=I32)
            if bd == 0:
                idx = idx % x.shape[axis]
            out.append(Case("GatherV2", [x, idx, const_i(axis)], {"batch_dims": bd}))
        out.append(Case("Gather", [x, np.array([3, 0, 0], dtype=I64)]))
        cond = val(BOOL, (4, 5, 3))
        out.append(Case("Select", [cond, x, val(dt, (4, 5, 3))]))
        out.append(Case("Select", [val(BOOL, (4,)), x, val(dt, (4, 5, 3))], note="vector condition"))
        out.append(Case("SelectV2", [val(BOOL, (5, 1)), x, val(dt, (3,))]))
    out.append(Case("Slice", [val(F32, (4, 5)), const_i([3, 0]), const_i([2, 1])], note="out of bounds"))
    out.append(Case("StridedSlice", [val(F32, (4,)), const_i([0]), const_i([2]), const_i([0])], note="zero stride"))
    out.append(Case("StridedSlice", [val(F32, (4, 3)), const_i([5, 0]), const_i([6, 1]), const_i([1, 1])],
                    {"shrink_axis_mask": 1}, note="shrink index out of range"))
    out.append(Case("Tile", [val(F32, (2, 3)), const_i([2])], note="multiples length mismatch"))
    out.append(Case("Tile", [val(F32, (2, 3)), const_i([2, -1])], note="negative multiple"))
    out.append(Case("Transpose", [val(F32, (2, 3)), const_i([0, 0])], note="not a permutation"))
    out.append(Case("Reshape", [val(F32, (2, 3)), const_i([4, -1])], note="incompatible size"))
    out.append(Case("Reshape", [val(F32, (2, 3)), const_i([-1, -1])], note="two -1"))
    out.append(Case("Reshape", [val(F32, (0, 3)), const_i([0, -1])], note="zero size with -1"))
    out.append(Case("Squeeze", [val(F32, (1, 3))], {"axis": [1]}, note="squeeze a non-1 dim"))
    out.append(Case("ExpandDims", [val(F32, (2, 3)), const_i(4)], note="axis out of range"))
    out.append(Case("GatherV2", [val(F32, (4, 3)), np.array([0, 4], dtype=I32), const_i(0)],
                    note="index out of range"))
    out.append(Case("GatherV2", [val(F32, (4, 3)), np.array([0, -1], dtype=I64), const_i(0)],
                    note="negative index"))
    out.append(Case("Select", [val(BOOL, (3,)), val(F32, (4, 2)), val(F32, (4, 2))], note="shape mismatch"))
    out.append(Case("Fill", [const_i([2, -3]), val(F32, ())], note="negative dim"))
    for dt in (F32, F64, I32, I64, U8, BOOL, F16):
        for axis in (-1, 0, 1):
            idx = np.array([[0, 2, -1], [3, 1, 5]], dtype=I32)
            out.append(Case("OneHot", [idx, const_i(4), val(dt, ()), val(dt, ())], {"axis": axis}))
        out.append(Case("OneHot", [np.array([1, 0], dtype=I64), const_i(3), val(dt, ()), val(dt, ())]))
    out.append(Case("OneHot", [np.array([1, 0], dtype=U8), const_i(3), val(F32, ()), val(F32, ())]))
    out.append(Case("OneHot", [np.array([1, 0], dtype=I32), const_i(-2), val(F32, ()), val(F32, ())],
                    note="negative depth"))
    for dt, args in [(I32, (0, 10, 3)), (I32, (10, 0, -3)), (I64, (-5, 5, 2)), (F32, (0.0, 1.0, 0.3)),
                     (F64, (1.0, -1.0, -0.25)), (I32, (3, 3, 1)), (F32, (0.5, 0.5, 1.0)),
                     (I64, (0, 7, 7))]:
        out.append(Case("Range", [np.array(a, dtype=dt) for a in args]))
    out.append(Case("Range", [np.array(a, dtype=I32) for a in (0, 10, 0)], note="zero delta"))
    out.append(Case("Range", [np.array(a, dtype=I32) for a in (0, 10, -1)], note="wrong sign delta"))
    # StopGradient blocks one path: d(x * StopGradient(x))/dx = StopGradient(x).
    def stop_gradient_case(tf):
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        y = tf.multiply(x, tf.raw_ops.StopGradient(input=x, name="sg"), name="op")
        return [y], {x: val(F32, (3, 4))}
    out.append(Case("StopGradient", build=stop_gradient_case, grad=[0], label=F32))
    # Gradients of the array ops our gradient registry covers.
    for dt in (F32, F64):
        out.append(Case("Reshape", [val(dt, (3, 4)), const_i([2, 6])], grad=[0]))
        out.append(Case("Identity", [val(dt, (3, 4))], grad=[0]))
    return out


# ---------------------------------------------------------------------------
# Ops whose cases are small graphs.

def graph_cases():
    out = []

    def const_case(tf):
        c1 = tf.constant(val(F32, (3, 4)), name="c_f32")
        c2 = tf.constant(val(STR, (2, 3)), name="c_str")
        c3 = tf.constant(np.full((2, 2), 7, dtype=np.int64), name="c_fill")  # repeated-value encoding
        c4 = tf.constant(val(F16, (5,)), name="c_f16")
        c5 = tf.constant(val(BF16, (5,)), name="c_bf16")
        c6 = tf.constant(val(C64, (2,)), name="c_c64")
        c7 = tf.constant(val(BOOL, (7,)), name="c_bool")
        return [c1, c2, c3, c4, c5, c6, c7], {}
    out.append(Case("Const", build=const_case, label="mixed"))

    def placeholder_case(tf):
        x = val(F32, (2, 3))
        p = tf.compat.v1.placeholder(tf.float32, shape=[None, 3], name="p")
        d = tf.raw_ops.PlaceholderWithDefault(input=tf.constant(val(F32, (2,)), name="dflt"), shape=[2], name="pwd")
        fed = tf.raw_ops.PlaceholderWithDefault(input=tf.constant(val(F32, (2,)), name="dflt2"),
                                                shape=[None], name="pwd_fed")
        return [tf.identity(p), d, fed], {p: x, fed: val(F32, (3,))}
    out.append(Case("Placeholder", build=placeholder_case, label=F32))
    out.append(Case("PlaceholderWithDefault", build=placeholder_case, label=F32))

    def unfed_case(tf):
        p = tf.compat.v1.placeholder(tf.float32, shape=[None, 3], name="p")
        return [tf.identity(p)], {}
    out.append(Case("Placeholder", build=unfed_case, label=F32, note="unfed placeholder"))

    # TensorFlow no longer builds PlaceholderV2 (removed at GraphDef version 23;
    # "Placeholder now behaves the same"), but old graphs hold it: TensorFlow
    # runs the Placeholder graph, ours the same graph with the op renamed.
    def placeholder_v2_case(tf):
        p = tf.compat.v1.placeholder(tf.int64, shape=[2, None], name="p")
        return [tf.identity(p)], {p: val(I64, (2, 3))}

    def to_v2(graph_def):
        for node in graph_def.node:
            if node.op == "Placeholder":
                node.op = "PlaceholderV2"
    out.append(Case("PlaceholderV2", build=placeholder_v2_case, label=I64, edit=to_v2))

    def noop_case(tf):
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        with tf.control_dependencies([tf.raw_ops.NoOp(name="nop")]):
            y = tf.identity(x, name="y")
        return [y], {x: val(F32, (3,))}
    out.append(Case("NoOp", build=noop_case, label=F32))

    def variable_case(tf, op):
        def build(tf):
            init = tf.compat.v1.placeholder(tf.float32, name="init")
            delta = tf.compat.v1.placeholder(tf.float32, name="delta")
            v = getattr(tf.raw_ops, op)(shape=[2, 3], dtype=tf.float32, name="v")
            a = tf.raw_ops.Assign(ref=v, value=init, name="assign")
            with tf.control_dependencies([a]):
                inited = tf.raw_ops.IsVariableInitialized(ref=v, name="inited")
                add = tf.raw_ops.AssignAdd(ref=v, value=delta, name="add")
            with tf.control_dependencies([add]):
                sub = tf.raw_ops.AssignSub(ref=v, value=delta * 3, name="sub")
            with tf.control_dependencies([sub]):
                read = tf.raw_ops.RefIdentity(input=v, name="refid")
            return [tf.identity(read, name="out"), inited], {init: val(F32, (2, 3)), delta: val(F32, (2, 3))}
        return build
    for op in ("VariableV2", "Variable", "Assign", "AssignAdd", "AssignSub", "IsVariableInitialized",
               "RefIdentity"):
        out.append(Case(op, build=variable_case(None, "VariableV2" if op != "Variable" else "Variable"),
                        label=F32))

    def uninit_case(tf):
        v = tf.raw_ops.VariableV2(shape=[2], dtype=tf.float32, name="v")
        return [tf.identity(v, name="out")], {}
    out.append(Case("VariableV2", build=uninit_case, label=F32, note="read before init"))

    def resource_case(tf):
        init = tf.compat.v1.placeholder(tf.float32, name="init")
        delta = tf.compat.v1.placeholder(tf.float32, name="delta")
        h = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2, 3], shared_name="rv", name="h")
        before = tf.raw_ops.VarIsInitializedOp(resource=h, name="before")
        with tf.control_dependencies([before]):
            a = tf.raw_ops.AssignVariableOp(resource=h, value=init, name="assign")
        with tf.control_dependencies([a]):
            after = tf.raw_ops.VarIsInitializedOp(resource=h, name="after")
            add = tf.raw_ops.AssignAddVariableOp(resource=h, value=delta, name="add")
        with tf.control_dependencies([add]):
            sub = tf.raw_ops.AssignSubVariableOp(resource=h, value=delta * 2, name="sub")
        with tf.control_dependencies([sub]):
            r = tf.raw_ops.ReadVariableOp(resource=h, dtype=tf.float32, name="read")
        with tf.control_dependencies([r, after, before]):
            dc = tf.raw_ops.DisableCopyOnRead(resource=h, name="dcor")
        with tf.control_dependencies([dc]):
            d = tf.raw_ops.DestroyResourceOp(resource=h, name="destroy")
        with tf.control_dependencies([d]):
            out_ = tf.identity(r, name="out")
        return [before, after, out_], {init: val(F32, (2, 3)), delta: val(F32, (2, 3))}
    for op in ("VarHandleOp", "ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp",
               "AssignSubVariableOp", "VarIsInitializedOp", "DestroyResourceOp", "DisableCopyOnRead"):
        out.append(Case(op, build=resource_case, label=F32))

    def read_uninit_resource(tf):
        h = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2], shared_name="u", name="h")
        return [tf.raw_ops.ReadVariableOp(resource=h, dtype=tf.float32, name="read")], {}
    out.append(Case("ReadVariableOp", build=read_uninit_resource, label=F32, note="uninitialized"))

    def wrong_dtype_resource(tf):
        h = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=[2], shared_name="w", name="h")
        a = tf.raw_ops.AssignVariableOp(resource=h, value=tf.constant([1, 2], tf.int32), name="assign")
        return [a], {}
    out.append(Case("AssignVariableOp", build=wrong_dtype_resource, label=I32, note="wrong dtype"))

    # Optimizer kernels, on ref and resource variables.
    def optimizer_case(kind, resource):
        def build(tf):
            shape = [3, 4]
            w0 = val(F32, shape)
            g = tf.compat.v1.placeholder(tf.float32, name="grad")
            feeds = {g: val(F32, shape)}
            if resource:
                def var(name, init):
                    h = tf.raw_ops.VarHandleOp(dtype=tf.float32, shape=shape, shared_name=name, name=name)
                    return h, tf.raw_ops.AssignVariableOp(resource=h, value=tf.constant(init), name=name + "/init")
            else:
                def var(name, init):
                    v = tf.raw_ops.VariableV2(shape=shape, dtype=tf.float32, name=name)
                    return v, tf.raw_ops.Assign(ref=v, value=tf.constant(init), name=name + "/init")
            w, wi = var("w", w0)
            inits = [wi]
            lr = tf.constant(0.1, name="lr")
            prefix = "Resource" if resource else ""
            if kind == "GradientDescent":
                with tf.control_dependencies(inits):
                    step = getattr(tf.raw_ops, prefix + "ApplyGradientDescent")(var=w, alpha=lr, delta=g, name="step")
            elif kind == "Momentum":
                m, mi = var("m", val(F32, shape))
                inits.append(mi)
                with tf.control_dependencies(inits):
                    step = getattr(tf.raw_ops, prefix + "ApplyMomentum")(
                        var=w, accum=m, lr=lr, grad=g, momentum=tf.constant(0.9), use_nesterov=False, name="step")
            else:
                m, mi = var("m", val(F32, shape))
                v, vi = var("v", np.abs(val(F32, shape)))
                inits += [mi, vi]
                with tf.control_dependencies(inits):
                    step = getattr(tf.raw_ops, prefix + "ApplyAdam")(
                        var=w, m=m, v=v, beta1_power=tf.constant(0.81), beta2_power=tf.constant(0.998),
                        lr=lr, beta1=tf.constant(0.9), beta2=tf.constant(0.999), epsilon=tf.constant(1e-7),
                        grad=g, name="step")
            with tf.control_dependencies([step]):
                if resource:
                    outv = tf.raw_ops.ReadVariableOp(resource=w, dtype=tf.float32, name="out")
                else:
                    outv = tf.identity(w, name="out")
            return [outv], feeds
        return build
    for kind in ("GradientDescent", "Momentum", "Adam"):
        for resource in (False, True):
            op = ("Resource" if resource else "") + "Apply" + kind
            out.append(Case(op, build=optimizer_case(kind, resource), label=F32,
                            tol=(1e-6, 1e-6)))

    # Gradient helper kernels.
    for sa, sb in [([2, 3, 4], [4]), ([3, 1], [1, 5]), ([], [2, 2]), ([2, 3], [2, 3])]:
        out.append(Case("BroadcastGradientArgs", [const_i(sa), const_i(sb)]))
    out.append(Case("BroadcastGradientArgs", [const_i([2, 3], I64), const_i([3], I64)]))
    out.append(Case("BroadcastGradientArgs", [const_i([2, 3]), const_i([4])], note="incompatible"))
    out.append(Case("ConcatOffset", [const_i(1), [const_i([2, 3, 4]), const_i([2, 5, 4]), const_i([2, 1, 4])]]))
    out.append(Case("ConcatOffset", [const_i(1), [const_i([2, 3]), const_i([3, 5])]], note="mismatch"))
    for op in ("ReluGrad", "SigmoidGrad", "TanhGrad"):
        for dt in (F32, F64, F16):
            out.append(Case(op, [val(dt, (3, 4)), val(dt, (3, 4), -1, 1)]))
    for dt in (F32, F64):
        out.append(Case("BiasAddGrad", [val(dt, (3, 4))]))
        out.append(Case("BiasAddGrad", [val(dt, (2, 3, 5, 4))]))
        out.append(Case("BiasAddGrad", [val(dt, (2, 4, 3, 5))], {"data_format": "NCHW"}))

    # Checkpoint I/O. Paths are fed as strings relative to the case folder's
    # "files" directory, filled in by the generator (see FILES below).
    def save_restore_case(tf):
        prefix = tf.compat.v1.placeholder(tf.string, name="prefix")
        tensors = [tf.constant(val(F32, (3, 4))), tf.constant(val(I64, (5,))), tf.constant(val(STR, (2,))),
                   tf.constant(val(F16, (2, 2))), tf.constant(val(BOOL, (3,)))]
        names = ["a", "b/c", "s", "h", "z"]
        save = tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * 5,
                                 tensors=tensors, name="save")
        with tf.control_dependencies([save]):
            restored = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=["s", "a", "z", "h", "b/c"],
                                            shape_and_slices=[""] * 5,
                                            dtypes=[tf.string, tf.float32, tf.bool, tf.float16, tf.int64],
                                            name="restore")
        return list(restored), {prefix: np.array(FILES + "/ckpt_roundtrip", dtype=object)}
    out.append(Case("SaveV2", build=save_restore_case, label="mixed"))
    out.append(Case("RestoreV2", build=save_restore_case, label="mixed"))

    def restore_tf_written(tf):
        prefix = tf.compat.v1.placeholder(tf.string, name="prefix")
        restored = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=["x", "y"], shape_and_slices=["", ""],
                                        dtypes=[tf.float64, tf.int32], name="restore")
        return list(restored), {prefix: np.array(FILES + "/tf_written", dtype=object)}
    out.append(Case("RestoreV2", build=restore_tf_written, label="mixed", note="checkpoint written by TensorFlow"))

    def restore_missing(tf):
        prefix = tf.compat.v1.placeholder(tf.string, name="prefix")
        restored = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=["nope"], shape_and_slices=[""],
                                        dtypes=[tf.float32], name="restore")
        return list(restored), {prefix: np.array(FILES + "/tf_written", dtype=object)}
    out.append(Case("RestoreV2", build=restore_missing, label=F32, note="tensor not in checkpoint"))

    def restore_wrong_dtype(tf):
        prefix = tf.compat.v1.placeholder(tf.string, name="prefix")
        restored = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=["x"], shape_and_slices=[""],
                                        dtypes=[tf.float32], name="restore")
        return list(restored), {prefix: np.array(FILES + "/tf_written", dtype=object)}
    out.append(Case("RestoreV2", build=restore_wrong_dtype, label=F32, note="dtype mismatch"))

    def merge_case(tf):
        tmp = tf.compat.v1.placeholder(tf.string, name="tmp")
        final = tf.compat.v1.placeholder(tf.string, name="final")
        fname = tf.raw_ops.ShardedFilename(basename=tmp, shard=0, num_shards=1, name="shard")
        save = tf.raw_ops.SaveV2(prefix=fname, tensor_names=["w"], shape_and_slices=[""],
                                 tensors=[tf.constant(val(F32, (4,)))], name="save")
        with tf.control_dependencies([save]):
            merge = tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=tf.stack([fname]),
                                                  destination_prefix=final, name="merge")
        with tf.control_dependencies([merge]):
            r = tf.raw_ops.RestoreV2(prefix=final, tensor_names=["w"], shape_and_slices=[""],
                                     dtypes=[tf.float32], name="restore")
        return [fname, r[0]], {tmp: np.array(FILES + "/merge_tmp/part", dtype=object),
                               final: np.array(FILES + "/merged", dtype=object)}
    for op in ("MergeV2Checkpoints", "ShardedFilename"):
        out.append(Case(op, build=merge_case, label="mixed"))
    for shard, n in [(0, 1), (3, 10), (99999, 100000)]:
        out.append(Case("ShardedFilename", [np.array(b"/tmp/model/part", dtype=object),
                                            np.array(shard, dtype=I32), np.array(n, dtype=I32)]))
    out.append(Case("StringJoin", [[val(STR, (3,)), np.array(b"-", dtype=object), val(STR, (3,))]],
                    {"separator": "/"}))
    out.append(Case("StringJoin", [[val(STR, (2, 2)), val(STR, (2, 2))]]))
    out.append(Case("StringJoin", [[val(STR, (2,)), val(STR, (3,))]], note="shape mismatch"))
    # StringFormat: tf.print's text (summarized axes, strings quoted), as cppflow prints tensors.
    out.append(Case("StringFormat", [[val(F32, (2, 3, 4))]], {"template": "x=%s", "summarize": 2}))
    out.append(Case("StringFormat", [[val(I32, (10,)), val(STR, (2,))]], {"template": "%s and %s"}))
    out.append(Case("StringFormat", [[val(F64, ()), val(I64, (7, 1))]],
                    {"template": "{} / {}", "placeholder": "{}", "summarize": -1}))
    out.append(Case("StringFormat", [[val(F32, (3,))]], {"template": "%s %s"}, note="placeholder count"))

    # Whole-file I/O: a file the generator wrote, a round trip through a new
    # directory (WriteFile creates it), bytes that are not text, a missing file.
    def read_file_case(name):
        def build(tf):
            fname = tf.compat.v1.placeholder(tf.string, name="fname")
            return [tf.raw_ops.ReadFile(filename=fname, name="read")], {
                fname: np.array(FILES + "/" + name, dtype=object)}
        return build
    out.append(Case("ReadFile", build=read_file_case("vocab.txt"), label=STR))
    out.append(Case("ReadFile", build=read_file_case("no_such_file"), label=STR, note="missing file"))

    def write_file_case(tf):
        fname = tf.compat.v1.placeholder(tf.string, name="fname")
        data = tf.compat.v1.placeholder(tf.string, name="data")
        write = tf.raw_ops.WriteFile(filename=fname, contents=data, name="write")
        with tf.control_dependencies([write]):
            back = tf.raw_ops.ReadFile(filename=fname, name="read")
        return [back], {fname: np.array(FILES + "/write_dir/sub/out.bin", dtype=object),
                        data: np.array(b"\x00\xffbytes\n", dtype=object)}
    out.append(Case("WriteFile", build=write_file_case, label=STR))
    # Globs over files the generator wrote before any case ran (cases write
    # more files beside them, at different times on the two sides).
    def matching_files_case(patterns):
        def build(tf):
            p = tf.compat.v1.placeholder(tf.string, name="patterns")
            arr = np.array([FILES + "/" + x for x in patterns], dtype=object)
            return [tf.raw_ops.MatchingFiles(pattern=p, name="match")], {
                p: arr if len(patterns) > 1 else arr.reshape(())}
        return build
    out.append(Case("MatchingFiles", build=matching_files_case(["[pv]*.t?[tv]"]), label=STR))
    out.append(Case("MatchingFiles", build=matching_files_case(["v*", "*.tsv", "vocab.txt", "nope/*", "x?"]),
                    label=STR, note="several patterns, duplicates, no match"))

    # Lookup tables.
    def table_case(init_op, key_dt, val_dt):
        def build(tf):
            keys = np.array([b"a", b"bb", b"ccc"], dtype=object) if key_dt == STR else np.array([3, 1, 7], key_dt)
            vals = np.array([10, 20, 30], dtype=val_dt) if val_dt != STR else np.array([b"x", b"y", b"z"], dtype=object)
            q = tf.compat.v1.placeholder(tf.string if key_dt == STR else tf.as_dtype(key_dt), name="q")
            h = tf.raw_ops.HashTableV2(key_dtype=tf.string if key_dt == STR else tf.as_dtype(key_dt),
                                       value_dtype=tf.string if val_dt == STR else tf.as_dtype(val_dt),
                                       shared_name="t", name="table")
            init = getattr(tf.raw_ops, init_op)(table_handle=h, keys=tf.constant(keys), values=tf.constant(vals),
                                                name="init")
            dflt = tf.constant(b"?" if val_dt == STR else np.array(-1, dtype=val_dt), name="dflt")
            with tf.control_dependencies([init]):
                found = tf.raw_ops.LookupTableFindV2(table_handle=h, keys=q, default_value=dflt, name="find")
                size = tf.raw_ops.LookupTableSizeV2(table_handle=h, name="size")
            qv = (np.array([[b"a", b"zz"], [b"ccc", b""]], dtype=object) if key_dt == STR
                  else np.array([[7, 2], [3, 1]], dtype=key_dt))
            return [found, size], {q: qv}
        return build
    for op in ("HashTableV2", "InitializeTableV2", "LookupTableFindV2", "LookupTableSizeV2"):
        out.append(Case(op, build=table_case("InitializeTableV2", STR, I64), label="string->int64"))
    out.append(Case("LookupTableImportV2", build=table_case("LookupTableImportV2", I64, STR), label="int64->string"))
    out.append(Case("InitializeTableV2", build=table_case("InitializeTableV2", I32, F32), label="int32->float32"))

    def mutable_table_case(key_dt, val_dt):
        # Import, insert over it, remove, find; the export (in hash order on
        # both sides) is checked by importing it into a second table.
        def build(tf):
            kd = tf.string if key_dt == STR else tf.as_dtype(key_dt)
            vd = tf.string if val_dt == STR else tf.as_dtype(val_dt)
            keys = (np.array([b"a", b"bb", b"ccc"], dtype=object) if key_dt == STR
                    else np.array([3, 1, 7], key_dt))
            more = np.array([b"bb", b"dd"], dtype=object) if key_dt == STR else np.array([1, 9], key_dt)
            vals = (np.array([b"x", b"y", b"z"], dtype=object) if val_dt == STR
                    else np.array([10, 20, 30], dtype=val_dt))
            more_vals = np.array([b"u", b"v"], dtype=object) if val_dt == STR else np.array([-5, 50], dtype=val_dt)
            gone = np.array([b"a"], dtype=object) if key_dt == STR else np.array([3], key_dt)
            q = tf.compat.v1.placeholder(kd, name="q")
            h = tf.raw_ops.MutableHashTableV2(key_dtype=kd, value_dtype=vd, shared_name="m", name="table")
            imp = tf.raw_ops.LookupTableImportV2(table_handle=h, keys=tf.constant(keys), values=tf.constant(vals))
            with tf.control_dependencies([imp]):
                ins = tf.raw_ops.LookupTableInsertV2(table_handle=h, keys=tf.constant(more),
                                                     values=tf.constant(more_vals), name="insert")
            with tf.control_dependencies([ins]):
                rem = tf.raw_ops.LookupTableRemoveV2(table_handle=h, keys=tf.constant(gone), name="remove")
            dflt = tf.constant(b"?" if val_dt == STR else np.array(-1, dtype=val_dt), name="dflt")
            with tf.control_dependencies([rem]):
                found = tf.raw_ops.LookupTableFindV2(table_handle=h, keys=q, default_value=dflt, name="find")
                size = tf.raw_ops.LookupTableSizeV2(table_handle=h, name="size")
                ek, ev = tf.raw_ops.LookupTableExportV2(table_handle=h, Tkeys=kd, Tvalues=vd, name="export")
            h2 = tf.raw_ops.MutableHashTableV2(key_dtype=kd, value_dtype=vd, shared_name="m2", name="copy")
            imp2 = tf.raw_ops.LookupTableImportV2(table_handle=h2, keys=ek, values=ev)
            with tf.control_dependencies([imp2]):
                found2 = tf.raw_ops.LookupTableFindV2(table_handle=h2, keys=q, default_value=dflt)
            qv = (np.array([[b"a", b"bb"], [b"ccc", b"dd"]], dtype=object) if key_dt == STR
                  else np.array([[3, 1], [7, 9]], dtype=key_dt))
            return [found, size, found2], {q: qv}
        return build
    for op in ("MutableHashTableV2", "LookupTableInsertV2", "LookupTableRemoveV2", "LookupTableExportV2"):
        out.append(Case(op, build=mutable_table_case(STR, I64), label="string->int64"))
    out.append(Case("MutableHashTableV2", build=mutable_table_case(I64, F32), label="int64->float32"))
    out.append(Case("MutableHashTableV2", build=mutable_table_case(I32, STR), label="int32->string"))

    def mutable_size_mismatch(tf):
        h = tf.raw_ops.MutableHashTableV2(key_dtype=tf.int64, value_dtype=tf.float32, shared_name="b")
        k = tf.compat.v1.placeholder(tf.int64, name="k")
        ins = tf.raw_ops.LookupTableInsertV2(table_handle=h, keys=k, values=tf.constant([1.0, 2.0]))
        with tf.control_dependencies([ins]):
            size = tf.raw_ops.LookupTableSizeV2(table_handle=h)
        return [size], {k: np.array([1, 2, 3], np.int64)}
    out.append(Case("LookupTableInsertV2", build=mutable_size_mismatch, label="int64->float32",
                    note="keys and values differ in size"))

    def text_file_case(key_index, value_index, key_dt, val_dt, vocab):
        def build(tf):
            fname = tf.compat.v1.placeholder(tf.string, name="fname")
            kd = tf.string if key_dt == STR else tf.as_dtype(key_dt)
            vd = tf.string if val_dt == STR else tf.as_dtype(val_dt)
            h = tf.raw_ops.HashTableV2(key_dtype=kd, value_dtype=vd, shared_name="t", name="table")
            init = tf.raw_ops.InitializeTableFromTextFileV2(table_handle=h, filename=fname, key_index=key_index,
                                                            value_index=value_index, delimiter="\t", name="init")
            q = tf.compat.v1.placeholder(kd, name="q")
            dflt = tf.constant(b"?" if val_dt == STR else np.array(-1, dtype=val_dt), name="dflt")
            with tf.control_dependencies([init]):
                found = tf.raw_ops.LookupTableFindV2(table_handle=h, keys=q, default_value=dflt, name="find")
            qv = (np.array([b"apple", b"kiwi", b"cherry"], dtype=object) if key_dt == STR
                  else np.array([0, 2, 9], dtype=key_dt))
            return [found], {fname: np.array(FILES + "/" + vocab, dtype=object), q: qv}
        return build
    out.append(Case("InitializeTableFromTextFileV2", build=text_file_case(-2, -1, STR, I64, "vocab.txt"),
                    label="line->line number"))
    out.append(Case("InitializeTableFromTextFileV2", build=text_file_case(0, 1, STR, I64, "pairs.tsv"),
                    label="column 0->column 1"))
    out.append(Case("InitializeTableFromTextFileV2", build=text_file_case(-1, -2, I64, STR, "vocab.txt"),
                    label="line number->line"))
    out.append(Case("InitializeTableFromTextFileV2", build=text_file_case(0, 2, STR, I64, "pairs.tsv"),
                    label="column 0->column 2", note="missing column"))

    # tf.Example parsing.
    def parse_case(v2):
        def build(tf):
            ex = []
            for i in range(3):
                feats = {"age": tf.train.Feature(float_list=tf.train.FloatList(value=[float(i) + 0.5])),
                         "ids": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i + 1)))),
                         "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"n%d" % i]))}
                if i != 1:
                    feats["vec"] = tf.train.Feature(float_list=tf.train.FloatList(value=[i, i + 1.0]))
                ex.append(tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString())
            s = tf.compat.v1.placeholder(tf.string, name="serialized")
            dflt_vec = tf.constant([9.0, 9.0], name="dflt_vec")
            if v2:
                outs = tf.raw_ops.ParseExampleV2(
                    serialized=s, names=tf.constant([], tf.string), sparse_keys=tf.constant(["ids"]),
                    dense_keys=tf.constant(["age", "vec", "name"]), ragged_keys=tf.constant([], tf.string),
                    dense_defaults=[tf.constant([], tf.float32), dflt_vec, tf.constant("", tf.string)],
                    num_sparse=1, sparse_types=[tf.int64], ragged_value_types=[], ragged_split_types=[],
                    dense_shapes=[[1], [2], []], name="parse")
            else:
                outs = tf.raw_ops.ParseExample(
                    serialized=s, names=tf.constant([], tf.string), sparse_keys=[tf.constant("ids")],
                    dense_keys=[tf.constant("age"), tf.constant("vec"), tf.constant("name")],
                    dense_defaults=[tf.constant([], tf.float32), dflt_vec, tf.constant("", tf.string)],
                    sparse_types=[tf.int64], dense_shapes=[[1], [2], []], name="parse")
            flat = [t for group in outs for t in (group if isinstance(group, (list, tuple)) else [group])]
            return flat, {s: np.array(ex, dtype=object)}
        return build
    out.append(Case("ParseExample", build=parse_case(False), label="mixed"))
    out.append(Case("ParseExampleV2", build=parse_case(True), label="mixed"))

    def parse_bad(tf):
        s = tf.compat.v1.placeholder(tf.string, name="serialized")
        outs = tf.raw_ops.ParseExample(serialized=s, names=tf.constant([], tf.string), sparse_keys=[],
                                       dense_keys=[tf.constant("age")], dense_defaults=[tf.constant([], tf.float32)],
                                       sparse_types=[], dense_shapes=[[1]], name="parse")
        return list(outs[3]) if len(outs) > 3 else [t for g in outs for t in g], {
            s: np.array([b"\xff\xffnot a proto"], dtype=object)}
    out.append(Case("ParseExample", build=parse_bad, label=F32, note="corrupt serialized example"))

    def parse_missing_required(tf):
        s = tf.compat.v1.placeholder(tf.string, name="serialized")
        ex = tf.train.Example().SerializeToString()
        outs = tf.raw_ops.ParseExample(serialized=s, names=tf.constant([], tf.string), sparse_keys=[],
                                       dense_keys=[tf.constant("age")], dense_defaults=[tf.constant([], tf.float32)],
                                       sparse_types=[], dense_shapes=[[1]], name="parse")
        return [t for g in outs for t in g], {s: np.array([ex], dtype=object)}
    out.append(Case("ParseExample", build=parse_missing_required, label=F32, note="required feature missing"))

    # Regular expressions (TensorFlow uses RE2).
    texts = np.array([b"hello world", b"", b"aaa", b"Tensor-Flow 2.21", b"x" * 50, b"\xc3\xa9t\xc3\xa9"],
                     dtype=object)
    for pattern in ["hello.*", "a+", "[0-9]+\\.[0-9]+", ".*", "(?i)tensor.*", "\\w+", "..."]:
        out.append(Case("StaticRegexFullMatch", [texts], {"pattern": pattern}, label=STR))
    for pattern, rewrite, glob in [("o", "0", True), ("l+", "L", False), ("^", ">", True),
                                   ("([a-z]+)-([a-z]+)", "\\2_\\1", True), ("(?i)flow", "FLOW", True),
                                   ("a*", "-", True), ("\\s", "", True)]:
        out.append(Case("StaticRegexReplace", [texts], {"pattern": pattern, "rewrite": rewrite,
                                                       "replace_global": glob}, label=STR))
    for pattern in ["hello.*", "(?i)tensor.*", "[a-", "\\w+"]:
        out.append(Case("RegexFullMatch", [texts, np.array(pattern.encode(), dtype=object)], label=STR))
    for pattern, rewrite in [("o", "0"), ("([a-z]+)-([a-z]+)", "\\2_\\1"), ("(a)", "\\2"), ("a*", "-")]:
        for glob in (True, False):
            out.append(Case("RegexReplace", [texts, np.array(pattern.encode(), dtype=object),
                                             np.array(rewrite.encode(), dtype=object)],
                            {"replace_global": glob}, label=STR))
    out.append(Case("RegexFullMatch", [texts, np.array([b"a", b"b"], dtype=object)], label=STR,
                    note="pattern not a scalar"))
    out.append(Case("StaticRegexFullMatch", [np.array([b"a" * 40 + b"b"], dtype=object)],
                    {"pattern": "(a+)+$"}, label=STR, note="catastrophic for backtracking engines"))

    # Seeded random ops: TensorFlow's Philox stream, bit for bit.
    for op in ("RandomUniform", "RandomStandardNormal", "TruncatedNormal"):
        for dt in (F32, F64, F16, BF16):
            for shape, seed, seed2 in [([3, 4], 1, 2), ([7], 0, 5), ([2, 3, 5], 42, 0), ([1001], 7, 7)]:
                out.append(Case(op, [const_i(shape)], {"dtype": dt, "seed": seed, "seed2": seed2}, label=dt))
        out.append(Case(op, [const_i([2, -1])], {"dtype": F32, "seed": 1, "seed2": 1}, label=F32,
                        note="negative dim"))
    return out


def _resource_gather_case(dt, batch_dims=0):
    def build(tf):
        init = val(dt, (5, 3))
        h = tf.raw_ops.VarHandleOp(dtype=tf.as_dtype(np_dtype(dt)), shape=[5, 3], shared_name="emb", name="h")
        a = tf.raw_ops.AssignVariableOp(resource=h, value=tf.constant(init), name="assign")
        idx = tf.compat.v1.placeholder(tf.int32, name="idx")
        with tf.control_dependencies([a]):
            g = tf.raw_ops.ResourceGather(resource=h, indices=idx, dtype=tf.as_dtype(np_dtype(dt)), name="gather")
            bad = tf.raw_ops.ResourceGather(resource=h, indices=idx + 4, dtype=tf.as_dtype(np_dtype(dt)),
                                            name="bad")
        return [g], {idx: np.array([[4, 0], [1, 1], [2, 3]], dtype=np.int32)}
    return build


FILES = "@FILES@"  # replaced by the generator with the absolute path of the case files


# ------------------------------------------------------------ control flow v2
# Graphs TensorFlow builds itself (tf.cond, tf.switch_case, tf.while_loop,
# TensorArray), so the branch and body functions are TensorFlow's own. Where
# TF picks the stateless form of an op, `edit` renames it for our side to
# cover the stateful kernel too (the two differ only in what TF may optimise).

def _rename_op(old, new):
    def edit(graph_def):
        for n in graph_def.node:
            if n.op == old:
                n.op = new
    return edit


def control_flow_cases():
    out = []

    def cond_case(pred_value):
        def build(tf):
            p = tf.compat.v1.placeholder(tf.bool, name="p")
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            y = tf.cond(p, lambda: tf.sin(x) * 2.0, lambda: x - 1.0, name="cond")
            return [tf.identity(y, name="out")], {p: np.array(pred_value), x: val(F32, (2, 3))}
        return build
    for pv in (True, False):
        out.append(Case("StatelessIf", build=cond_case(pv), label=F32, note="pred %s" % pv))
        out.append(Case("If", build=cond_case(pv), label=F32, note="pred %s" % pv,
                        edit=_rename_op("StatelessIf", "If")))

    def switch_case(index):
        def build(tf):
            i = tf.compat.v1.placeholder(tf.int32, name="i")
            x = tf.compat.v1.placeholder(tf.float64, name="x")
            y = tf.switch_case(i, [lambda: x + 1.0, lambda: x * x, lambda: -x], name="case")
            return [tf.identity(y, name="out")], {i: np.array(index, np.int32), x: val(F64, (4,))}
        return build
    for index in (0, 1, 2, 7, -3):
        out.append(Case("StatelessCase", build=switch_case(index), label=F64, note="index %d" % index))
        out.append(Case("Case", build=switch_case(index), label=F64, note="index %d" % index,
                        edit=_rename_op("StatelessCase", "Case")))

    def while_case(limit):
        def build(tf):
            n = tf.compat.v1.placeholder(tf.int32, name="n")
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            i, acc = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * 0.5 + tf.cos(a)),
                                   [tf.constant(0), x], name="loop")
            return [tf.identity(i, name="i_out"), tf.identity(acc, name="acc_out")], \
                {n: np.array(limit, np.int32), x: val(F32, (3,))}
        return build
    for limit in (0, 1, 7):
        out.append(Case("StatelessWhile", build=while_case(limit), label=F32, note="%d steps" % limit))
        out.append(Case("While", build=while_case(limit), label=F32, note="%d steps" % limit,
                        edit=_rename_op("StatelessWhile", "While")))

    def tensor_array_case(tf):
        # TensorArray inside a loop: TensorListReserve/SetItem/Stack through While.
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        ta = tf.TensorArray(tf.float32, size=4, element_shape=[3])
        _, ta = tf.while_loop(lambda i, t: i < 4,
                              lambda i, t: (i + 1, t.write(i, x * tf.cast(i, tf.float32))), [0, ta])
        return [tf.identity(ta.stack(), name="out")], {x: val(F32, (3,))}
    out.append(Case("TensorListReserve", build=tensor_array_case, label=F32, note="TensorArray in a loop"))

    def unstack_case(tf):
        # Unstack then read back in a loop: TensorListFromTensor/GetItem.
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        ta = tf.TensorArray(tf.float32, size=5, element_shape=[2]).unstack(x)
        _, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + ta.read(i)),
                             [0, tf.zeros([2])])
        return [tf.identity(s, name="out")], {x: val(F32, (5, 2))}
    out.append(Case("TensorListFromTensor", build=unstack_case, label=F32, note="TensorArray unstack"))

    def shape(tf, dims):
        return tf.constant(dims, tf.int32)

    def list_ops_case(dt):
        def build(tf):
            x = tf.compat.v1.placeholder(tf.as_dtype(dt), name="x")
            item = tf.compat.v1.placeholder(tf.as_dtype(dt), name="item")
            el = tf.as_dtype(dt)
            h = tf.raw_ops.TensorListFromTensor(tensor=x, element_shape=shape(tf, [-1, 2]), name="from")
            h2 = tf.raw_ops.TensorListSetItem(input_handle=h, index=1, item=item, name="set")
            h3 = tf.raw_ops.TensorListPushBack(input_handle=h2, tensor=item, name="push")
            h4, popped = tf.raw_ops.TensorListPopBack(input_handle=h3, element_shape=shape(tf, [-1, 2]),
                                                      element_dtype=el, name="pop")
            got = tf.raw_ops.TensorListGetItem(input_handle=h4, index=2, element_shape=shape(tf, [-1, 2]),
                                               element_dtype=el, name="get")
            stacked = tf.raw_ops.TensorListStack(input_handle=h4, element_shape=shape(tf, [-1, 2]),
                                                 element_dtype=el, name="stack")
            length = tf.raw_ops.TensorListLength(input_handle=h3, name="length")
            es = tf.raw_ops.TensorListElementShape(input_handle=h, shape_type=tf.int32, name="eshape")
            fetches = [tf.identity(t, name="o%d" % k) for k, t in enumerate([popped, got, stacked, length, es])]
            return fetches, {x: val(dt, (3, 3, 2)), item: val(dt, (3, 2))}
        return build
    for dt in (F32, I32, I64, F64):
        for op in ("TensorListFromTensor", "TensorListSetItem", "TensorListPushBack", "TensorListPopBack",
                   "TensorListGetItem", "TensorListStack", "TensorListLength", "TensorListElementShape"):
            out.append(Case(op, build=list_ops_case(dt), label=dt))

    def reserve_case(tf):
        h = tf.raw_ops.TensorListReserve(element_shape=shape(tf, [2]), num_elements=3,
                                         element_dtype=tf.float32, name="reserve")
        item = tf.compat.v1.placeholder(tf.float32, name="item")
        h2 = tf.raw_ops.TensorListSetItem(input_handle=h, index=2, item=item)
        unset = tf.raw_ops.TensorListGetItem(input_handle=h2, index=0, element_shape=shape(tf, [2]),
                                             element_dtype=tf.float32)
        st = tf.raw_ops.TensorListStack(input_handle=h2, element_shape=shape(tf, [2]),
                                        element_dtype=tf.float32)
        e = tf.raw_ops.EmptyTensorList(element_shape=shape(tf, [-1]), max_num_elements=-1,
                                       element_dtype=tf.float32, name="empty")
        e2 = tf.raw_ops.TensorListPushBack(input_handle=e, tensor=item)
        n = tf.raw_ops.TensorListLength(input_handle=e2)
        return [tf.identity(unset, name="unset"), tf.identity(st, name="st"), tf.identity(n, name="n")], \
            {item: val(F32, (2,))}
    for op in ("TensorListReserve", "EmptyTensorList"):
        out.append(Case(op, build=reserve_case, label=F32, note="unset elements read as zeros"))

    def bad_index_case(op):
        def build(tf):
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            i = tf.compat.v1.placeholder(tf.int32, name="i")
            h = tf.raw_ops.TensorListFromTensor(tensor=x, element_shape=shape(tf, [2]))
            if op == "TensorListGetItem":
                r = tf.raw_ops.TensorListGetItem(input_handle=h, index=i, element_shape=shape(tf, [2]),
                                                 element_dtype=tf.float32)
            else:
                h2 = tf.raw_ops.TensorListSetItem(input_handle=h, index=i, item=x[0])
                r = tf.raw_ops.TensorListLength(input_handle=h2)
            return [tf.identity(r, name="out")], {x: val(F32, (3, 2)), i: np.array(3, np.int32)}
        return build
    for op in ("TensorListGetItem", "TensorListSetItem"):
        out.append(Case(op, build=bad_index_case(op), label=F32, note="index out of range"))

    def bad_reserve(tf):
        n = tf.compat.v1.placeholder(tf.int32, name="n")
        h = tf.raw_ops.TensorListReserve(element_shape=shape(tf, [2]), num_elements=n,
                                         element_dtype=tf.float32)
        return [tf.identity(tf.raw_ops.TensorListLength(input_handle=h), name="out")], \
            {n: np.array(-2, np.int32)}
    out.append(Case("TensorListReserve", build=bad_reserve, label=F32, note="negative size"))
    return out + control_flow_v1_cases()


# ------------------------------------------------------------ control flow v1
# TF1 graphs: tf.cond and tf.while_loop built with control flow v2 switched
# off, as TF1 (and TF2 code under tf.compat.v1 with v2 disabled) wrote them.

def _v1(build):
    def wrapped(tf):
        tf.compat.v1.disable_control_flow_v2()
        try:
            return build(tf)
        finally:
            tf.compat.v1.enable_control_flow_v2()
    return wrapped


V1_LOOP_OPS = ("Enter", "Exit", "NextIteration", "LoopCond", "Merge", "Switch")


def control_flow_v1_cases():
    out = []

    def raw_switch_merge(pred_value):
        def build(tf):
            p = tf.compat.v1.placeholder(tf.bool, name="p")
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            f, t = tf.raw_ops.Switch(data=x, pred=p, name="sw")
            merged, index = tf.raw_ops.Merge(inputs=[f * 2.0, t + 1.0], name="merge")
            return [tf.identity(merged, name="out"), tf.identity(index, name="index")], \
                {p: np.array(pred_value), x: val(F32, (2, 2))}
        return build
    for pv in (True, False):
        for op in ("Switch", "Merge"):
            out.append(Case(op, build=raw_switch_merge(pv), label=F32, note="raw, pred %s" % pv))

    def bad_pred(tf):
        p = tf.compat.v1.placeholder(tf.bool, name="p")
        x = tf.compat.v1.placeholder(tf.float32, name="x")
        f, t = tf.raw_ops.Switch(data=x, pred=p, name="sw")
        merged, _ = tf.raw_ops.Merge(inputs=[f, t], name="merge")
        return [tf.identity(merged, name="out")], {p: np.array([True, False]), x: val(F32, (2,))}
    out.append(Case("Switch", build=bad_pred, label=F32, note="non-scalar predicate"))

    def cond_case(pred_value):
        def build(tf):
            p = tf.compat.v1.placeholder(tf.bool, name="p")
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            y = tf.compat.v1.cond(p, lambda: tf.exp(x), lambda: x * x, name="cond")
            return [tf.identity(y, name="out")], {p: np.array(pred_value), x: val(F32, (3,))}
        return _v1(build)
    for pv in (True, False):
        out.append(Case("Merge", build=cond_case(pv), label=F32, note="tf.cond v1, pred %s" % pv))

    def while_case(limit):
        def build(tf):
            n = tf.compat.v1.placeholder(tf.int32, name="n")
            x = tf.compat.v1.placeholder(tf.float32, name="x")
            w = tf.constant(0.75, name="w")  # a loop invariant: a constant Enter
            i, acc = tf.compat.v1.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * w + tf.sin(a)),
                                             [tf.constant(0), x], name="loop")
            # `acc` fetched straight from its Exit, `i` through an Identity.
            return [tf.identity(i, name="i_out"), acc], \
                {n: np.array(limit, np.int32), x: val(F32, (4,))}
        return _v1(build)
    for limit in (0, 1, 6):
        for op in V1_LOOP_OPS:
            out.append(Case(op, build=while_case(limit), label=F32, note="tf.while_loop v1, %d steps" % limit))

    def nested_case(tf):
        # A loop inside a loop, with a cond in the inner body.
        x = tf.compat.v1.placeholder(tf.float32, name="x")

        def outer_body(i, a):
            def inner_body(j, b):
                b2 = tf.compat.v1.cond(tf.equal(j % 2, 0), lambda: b + 1.0, lambda: b * 0.5)
                return j + 1, b2
            _, a2 = tf.compat.v1.while_loop(lambda j, b: j < i + 1, inner_body, [0, a])
            return i + 1, a2
        _, r = tf.compat.v1.while_loop(lambda i, a: i < 4, outer_body, [0, x])
        return [tf.identity(r, name="out")], {x: val(F32, (3,))}
    for op in V1_LOOP_OPS:
        out.append(Case(op, build=_v1(nested_case), label=F32, note="nested loops with a cond"))

    def loop_in_untaken_branch(pred_value):
        # A whole loop inside a cond branch: when the branch is not taken, the
        # loop's frame is entered with dead values and its Exit must be dead.
        def build(tf):
            p = tf.compat.v1.placeholder(tf.bool, name="p")
            x = tf.compat.v1.placeholder(tf.float32, name="x")

            def looped():
                return tf.compat.v1.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + a), [0, x])[1]
            y = tf.compat.v1.cond(p, looped, lambda: x - 5.0)
            return [tf.identity(y, name="out")], {p: np.array(pred_value), x: val(F32, (2,))}
        return _v1(build)
    for pv in (True, False):
        for op in ("Enter", "Exit"):
            out.append(Case(op, build=loop_in_untaken_branch(pv), label=F32, note="loop inside a cond, pred %s" % pv))
    return out


# ---------------------------------------------------------------------------
# Ops under common Keras layers and TF1 embedding lookups (issue 8): 3-D
# convolution, text vectorization (split, ragged to dense, counts, hashing),
# partition/stitch, substrings.

def _words(rows):
    return np.array([w.encode() for w in rows], dtype=object)


def layer_op_cases():
    out = []
    # Conv3D: paddings (SAME's uneven split), strides, dilations, both layouts.
    # TensorFlow 2.21's CPU Conv3D takes dilations only for float32 and
    # bfloat16 (oneDNN); its float64/float16 kernel refuses them. Ours
    # dilates every dtype, so dilated cases are compared where TF runs them.
    # float16 sums in half precision in TensorFlow's Eigen kernel (ours in
    # float), hence the looser bound.
    conv3d_tol = {F32: (1e-5, 1e-5), BF16: (2e-2, 2e-2), F16: (1e-2, 1.5e-1)}
    for dt in (F32, F64, F16, BF16):
        for padding in ("VALID", "SAME"):
            for strides, dil in [([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), ([1, 2, 1, 3, 1], [1, 1, 1, 1, 1]),
                                 ([1, 1, 1, 1, 1], [1, 2, 1, 2, 1])]:
                if dil[1] > 1 and dt in (F64, F16):
                    continue
                out.append(Case("Conv3D", [val(dt, (2, 5, 6, 7, 3)), val(dt, (2, 3, 2, 3, 4))],
                                {"strides": strides, "padding": padding, "dilations": dil},
                                tol=conv3d_tol.get(dt)))
    out.append(Case("Conv3D", [val(F32, (1, 3, 4, 5, 6)), val(F32, (2, 2, 2, 3, 2))],
                    {"strides": [1, 1, 1, 1, 1], "padding": "SAME", "data_format": "NCDHW"}, note="NCDHW",
                    tol=(1e-5, 1e-5)))
    out.append(Case("Conv3D", [val(F32, (1, 4, 4, 4, 3)), val(F32, (2, 2, 2, 2, 4))],
                    {"strides": [1, 1, 1, 1, 1], "padding": "VALID"}, note="channel mismatch"))
    out.append(Case("Conv3D", [val(F32, (1, 4, 4, 4, 3)), val(F32, (2, 2, 3, 4))],
                    {"strides": [1, 1, 1, 1, 1], "padding": "VALID"}, note="rank 4 filter"))
    # Conv3DBackpropInputV2, as Keras' Conv3DTranspose runs it.
    for dt in (F32, F64, F16, BF16):
        for padding in ("VALID", "SAME"):
            for strides in ([1, 1, 1, 1, 1], [1, 2, 1, 2, 1]):
                sizes = [2, 5, 4, 6, 3]
                od = [((n - k) // st + 1) if padding == "VALID" else -(-n // st)
                      for n, k, st in zip(sizes[1:4], (2, 3, 2), strides[1:4])]
                for it in (I32, I64):
                    out.append(Case("Conv3DBackpropInputV2",
                                    [np.array(sizes, it), val(dt, (2, 3, 2, 3, 4)), val(dt, (2, *od, 4))],
                                    {"strides": strides, "padding": padding}, tol=conv3d_tol.get(dt)))
    out.append(Case("Conv3DBackpropInputV2", [np.array([1, 3, 4, 5, 2], I32), val(F32, (2, 2, 2, 2, 3)),
                                              val(F32, (1, 3, 2, 3, 4))],
                    {"strides": [1, 1, 1, 1, 1], "padding": "SAME", "data_format": "NCDHW"}, note="NCDHW",
                    tol=(1e-5, 1e-5)))
    out.append(Case("Conv3DBackpropInputV2", [np.array([1, 4, 4, 4, 2], I32), val(F32, (2, 2, 2, 2, 3)),
                                              val(F32, (1, 2, 2, 2, 3))],
                    {"strides": [1, 1, 1, 1, 1], "padding": "VALID"}, note="out_backprop size mismatch"))
    # MaxPool3D / AvgPool3D (Keras 3-D pooling): SAME's uneven split, NaN.
    for op in ("MaxPool3D", "AvgPool3D"):
        for dt in (F32, F16, BF16):
            for padding in ("VALID", "SAME"):
                for k, st in [([1, 2, 2, 2, 1], [1, 2, 2, 2, 1]), ([1, 3, 2, 3, 1], [1, 1, 2, 2, 1])]:
                    out.append(Case(op, [val(dt, (2, 5, 4, 7, 3), special=op == "MaxPool3D")],
                                    {"ksize": k, "strides": st, "padding": padding}))
        out.append(Case(op, [val(F32, (1, 3, 4, 5, 6))], {"ksize": [1, 1, 2, 2, 2], "strides": [1, 1, 1, 2, 2],
                                                         "padding": "SAME", "data_format": "NCDHW"}, note="NCDHW"))
        out.append(Case(op, [val(F32, (1, 4, 4, 3))], {"ksize": [1, 2, 2, 2, 1], "strides": [1, 1, 1, 1, 1],
                                                      "padding": "VALID"}, note="rank 4 input"))
    # Not compared: an empty batch (TensorFlow 2.21 returns the input's
    # channel count, [1, 0, 4, 4, 2] for a 3-channel filter; ours [1, 0, 4, 4, 3])
    # and a rank-4 input (oneDNN accepts it).

    # StringSplitV2: whitespace and explicit separators, maxsplit, empty strings.
    text = _words(["hello world", "  a  b\tc\n", "", "one", "x,,y,", ",", "   "])
    for sep in ("", ",", " ", ",,", "ab"):
        for maxsplit in (-1, 0, 1, 2):
            out.append(Case("StringSplitV2", [text, np.array(sep.encode(), dtype=object)],
                            {"maxsplit": maxsplit}, note="sep %r maxsplit %d" % (sep, maxsplit)))
    out.append(Case("StringSplitV2", [_words([]), np.array(b"", dtype=object)], note="no strings"))
    out.append(Case("StringSplitV2", [text.reshape(7, 1), np.array(b"", dtype=object)], note="rank 2 input"))
    out.append(Case("StringSplitV2", [text, _words([",", " "])], note="vector sep"))

    # Substr: bytes and UTF-8 characters, negative positions, broadcasting.
    s = _words(["hello", "TensorFlow", "", "\u00e9t\u00e9 \u00e0", "abc"])
    for unit in ("BYTE", "UTF8_CHAR"):
        for it in (I32, I64):
            out.append(Case("Substr", [s, np.array(0, it), np.array(2, it)], {"unit": unit}))
            out.append(Case("Substr", [s, np.array([0, 1, 0, 2, -2], it), np.array([3, 100, 0, 2, 5], it)],
                            {"unit": unit}, note="elementwise, len past the end"))
        out.append(Case("Substr", [s.reshape(5, 1), np.array([0, 1], I32), np.array([1, 2], I32)],
                        {"unit": unit}, note="broadcast"))
        out.append(Case("Substr", [s, np.array(6, I32), np.array(1, I32)], {"unit": unit}, note="pos past the end"))
        out.append(Case("Substr", [s[:2], np.array([-6, 0], I32), np.array([1, 1], I32)], {"unit": unit},
                        note="negative pos past the start"))
    out.append(Case("Substr", [s, np.array([0, 1], I32), np.array(1, I32)], note="pos/len shape mismatch"))

    # StringToHashBucketFast: FarmHash Fingerprint64 modulo the bucket count.
    for buckets in (1, 7, 1000, 2**62):
        out.append(Case("StringToHashBucketFast", [val(STR, (3, 5))], {"num_buckets": buckets}))
    out.append(Case("StringToHashBucketFast", [val(STR, (0,))], {"num_buckets": 10}))

    # DynamicPartition / DynamicStitch / ParallelDynamicStitch.
    for dt in (F32, I64, STR, BOOL, F16, C128):
        data = val(dt, (6, 2, 3))
        out.append(Case("DynamicPartition", [data, np.array([2, 0, 1, 2, 2, 0], I32)], {"num_partitions": 4}))
        out.append(Case("DynamicPartition", [data, np.array([[0, 1], [1, 1], [0, 0], [1, 0], [0, 0], [1, 1]], I32)],
                        {"num_partitions": 2}))
        for op in ("DynamicStitch", "ParallelDynamicStitch"):
            out.append(Case(op, [[np.array([0, 4], I32), np.array([[1, 2], [6, 5]], I32)],
                                 [val(dt, (2, 3)), val(dt, (2, 2, 3))]]))
    out.append(Case("DynamicPartition", [val(F32, (5,)), np.array([0, 1, 3, 0, 1], I32)], {"num_partitions": 3},
                    note="partition out of range"))
    out.append(Case("DynamicPartition", [val(F32, (5,)), np.array([0, 1, -1, 0, 1], I32)], {"num_partitions": 3},
                    note="negative partition"))
    out.append(Case("DynamicPartition", [val(F32, (5, 2)), np.array([0, 1, 1], I32)], {"num_partitions": 2},
                    note="shape mismatch"))
    out.append(Case("DynamicPartition", [val(F32, (0, 2)), np.zeros((0,), I32)], {"num_partitions": 2},
                    note="empty"))
    for op in ("DynamicStitch", "ParallelDynamicStitch"):
        out.append(Case(op, [[np.array([0, 1], I32), np.array([1, 3], I32)], [val(F32, (2,)), val(F32, (2,))]],
                        note="duplicate index, a gap"))
        out.append(Case(op, [[np.array([0, -1], I32)], [val(F32, (2,))]], note="negative index"))
        out.append(Case(op, [[np.array([0, 1], I32)], [val(F32, (3,))]], note="data/indices mismatch"))
        out.append(Case(op, [[np.zeros((0,), I32)], [val(F32, (0, 3))]], note="empty"))

    # Bincount / DenseBincount.
    arr = np.array([1, 1, 0, 4, 2, 9, 1, 3], I32)
    for dt in (I32, I64, F32, F64):
        w = val(dt, (8,), 0, 5)
        out.append(Case("Bincount", [arr, np.array(5, I32), w]))
        out.append(Case("Bincount", [arr, np.array(12, I32), np.zeros((0,), np_dtype(dt))], label=dt))
        for it in (I32, I64):
            for binary in (False, True):
                out.append(Case("DenseBincount", [arr.astype(it), np.array(5, it), w], {"binary_output": binary}))
                out.append(Case("DenseBincount", [arr.reshape(2, 4).astype(it), np.array(6, it),
                                                  np.zeros((0,), np_dtype(dt))], {"binary_output": binary}, label=dt))
                out.append(Case("DenseBincount", [arr.reshape(2, 4).astype(it), np.array(4, it),
                                                  w.reshape(2, 4)], {"binary_output": binary}))
    out.append(Case("Bincount", [arr, np.array(-1, I32), np.zeros((0,), np.float32)], note="negative size"))
    out.append(Case("Bincount", [np.array([1, -2], I32), np.array(3, I32), np.zeros((0,), np.float32)],
                    note="negative value"))
    out.append(Case("DenseBincount", [np.array([1, -2], I32), np.array(3, I32), np.zeros((0,), np.float32)],
                    note="negative value"))
    out.append(Case("DenseBincount", [arr, np.array(-3, I32), np.zeros((0,), np.float32)], note="negative size"))
    out.append(Case("DenseBincount", [arr, np.array(5, I32), val(F32, (3,))], note="weights shape mismatch"))
    out.append(Case("DenseBincount", [arr.reshape(2, 2, 2), np.array(5, I32), np.zeros((0,), np.float32)],
                    note="rank 3 input"))

    # RaggedTensorToTensor, as tf.strings.split(...).to_tensor() and
    # RaggedTensor.from_row_splits(...).to_tensor() write it.
    def r2t(shape, values, default, parts, types, note, it=I64):
        return Case("RaggedTensorToTensor", [np.array(shape, it), values, default, [np.array(p, it) for p in parts]],
                    {"row_partition_types": types}, note=note)
    rowids = ["FIRST_DIM_SIZE", "VALUE_ROWIDS"]
    for dt in (F32, I64, STR, I32):
        v = val(dt, (6,))
        d = val(dt, ())
        out.append(r2t(-1, v, d, [4, [0, 0, 1, 3, 3, 3]], rowids, "value_rowids"))
        out.append(r2t([-1, 2], v, d, [4, [0, 0, 1, 3, 3, 3]], rowids, "value_rowids truncated"))
        out.append(r2t([5, 4], v, d, [4, [0, 0, 1, 3, 3, 3]], rowids, "value_rowids padded"))
        out.append(r2t(-1, v, d, [[0, 2, 2, 5, 6]], ["ROW_SPLITS"], "row_splits"))
        out.append(r2t([2, -1], v, d, [[0, 2, 2, 5, 6]], ["ROW_SPLITS"], "row_splits fewer rows"))
        out.append(r2t(-1, val(dt, (6, 2)), val(dt, (2,)), [[0, 1, 4, 6]], ["ROW_SPLITS"], "inner dims"))
        out.append(r2t(-1, val(dt, (6, 2)), val(dt, ()), [[0, 2, 3], [0, 1, 4, 6]], ["ROW_SPLITS"] * 2,
                       "ragged rank 2"))
        out.append(r2t(-1, v, d, [3, [0, 1, 2], [0, 0, 1, 1, 2, 2]], rowids + ["VALUE_ROWIDS"],
                       "ragged rank 2 value_rowids"))
    out.append(r2t(-1, val(F32, (6,)), val(F32, ()), [2, [0, 0, 1, 3, 3, 3]], rowids, "row id out of range"))
    # Row ids out of order and splits past the values are errors in ours;
    # TensorFlow does not check them (it reads past its buffer), so they are
    # not compared. Fewer ids or splits than values leave the rest unused.
    out.append(r2t(-1, val(F32, (6,)), val(F32, ()), [4, [0, 1, 3]], rowids, "fewer row ids than values"))
    out.append(r2t(-1, val(F32, (6,)), val(F32, ()), [[0, 2, 3]], ["ROW_SPLITS"], "fewer splits than values"))
    out.append(r2t(-1, val(F32, (6,)), val(F32, ()), [[0, 4, 2, 6]], ["ROW_SPLITS"], "splits decreasing"))
    out.append(r2t(-1, val(F32, (6, 2)), val(F32, (3,)), [[0, 6]], ["ROW_SPLITS"], "default shape mismatch"))
    out.append(r2t(-1, val(F32, (0,)), val(F32, ()), [0, np.zeros((0,), I64)], rowids, "empty"))
    out.append(r2t(-1, val(F32, (3,)), val(F32, ()), [[0, 1, 3]], ["ROW_SPLITS"], "int32 partitions", it=I32))
    return out


def layer_array_cases():
    """Array ops under Keras layers: padding, broadcasting, Where, GatherNd, ScatterNd."""
    out = []
    for dt in (F32, I32, STR, BOOL, F16, C64, I8):
        x = val(dt, (3, 4))
        for pit in (I32, I64):
            out.append(Case("Pad", [x, np.array([[1, 2], [0, 3]], pit)]))
        out.append(Case("Pad", [val(dt, (2, 3, 2)), np.array([[0, 0], [2, 1], [1, 0]], I32)]))
        out.append(Case("Pad", [val(dt, ()), np.zeros((0, 2), I32)], note="scalar"))
        out.append(Case("Pad", [val(dt, (0, 3)), np.array([[1, 1], [0, 0]], I32)], note="empty input"))
        out.append(Case("PadV2", [x, np.array([[2, 0], [1, 1]], I32), val(dt, ())]))
        for mode in ("REFLECT", "SYMMETRIC"):
            out.append(Case("MirrorPad", [x, np.array([[2, 1], [3, 3]], I32)], {"mode": mode}))
            out.append(Case("MirrorPad", [val(dt, (2, 3, 4)), np.array([[1, 1], [0, 2], [3, 0]], I64)],
                            {"mode": mode}))
    for mode, p in (("REFLECT", [[3, 0], [0, 0]]), ("SYMMETRIC", [[0, 4], [0, 0]])):
        out.append(Case("MirrorPad", [val(F32, (3, 4)), np.array(p, I32)], {"mode": mode}, note="padding too large"))
    out.append(Case("Pad", [val(F32, (3, 4)), np.array([[1, -1], [0, 0]], I32)], note="negative padding"))
    out.append(Case("Pad", [val(F32, (3, 4)), np.array([[1, 1]], I32)], note="paddings rank mismatch"))
    out.append(Case("PadV2", [val(F32, (3, 4)), np.array([[1, 1], [0, 0]], I32), val(F32, (2,))],
                    note="non-scalar constant"))

    for dt in (F32, I64, STR, BOOL, F16):
        for shape, target in [((3,), [2, 3]), ((2, 1), [2, 4]), ((), [3, 2]), ((1, 3, 1), [2, 3, 4]),
                              ((2, 3), [2, 3]), ((1,), [0, 5])]:
            for it in (I32, I64):
                out.append(Case("BroadcastTo", [val(dt, shape), np.array(target, it)]))
    out.append(Case("BroadcastTo", [val(F32, (3,)), np.array([2, 4], I32)], note="incompatible"))
    out.append(Case("BroadcastTo", [val(F32, (2, 3)), np.array([3], I32)], note="target rank too small"))
    for it in (I32, I64):
        for a, b in [([2, 1, 3], [4, 1]), ([], [3]), ([5], [1]), ([0, 1], [1, 7])]:
            out.append(Case("BroadcastArgs", [np.array(a, it), np.array(b, it)]))
        out.append(Case("BroadcastArgs", [np.array([2, 3], it), np.array([4], it)], note="incompatible"))

    for dt in (BOOL, F32, I32, I64, F64, U8, C64, F16):
        for shape in [(7,), (3, 4), (2, 3, 2), (), (0, 3)]:
            x = val(dt, shape, -1, 1, ints=(-1, 1)) if dt in INTS else val(dt, shape)
            if dt in FLOATS:
                x = np.where(val(BOOL, shape), x, 0).astype(np_dtype(dt))
            out.append(Case("Where", [x]))

    params = val(F32, (3, 4, 2))
    for dt in (F32, I64, STR, BOOL, C128):
        p = val(dt, (3, 4, 2))
        for it in (I32, I64):
            for idx in ([[0, 1], [2, 3], [1, 0]], [[2], [0]], [[[1, 1, 1]], [[0, 3, 0]]], [[]]):
                out.append(Case("GatherNd", [p, np.array(idx, it).reshape(np.array(idx).shape)]))
    out.append(Case("GatherNd", [params, np.array([[0, 1], [3, 0]], I32)], note="index out of range"))
    out.append(Case("GatherNd", [params, np.array([[0, -1]], I64)], note="negative index"))
    out.append(Case("GatherNd", [params, np.array([[0, 1, 0, 0]], I32)], note="tuple longer than rank"))
    out.append(Case("GatherNd", [params, np.zeros((0, 2), I32)], note="no indices"))

    for dt in (F32, F64, I32, I64, F16, C64):
        for it in (I32, I64):
            out.append(Case("ScatterNd", [np.array([[1], [3], [1]], it), val(dt, (3, 2)), np.array([5, 2], it)],
                            note="duplicates sum"))
            out.append(Case("ScatterNd", [np.array([[0, 1], [2, 0]], it), val(dt, (2,)), np.array([3, 2], it)]))
            out.append(Case("ScatterNd", [np.zeros((0, 1), it), val(dt, (0, 3)), np.array([4, 3], it)],
                            note="no updates"))
    out.append(Case("ScatterNd", [np.array([[1], [5]], I32), val(F32, (2,)), np.array([4], I32)],
                    note="index out of range"))
    out.append(Case("ScatterNd", [np.array([[-1]], I32), val(F32, (1,)), np.array([4], I32)],
                    note="negative index"))
    out.append(Case("ScatterNd", [np.array([[1], [2]], I32), val(F32, (3,)), np.array([4], I32)],
                    note="updates shape mismatch"))

    # MatrixBandPart (ops.tril/triu, causal attention masks).
    for dt in (F32, I32, BOOL, F16, C64, STR):
        x = val(dt, (2, 4, 5))
        for it in (I32, I64):
            for lo, up in [(0, -1), (-1, 0), (1, 2), (0, 0), (-1, -1), (4, 5)]:
                out.append(Case("MatrixBandPart", [x, np.array(lo, it), np.array(up, it)], note="band %d %d" % (lo, up)))
    out.append(Case("MatrixBandPart", [val(F32, (3, 0, 2)), np.array(0, I64), np.array(-1, I64)], note="empty"))
    out.append(Case("MatrixBandPart", [val(F32, (3, 4)), np.array(4, I64), np.array(0, I64)], note="num_lower too large"))
    out.append(Case("MatrixBandPart", [val(F32, (3, 4)), np.array(0, I64), np.array(5, I64)], note="num_upper too large"))
    out.append(Case("MatrixBandPart", [val(F32, (3,)), np.array(0, I64), np.array(0, I64)], note="rank 1"))

    # EnsureShape.
    for dt in (F32, STR, I64):
        for shape in ([2, 3], [2, None], None, [None, None]):
            out.append(Case("EnsureShape", [val(dt, (2, 3))], {"shape": shape}, note="shape %s" % shape))
    for shape in ([3, 3], [2], [2, 3, 1]):
        out.append(Case("EnsureShape", [val(F32, (2, 3))], {"shape": shape}, note="incompatible %s" % shape))

    # UnsortedSegmentSum (embedding gradients, segment pooling).
    for dt in (F32, F64, I32, I64, F16, C64):
        for it in (I32, I64):
            out.append(Case("UnsortedSegmentSum", [val(dt, (6, 3)), np.array([2, 0, 2, -1, 4, 0], it),
                                                   np.array(5, it)], note="negative ids dropped"))
            out.append(Case("UnsortedSegmentSum", [val(dt, (2, 3, 2)), np.array([[1, 1, 0], [0, 3, 1]], it),
                                                   np.array(4, I32)]))
    out.append(Case("UnsortedSegmentSum", [val(F32, (3,)), np.array([0, 3, 1], I32), np.array(3, I32)],
                    note="id out of range"))
    out.append(Case("UnsortedSegmentSum", [val(F32, (3, 2)), np.array([0, 1], I32), np.array(3, I32)],
                    note="shape mismatch"))
    out.append(Case("UnsortedSegmentSum", [val(F32, (0, 2)), np.zeros((0,), I32), np.array(3, I32)], note="empty"))
    return out


def all_cases():
    return (unary_cases() + binary_cases() + reduction_cases() + matmul_cases() + nn_cases() +
            array_cases() + graph_cases() + control_flow_cases() + layer_op_cases() +
            layer_array_cases())
