"""tf.nn: the activations and losses TF 1.x models use."""

from . import _framework as _fw
from ._missing import module_getattr as _module_getattr

__getattr__ = _module_getattr("nn")


def _last_axis(logits, axis, what):
    shape = _fw.static_shape(logits)
    if axis is None or axis == -1 or (shape is not None and axis == len(shape) - 1):
        return
    raise NotImplementedError("tf.nn.%s over axis %r: only the last axis is provided" % (what, axis))


def softmax(logits, axis=None, name=None, dim=None):
    """Softmax over the last axis."""
    axis = dim if axis is None else axis
    x = _fw.convert_to_tensor(logits, graph=_fw._graph_of(logits))
    _last_axis(x, axis, "softmax")
    return _fw._unary("Softmax", x, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    axis = dim if axis is None else axis
    x = _fw.convert_to_tensor(logits, graph=_fw._graph_of(logits))
    _last_axis(x, axis, "log_softmax")
    return _fw._unary("LogSoftmax", x, name)


def relu(features, name=None):
    return _fw._unary("Relu", features, name)


def sigmoid(x, name=None):
    return _fw._unary("Sigmoid", x, name)


def tanh(x, name=None):
    return _fw._unary("Tanh", x, name)


def bias_add(value, bias, data_format=None, name=None):
    graph = _fw._graph_of(value, bias)
    with _fw.op_scope(graph, name or "BiasAdd") as scope:
        x = _fw.convert_to_tensor(value, graph=graph, name="input")
        b = _fw.convert_like(bias, x, "bias", graph)
        _fw.check_same_dtype("BiasAdd", x, b, ("value", "bias"))
        sx, sb = _fw.static_shape(x), _fw.static_shape(b)
        if sb is not None and len(sb) != 1:
            raise ValueError("Shape must be rank 1 but is rank %d for 'bias' of '%s'" % (len(sb), scope[:-1]))
        fmt = data_format or "NHWC"
        if fmt not in ("NHWC", "NCHW", "N..C", "NC.."):
            raise ValueError("bias_add: unknown data_format %r" % (data_format,))
        attrs = {"data_format": "NHWC" if fmt in ("NHWC", "N..C") else "NCHW"}
        shape = sx if fmt in ("NCHW", "NC..") else _fw.broadcast_shape(sx, sb, scope[:-1])
        return graph._add_op("BiasAdd", [x, b], attrs, scope, shapes=[shape])[0]


def _xent(op_type, default_name, labels, logits, name, sparse):
    graph = _fw._graph_of(labels, logits)
    with _fw.op_scope(graph, name or default_name) as scope:
        logits = _fw.convert_to_tensor(logits, graph=graph, name="logits")
        if sparse:
            labels = _fw.convert_to_tensor(labels, graph=graph, name="labels")
            if not labels.dtype.base_dtype.is_integer:
                raise ValueError("sparse labels must be int32 or int64, got %s" % labels.dtype.name)
        else:
            labels = _fw.convert_like(labels, logits, "labels", graph)
            _fw.check_same_dtype(op_type, logits, labels, ("logits", "labels"))
        sl, sy = _fw.static_shape(logits), _fw.static_shape(labels)
        if sl is None or len(sl) != 2:
            raise NotImplementedError("tf.nn.%s: logits of rank 2 ([batch, classes]) only, got %s" % (
                default_name, _fw._shape_str(sl)))
        want = sl[:1] if sparse else sl
        if sy is not None and (len(sy) != len(want) or
                               any(a is not None and b is not None and a != b for a, b in zip(sy, want))):
            raise ValueError("labels shape %s does not match logits shape %s for '%s'" % (
                _fw._shape_str(sy), _fw._shape_str(sl), scope[:-1]))
        return graph._add_op(op_type, [logits, labels], {}, scope, shapes=[sl[:1], sl])[0]


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Per-example cross entropy of softmax(logits) against `labels` (rank 2)."""
    axis = dim if axis is None else axis
    if axis not in (None, -1, 1):
        raise NotImplementedError("softmax_cross_entropy_with_logits_v2 over axis %r is not provided" % axis)
    return _xent("SoftmaxCrossEntropyWithLogits", "softmax_cross_entropy_with_logits", labels, logits, name,
                 sparse=False)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    if _sentinel is not None:
        raise ValueError("Only call `sparse_softmax_cross_entropy_with_logits` with named arguments "
                         "(labels=..., logits=..., ...).")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    return _xent("SparseSoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", labels, logits,
                 name, sparse=True)
