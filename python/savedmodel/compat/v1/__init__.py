"""TensorFlow 1.x's graph-mode API over savedmodel, for code written against it.

    import savedmodel.compat.v1 as tf      # instead of: import tensorflow as tf

Graphs are built node by node with TensorFlow's op and node names
(savedmodel._core.GraphBuilder), run by savedmodel's runtime, trained with
TensorFlow's own update ops and saved in TensorFlow's formats, so a model
written through this module loads in TensorFlow and the other way round.
A TF 1.x name that is not here raises AttributeError saying so; docs/python.md
lists what is provided.
"""
from savedmodel import errors
from savedmodel import dtypes
from savedmodel.dtypes import (DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16, float32,
                               float64, half, int8, int16, int32, int64, string, uint8, uint16, uint32, uint64)

from ._framework import (Graph, Operation, Tensor, TensorShape, Variable, convert_to_tensor, get_default_graph,
                         get_default_session, reset_default_graph)
from ._framework import _global_variables
from ._missing import module_getattr as _module_getattr
from ._ops import (abs, add, argmax, argmin, cast, constant, divide, equal, exp, fill, greater, greater_equal,
                   group, identity, less, less_equal, log, matmul, maximum, minimum, multiply, negative, no_op,
                   not_equal, ones, ones_like, zeros_like,
                   placeholder, placeholder_with_default, pow, reduce_max, reduce_mean, reduce_min, reduce_prod,
                   reduce_sum, reshape, shape, sigmoid, sqrt, square, stop_gradient, subtract, tanh, to_float,
                   to_int32, to_int64, truediv, zeros)
from ._session import InteractiveSession, Session
from . import math, nn, saved_model, train

__getattr__ = _module_getattr("")


def name_scope(name, default_name=None, values=None):
    """A context manager opening name scope `name` (or `default_name`) in the
    graph of `values` (default: the default graph); yields "scope/"."""
    from ._framework import _graph_of
    graph = _graph_of(*values) if values else get_default_graph()
    return graph.name_scope(name if name is not None else default_name)


def global_variables(scope=None):
    """The variables of the default graph, in creation order."""
    return _global_variables(get_default_graph(), scope)


all_variables = global_variables


def trainable_variables(scope=None):
    return [v for v in global_variables(scope) if v.trainable]


def global_variables_initializer():
    """One op ("init") running every variable's initializer."""
    graph = get_default_graph()
    with graph._lock:
        name = graph._builder.global_variables_initializer("init")
    return graph._op(name)


initialize_all_variables = global_variables_initializer


def variables_initializer(var_list, name="init"):
    """One op running the initializers of `var_list`."""
    var_list = list(var_list)
    for v in var_list:
        if not isinstance(v, Variable):
            raise TypeError("variables_initializer: %r is not a tf.Variable" % (v,))
    graph = var_list[0].graph if var_list else get_default_graph()
    return graph._add_target("NoOp", [], {}, name, control_inputs=[v.initializer for v in var_list])


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients="none"):
    """d ys / d xs for one scalar-valued or summed `ys`: a list of Tensors
    (None where ys does not depend on x)."""
    if grad_ys is not None or stop_gradients is not None or aggregation_method is not None:
        raise NotImplementedError("tf.gradients: grad_ys, stop_gradients and aggregation_method are not provided")
    if unconnected_gradients != "none":
        raise NotImplementedError("tf.gradients(unconnected_gradients=%r) is not provided" % unconnected_gradients)
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    if len(ys) != 1:
        raise NotImplementedError("tf.gradients of several ys is not provided; sum them first (tf.add)")
    y = ys[0]
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    names = []
    for x in xs_list:
        x = x.value() if isinstance(x, Variable) else x
        if not isinstance(x, Tensor) or x.graph is not y.graph:
            raise TypeError("tf.gradients: xs must be Tensors or Variables of the graph of ys, got %r" % (x,))
        names.append(x.name)
    graph = y.graph
    with graph._lock:
        grads = graph._builder.gradients(y.name, names)
    return [None if g is None else graph._tensor(g) for g in grads]
