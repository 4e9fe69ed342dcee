"""TF 1.x's op functions (tf.placeholder, tf.matmul, tf.reduce_mean, ...).

Each builds the nodes TensorFlow builds, with TensorFlow's names ("MatMul",
"Sum" with "Sum/reduction_indices", "ArgMax/dimension", ...), so graphs and
checkpoints written here line up with TensorFlow's.
"""
import numpy as np

from savedmodel import dtypes as _dtypes

from ._framework import (Tensor, TensorShape, Variable, _const, _graph_of, _shape_str, _truediv, _unary,
                         broadcast_shape, check_same_dtype, convert_like, convert_to_tensor, op_scope,
                         static_shape)


def _attr_shape(shape):
    return TensorShape(shape).as_proto_dims()


def placeholder(dtype, shape=None, name=None):
    """A value fed at run time."""
    dtype = _dtypes.as_dtype(dtype)
    shape = TensorShape(shape)
    graph = _graph_of()
    return graph._add_op("Placeholder", [], {"dtype": dtype.as_datatype_enum, "shape": shape.as_proto_dims()},
                         name or "Placeholder", shapes=[shape.dims])[0]


def placeholder_with_default(input, shape, name=None):  # noqa: A002 (TensorFlow's argument name)
    graph = _graph_of(input)
    shape = TensorShape(shape)
    with op_scope(graph, name or "PlaceholderWithDefault") as scope:
        value = convert_to_tensor(input, graph=graph, name="input")
        if not shape.is_compatible_with(value.shape):
            raise ValueError("placeholder_with_default: default value of shape %s is not compatible with "
                             "shape %s" % (value.shape, shape))
        return graph._add_op("PlaceholderWithDefault", [value], {"shape": shape.as_proto_dims()}, scope,
                             shapes=[shape.dims])[0]


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A Const node. With `shape`, a scalar (or one-element) value is repeated
    and a value of as many elements is reshaped, as tf.constant does."""
    dtype = None if dtype is None else _dtypes.as_dtype(dtype)
    graph = _graph_of()
    if shape is not None:
        from ._framework import _numpy_value
        arr, dtype = _numpy_value(value, dtype)
        shape = TensorShape(shape)
        if not shape.is_fully_defined():
            raise TypeError("tf.constant: shape %s must be fully defined" % (shape,))
        want = shape.as_list()
        if verify_shape and list(arr.shape) != want:
            raise TypeError("Expected Tensor's shape: %s, got %s." % (tuple(want), arr.shape))
        if arr.size == 1:
            arr = np.full(want, arr.reshape(()), dtype=arr.dtype)
        elif arr.size == shape.num_elements():
            arr = arr.reshape(want)
        else:
            raise TypeError("Eager execution of tf.constant with unsupported shape. Tried to convert a value "
                            "of %d elements into a tensor of shape %s (%d elements)." % (
                                arr.size, tuple(want), shape.num_elements()))
        value = arr
    return _const(graph, value, dtype, name or "Const")


def _filled(value, shape, dtype, name):
    """tf.zeros / tf.ones: a Const below 1000 elements, else Fill, as TF decides."""
    dtype = _dtypes.as_dtype(dtype).base_dtype
    graph = _graph_of(shape)
    if isinstance(shape, (Tensor, Variable)):
        with op_scope(graph, name) as scope:
            dims = convert_to_tensor(shape, graph=graph)
            fill = _const(graph, np.asarray(value, dtype.as_numpy_dtype), dtype, "Const")
            return graph._add_op("Fill", [dims, fill], {}, scope)[0]
    shape = TensorShape(shape)
    if not shape.is_fully_defined():
        raise ValueError("tf.%s: shape %s must be fully defined" % (name, shape))
    dims = shape.as_list()
    if shape.num_elements() < 1000:
        return _const(graph, np.full(dims, value, dtype=dtype.as_numpy_dtype), dtype, name)
    with op_scope(graph, name) as scope:
        dims_t = _const(graph, np.asarray(dims, np.int64 if max(dims) >= 2 ** 31 else np.int32),
                        None, "shape_as_tensor")
        fill = _const(graph, np.asarray(value, dtype.as_numpy_dtype), dtype, "Const")
        return graph._add_op("Fill", [dims_t, fill], {}, scope, shapes=[tuple(dims)])[0]


def zeros(shape, dtype=_dtypes.float32, name=None):
    return _filled(0, shape, dtype, name or "zeros")


def ones(shape, dtype=_dtypes.float32, name=None):
    return _filled(1, shape, dtype, name or "ones")


def fill(dims, value, name=None):
    graph = _graph_of(dims, value)
    with op_scope(graph, name or "Fill") as scope:
        dims_t = convert_to_tensor(dims, graph=graph, name="dims")
        value_t = convert_to_tensor(value, graph=graph, name="value")
        shape = None
        if not isinstance(dims, (Tensor, Variable)):
            shape = tuple(np.asarray(dims).reshape(-1).tolist())
        return graph._add_op("Fill", [dims_t, value_t], {}, scope, shapes=[shape])[0]


def identity(input, name=None):  # noqa: A002
    return _unary("Identity", input, name=name)


def stop_gradient(input, name=None):  # noqa: A002
    return _unary("StopGradient", input, name=name)


# ---- math ----------------------------------------------------------------------------

def _named_binary(op_type, default_name, x, y, name):
    """tf.add & co.: the op named as the function names it ("Add", "Mul")."""
    graph = _graph_of(x, y)
    with op_scope(graph, name or default_name) as scope:
        if not isinstance(x, (Tensor, Variable)) and isinstance(y, (Tensor, Variable)):
            y = convert_to_tensor(y, graph=graph, name="y")
            x = convert_like(x, y, "x", graph)
        else:
            x = convert_to_tensor(x, graph=graph, name="x")
            y = convert_like(y, x, "y", graph)
        check_same_dtype(op_type, x, y)
        shape = broadcast_shape(static_shape(x), static_shape(y), scope[:-1])
        return graph._add_op(op_type, [x, y], {}, scope, shapes=[shape])[0]


def _binary_function(fn_name, op_type, default_name):
    def fn(x, y, name=None):
        return _named_binary(op_type, default_name, x, y, name)
    fn.__name__ = fn.__qualname__ = fn_name
    fn.__doc__ = "tf.%s: a %s node (named %r unless `name` says otherwise)." % (fn_name, op_type, default_name)
    return fn


# tf.<function>: (op type, the node's default name), as TensorFlow names them.
_BINARY_FUNCTIONS = {
    "add": ("AddV2", "Add"),
    "subtract": ("Sub", "Sub"),
    "multiply": ("Mul", "Mul"),
    "maximum": ("Maximum", "Maximum"),
    "minimum": ("Minimum", "Minimum"),
    "pow": ("Pow", "Pow"),
    "equal": ("Equal", "Equal"),
    "not_equal": ("NotEqual", "NotEqual"),
    "less": ("Less", "Less"),
    "less_equal": ("LessEqual", "LessEqual"),
    "greater": ("Greater", "Greater"),
    "greater_equal": ("GreaterEqual", "GreaterEqual"),
}
for _fn, (_op, _default) in _BINARY_FUNCTIONS.items():
    globals()[_fn] = _binary_function(_fn, _op, _default)
del _fn, _op, _default


def divide(x, y, name=None):
    if name is not None:
        raise NotImplementedError("tf.divide(name=...) is not provided; the node is named 'truediv'")
    return _truediv(x, y)


def truediv(x, y, name=None):
    return divide(x, y, name)


def negative(x, name=None):
    return _unary("Neg", x, name)


def square(x, name=None):
    return _unary("Square", x, name)


def sqrt(x, name=None):
    return _unary("Sqrt", x, name)


def abs(x, name=None):  # noqa: A001
    return _unary("Abs", x, name)


def log(x, name=None):
    return _unary("Log", x, name)


def exp(x, name=None):
    return _unary("Exp", x, name)


def sigmoid(x, name=None):
    return _unary("Sigmoid", x, name)


def tanh(x, name=None):
    return _unary("Tanh", x, name)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, output_type=None, name=None):
    """MatMul for matrices, BatchMatMulV2 when a rank is above 2 or unknown."""
    if a_is_sparse or b_is_sparse or output_type is not None:
        raise NotImplementedError("tf.matmul: a_is_sparse, b_is_sparse and output_type are not provided")
    graph = _graph_of(a, b)
    with op_scope(graph, name or "MatMul") as scope:
        a = convert_to_tensor(a, graph=graph, name="a")
        b = convert_like(b, a, "b", graph)
        check_same_dtype("MatMul", a, b, ("a", "b"))
        sa, sb = static_shape(a), static_shape(b)
        ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
        for s, arg in ((sa, "a"), (sb, "b")):
            if s is not None and len(s) < 2:
                raise ValueError("Shape must be at least rank 2 but is rank %d for '%s' (input %s, shape %s)"
                                 % (len(s), scope[:-1], arg, _shape_str(s)))
        shape = None
        if sa is not None and sb is not None:
            m, k = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
            k2, n = (sb[-1], sb[-2]) if tb else (sb[-2], sb[-1])
            if k is not None and k2 is not None and k != k2:
                raise ValueError("Dimensions must be equal, but are %d and %d for '%s' (op: 'MatMul') with "
                                 "input shapes: %s, %s." % (k, k2, scope[:-1], _shape_str(sa), _shape_str(sb)))
            batch = broadcast_shape(sa[:-2], sb[:-2], scope[:-1])
            shape = batch + (m, n)
        if sa is not None and sb is not None and len(sa) == 2 and len(sb) == 2:
            return graph._add_op("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb}, scope,
                                 shapes=[shape])[0]
        return graph._add_op("BatchMatMulV2", [a, b], {"adj_x": ta, "adj_y": tb}, scope, shapes=[shape])[0]


def cast(x, dtype, name=None):
    """Cast; the input itself when it already has `dtype`."""
    dtype = _dtypes.as_dtype(dtype).base_dtype
    graph = _graph_of(x)
    if isinstance(x, (Tensor, Variable)) and x.dtype.base_dtype == dtype:
        return convert_to_tensor(x, graph=graph)
    with op_scope(graph, name or "Cast") as scope:
        x = convert_to_tensor(x, graph=graph, name="x")
        if x.dtype.base_dtype == dtype:
            return x
        return graph._add_op("Cast", [x], {"DstT": dtype.as_datatype_enum, "Truncate": False}, scope,
                             shapes=[static_shape(x)])[0]


def to_float(x, name="ToFloat"):
    return cast(x, _dtypes.float32, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, _dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, _dtypes.int64, name=name)


# ---- reductions -----------------------------------------------------------------------

def _axes_list(axis):
    if isinstance(axis, (Tensor, Variable)):
        return None
    arr = np.asarray(axis)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError("reduction axis must be integers, got %r" % (axis,))
    return [int(a) for a in arr.reshape(-1)]


def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    axis = reduction_indices if axis is None else axis
    keepdims = bool(keep_dims if keepdims is None else keepdims)
    graph = _graph_of(input_tensor, axis)
    x = convert_to_tensor(input_tensor, graph=graph, name="input_tensor")
    shape = static_shape(x)
    if axis is None:
        if shape is not None:
            # All axes of a known rank: one Const, as TensorFlow builds it.
            idx = _const(graph, np.arange(len(shape), dtype=np.int32), None, "Const")
            axes = list(range(len(shape)))
        else:
            rank = graph._add_op("Rank", [x], {}, "Rank", shapes=[()])[0]
            with op_scope(graph, "range") as scope:
                start = _const(graph, np.int32(0), None, "start")
                delta = _const(graph, np.int32(1), None, "delta")
                idx = graph._add_op("Range", [start, rank, delta], {}, scope, shapes=[(None,)])[0]
            axes = None
        with op_scope(graph, name or op_type) as scope:
            return _finish_reduce(graph, op_type, x, idx, axes, shape, keepdims, scope)
    with op_scope(graph, name or op_type) as scope:
        if isinstance(axis, (Tensor, Variable)):
            idx = convert_to_tensor(axis, graph=graph)
        else:
            axes_arr = np.asarray(axis)
            if axes_arr.dtype.kind not in "iu" and axes_arr.size:
                raise TypeError("reduction axis must be integers, got %r" % (axis,))
            idx = _const(graph, axes_arr.astype(np.int32), None, "reduction_indices")
        return _finish_reduce(graph, op_type, x, idx, _axes_list(axis), shape, keepdims, scope)


def _finish_reduce(graph, op_type, x, idx, axes, shape, keepdims, scope):
    out_shape = None
    if shape is not None and axes is not None:
        rank = len(shape)
        norm = set()
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError("Invalid reduction dimension %d for input with %d dimensions. for '%s' with "
                                 "input shapes: %s." % (a, rank, scope[:-1], _shape_str(shape)))
            norm.add(a % rank)
        out_shape = tuple(1 if i in norm else d for i, d in enumerate(shape)) if keepdims else \
            tuple(d for i, d in enumerate(shape) if i not in norm)
    return graph._add_op(op_type, [x, idx], {"keep_dims": keepdims}, scope, shapes=[out_shape])[0]


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def _arg_reduce(op_type, input, axis, name, dimension, output_type):  # noqa: A002
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'.")
    axis = dimension if axis is None else axis
    axis = 0 if axis is None else axis
    output_type = _dtypes.as_dtype(output_type)
    graph = _graph_of(input, axis)
    with op_scope(graph, name or op_type) as scope:
        x = convert_to_tensor(input, graph=graph, name="input")
        shape = static_shape(x)
        out_shape = None
        if isinstance(axis, (Tensor, Variable)):
            dim = convert_to_tensor(axis, graph=graph)
        else:
            a = int(axis)
            if shape is not None:
                if not -len(shape) <= a < len(shape):
                    raise ValueError("Expected dimension in the range [%d, %d), but got %d for '%s' with input "
                                     "shapes: %s." % (-len(shape), len(shape), a, scope[:-1], _shape_str(shape)))
                out_shape = tuple(d for i, d in enumerate(shape) if i != a % len(shape))
            dim = _const(graph, np.int32(a), None, "dimension")
        return graph._add_op(op_type, [x, dim], {"output_type": output_type.as_datatype_enum}, scope,
                             shapes=[out_shape])[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    return _arg_reduce("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dtypes.int64):  # noqa: A002
    return _arg_reduce("ArgMin", input, axis, name, dimension, output_type)


# ---- shapes ---------------------------------------------------------------------------

def reshape(tensor, shape, name=None):
    graph = _graph_of(tensor, shape)
    with op_scope(graph, name or "Reshape") as scope:
        x = convert_to_tensor(tensor, graph=graph, name="tensor")
        out_shape = None
        if isinstance(shape, (Tensor, Variable)):
            s = convert_to_tensor(shape, graph=graph)
        else:
            dims = [int(d) for d in np.asarray(shape).reshape(-1)] if np.asarray(shape).size else []
            if sum(1 for d in dims if d == -1) > 1:
                raise ValueError("Cannot infer multiple unknown dimensions in %s" % (dims,))
            if any(d < -1 for d in dims):
                raise ValueError("Dimension size must be non-negative or -1 in %s" % (dims,))
            src = static_shape(x)
            out = [None if d == -1 else d for d in dims]
            if src is not None and all(d is not None for d in src):
                total = int(np.prod(src, dtype=np.int64))
                known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
                if -1 in dims:
                    if known == 0 or total % known:
                        raise ValueError("Cannot reshape a tensor with %d elements to shape %s" % (total, dims))
                    out[dims.index(-1)] = total // known
                elif known != total:
                    raise ValueError("Cannot reshape a tensor with %d elements to shape %s (%d elements) for "
                                     "'%s'" % (total, dims, known, scope[:-1]))
            out_shape = tuple(out)
            s = _const(graph, np.asarray(dims, np.int32), None, "shape")
        return graph._add_op("Reshape", [x, s], {}, scope, shapes=[out_shape])[0]


def shape(input, name=None, out_type=_dtypes.int32):  # noqa: A002
    graph = _graph_of(input)
    x = convert_to_tensor(input, graph=graph)
    s = static_shape(x)
    return graph._add_op("Shape", [x], {"out_type": _dtypes.as_dtype(out_type).as_datatype_enum},
                         name or "Shape", shapes=[None if s is None else (len(s),)])[0]


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros of `tensor`'s shape: a constant when the shape is known, else ZerosLike."""
    return _like(tensor, dtype, name or "zeros_like", 0, "ZerosLike", optimize)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones of `tensor`'s shape: Fill over its shape (a constant when known), as TF builds it."""
    graph = _graph_of(tensor)
    with op_scope(graph, name or "ones_like") as scope:
        x = convert_to_tensor(tensor, graph=graph, name="tensor")
        dtype = x.dtype.base_dtype if dtype is None else _dtypes.as_dtype(dtype).base_dtype
        shape = static_shape(x)
        if optimize and x.shape.is_fully_defined():
            dims = _const(graph, np.asarray(shape, np.int32), None, "Shape")
        else:
            dims = graph._add_op("Shape", [x], {"out_type": _dtypes.int32.as_datatype_enum}, "Shape",
                                 shapes=[None if shape is None else (len(shape),)])[0]
        one = _const(graph, np.asarray(1, dtype.as_numpy_dtype), dtype, "Const")
        return graph._add_op("Fill", [dims, one], {}, scope, shapes=[shape])[0]


def _like(tensor, dtype, name, value, op_type, optimize):
    # tf.zeros_like: zeros(shape) when the shape is known, else the ZerosLike op.
    graph = _graph_of(tensor)
    x = convert_to_tensor(tensor, graph=graph, name="tensor")
    dtype = x.dtype.base_dtype if dtype is None else _dtypes.as_dtype(dtype).base_dtype
    if optimize and x.shape.is_fully_defined():
        return _filled(value, x.shape.as_list(), dtype, name)
    if dtype != x.dtype.base_dtype:
        x = cast(x, dtype)
    return graph._add_op(op_type, [x], {}, name, shapes=[static_shape(x)])[0]


# ---- control ----------------------------------------------------------------------------

def no_op(name=None):
    """A NoOp: an Operation that does nothing, for control dependencies."""
    return _graph_of()._add_target("NoOp", name=name or "NoOp")


def group(*inputs, **kwargs):
    """One NoOp ("group_deps") that runs after all of `inputs` (Tensors or Operations)."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError("Unknown keyword arguments: " + ", ".join(sorted(kwargs)))
    flat = []
    for i in inputs:
        flat.extend(i if isinstance(i, (list, tuple)) else [i])
    deps = []
    for i in flat:
        if isinstance(i, (Tensor, Variable)):
            i = i.op
        if not hasattr(i, "graph") or not hasattr(i, "type"):
            raise TypeError("tf.group: expected Tensors or Operations, got %r" % (i,))
        deps.append(i)
    graph = _graph_of(*deps)
    return graph._add_target("NoOp", name=name or "group_deps", control_inputs=deps)
