"""TF 1.x's graph objects over savedmodel._core.GraphBuilder.

A Graph owns one GraphBuilder: every node lives in the builder (so sessions,
gradients, optimizers and savers see exactly what Python built), and the
Python objects (Tensor, Operation, Variable) are handles naming nodes in it,
cached so that looking a tensor up twice gives the same object, as in
TensorFlow. Static shapes are tracked here, best effort, for the ops this
package builds and for imported graphs that record them; the runtime never
relies on them.
"""
import collections.abc
import contextlib
import threading

import numpy as np

from savedmodel import _core
from savedmodel import dtypes as _dtypes
from savedmodel import errors as _errors

from . import _proto


# ---- shapes ------------------------------------------------------------------------

class TensorShape:
    """A static shape: unknown rank (dims None) or a list of sizes, None where unknown."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        elif dims is not None:
            if isinstance(dims, (int, np.integer)):
                dims = [dims]
            try:
                dims = [None if d is None or (isinstance(d, (int, np.integer)) and d < 0) else int(d)
                        for d in dims]
            except (TypeError, ValueError):
                raise TypeError("Cannot convert %r to a TensorShape" % (dims,)) from None
            dims = tuple(dims)
        self._dims = dims

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    @property
    def ndims(self):
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other):
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other):
        other = TensorShape(other)
        if not self.is_compatible_with(other):
            raise ValueError("Shapes %s and %s are not compatible" % (self, other))
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def as_proto_dims(self):
        """None (unknown rank) or sizes with -1 for unknown, as attrs and TensorInfo take them."""
        return None if self._dims is None else [-1 if d is None else d for d in self._dims]

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other):
        try:
            other = TensorShape(other)
        except TypeError:
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        return "TensorShape(%s)" % (None if self._dims is None else list(self._dims),)

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self._dims)
        return "(%s,)" % inner if len(self._dims) == 1 else "(%s)" % inner


def _shape_str(shape):
    return "<unknown>" if shape is None else "[%s]" % ",".join("?" if d is None else str(d) for d in shape)


# ---- default graph and session stacks -------------------------------------------------

class _Stack(threading.local):
    def __init__(self):
        super().__init__()
        self.items = []

    def remove(self, item):
        # The innermost occurrence: InteractiveSession leaves its entries open
        # while later contexts come and go (TF's enforce_nesting=False).
        for i in range(len(self.items) - 1, -1, -1):
            if self.items[i] is item:
                del self.items[i]
                return


_graph_stack = _Stack()
_session_stack = _Stack()
_global_graph = None
_global_graph_lock = threading.Lock()


def get_default_graph():
    """The innermost graph made default in this thread, else the global default graph."""
    global _global_graph
    if _graph_stack.items:
        return _graph_stack.items[-1]
    with _global_graph_lock:
        if _global_graph is None:
            _global_graph = Graph()
        return _global_graph


def reset_default_graph():
    """Replaces the global default graph with a new, empty one."""
    global _global_graph
    if _graph_stack.items:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you need a "
                             "cleared graph, exit the nesting and create a new graph.")
    with _global_graph_lock:
        _global_graph = None


def get_default_session():
    """The innermost session made default in this thread, or None."""
    return _session_stack.items[-1] if _session_stack.items else None


# ---- graph -------------------------------------------------------------------------

class GraphDef:
    """What Graph.as_graph_def() returns: the serialized graph and its nodes."""

    NodeDef = collections.namedtuple("NodeDef", ["name", "op", "input"])

    def __init__(self, data):
        self._data = bytes(data)
        self.node = [GraphDef.NodeDef(n["name"], n["op"], list(n["inputs"])) for n in _proto.graph_nodes(data)]

    def SerializeToString(self):  # noqa: N802 (protobuf's name)
        return self._data

    def ByteSize(self):  # noqa: N802
        return len(self._data)


class Graph:
    """tf.Graph: a graph being built, over one _core.GraphBuilder."""

    def __init__(self):
        self._builder = _core.GraphBuilder()
        self._tensors = {}    # "node:i" -> Tensor
        self._ops = {}        # node name -> Operation
        self._variables = {}  # "W:0" -> Variable
        self._shapes = {}     # "node:i" -> tuple (None per unknown dim); absent: unknown rank
        self._finalized = False
        self._lock = threading.RLock()

    # -- context --
    @contextlib.contextmanager
    def as_default(self):
        """Makes this the default graph of the current thread inside `with`."""
        _graph_stack.items.append(self)
        try:
            yield self
        finally:
            _graph_stack.remove(self)

    @contextlib.contextmanager
    def name_scope(self, name):
        if name is None or name == "" or name.endswith("/"):
            raise NotImplementedError(
                "name_scope(%r): savedmodel.compat.v1 opens new scopes only; re-entering a scope "
                "(a name ending in '/') or returning to the root ('' or None) is not provided" % (name,))
        with self._lock:
            prefix = self._builder.push_name_scope(name)
        try:
            with self.as_default():
                yield prefix
        finally:
            with self._lock:
                self._builder.pop_name_scope()

    # -- state --
    @property
    def finalized(self):
        return self._finalized

    def finalize(self):
        self._finalized = True

    @property
    def version(self):
        return self._builder.num_nodes()

    def unique_name(self, name, mark_as_used=True):
        if not mark_as_used:
            raise NotImplementedError("unique_name(mark_as_used=False) is not provided")
        return self._builder.unique_name(name)

    # -- lookups --
    def _tensor(self, name, dtype=None):
        t = self._tensors.get(name)
        if t is None:
            with self._lock:
                if dtype is None:
                    name, dtype = self._builder.find_output(name)
                t = self._tensors.get(name)
                if t is None:
                    node, index = name.rsplit(":", 1)
                    t = Tensor(self, node, int(index), _dtypes.as_dtype(dtype))
                    self._tensors[name] = t
        return t

    def _op(self, name):
        op = self._ops.get(name)
        if op is None:
            op = Operation(self, name)
            self._ops[name] = op
        return op

    def get_tensor_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Tensor names are strings (or similar), not %s." % type(name).__name__)
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Operation names are strings (or similar), not %s." % type(name).__name__)
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """The Tensor or Operation `obj` names or is, with TensorFlow's errors."""
        if isinstance(obj, Variable):
            obj = obj._ref
        if isinstance(obj, (Tensor, Operation)):
            if obj.graph is not self:
                raise ValueError("%s is not an element of this graph." % obj)
            if isinstance(obj, Tensor) and not allow_tensor:
                raise TypeError("Can not convert a Tensor into a Operation.")
            if isinstance(obj, Operation) and not allow_operation:
                raise TypeError("Can not convert a Operation into a Tensor.")
            return obj
        if not isinstance(obj, str):
            raise TypeError("Can not convert a %s into a %s." % (
                type(obj).__name__, "/".join(k for k, a in (("Tensor", allow_tensor), ("Operation", allow_operation))
                                             if a)))
        name = obj
        if ":" in name:
            if not allow_tensor:
                raise ValueError("Name %r appears to refer to a Tensor, not a Operation." % name)
            op_name, out = name.rsplit(":", 1)
            try:
                index = int(out)
            except ValueError:
                index = -1
            if index < 0 or not op_name:
                raise ValueError("The name %r looks a like a Tensor name, but is not a valid one. Tensor "
                                 "names must be of the form \"<op_name>:<output_index>\"." % name)
            if not self._builder.has_node(op_name):
                raise KeyError("The name %r refers to a Tensor which does not exist. The operation, %r, "
                               "does not exist in this graph." % (name, op_name))
            canonical = "%s:%d" % (op_name, index)
            if canonical in self._tensors:
                return self._tensors[canonical]
            try:
                return self._tensor(canonical)
            except _errors.OpError:
                raise KeyError("The name %r refers to a Tensor which does not exist. The operation, %r, "
                               "exists but only has %d outputs." % (name, op_name,
                                                                    len(self._op(op_name).outputs))) from None
        if not self._builder.has_node(name):
            if allow_tensor and not allow_operation:
                raise ValueError("The name %r looks like an (invalid) Operation name, not a Tensor. Tensor "
                                 "names must be of the form \"<op_name>:<output_index>\"." % name)
            raise KeyError("The name %r refers to an Operation not in the graph." % name)
        if not allow_operation:
            raise ValueError("The name %r refers to an Operation, not a Tensor. Tensor names must be of "
                             "the form \"<op_name>:<output_index>\"." % name)
        return self._op(name)

    def get_operations(self):
        return [self._op(n["name"]) for n in _proto.graph_nodes(self._builder.graph_def())]

    def as_graph_def(self, from_version=None, add_shapes=False):
        return GraphDef(self._builder.graph_def())

    def get_all_collection_keys(self):
        return ["trainable_variables", "variables"] if self._builder.variables() else []

    def get_collection(self, name, scope=None):
        if name == "variables":
            return _global_variables(self, scope)
        if name == "trainable_variables":
            return [v for v in _global_variables(self, scope) if v.trainable]
        return []

    # -- building --
    def _add_op(self, op_type, inputs=(), attrs=None, name="", control_inputs=(), shapes=None):
        """Adds one node; returns its output Tensors. `shapes`: static shapes of
        the outputs (each a tuple or None), when known."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

        def in_name(v):
            if isinstance(v, (list, tuple)):
                return [in_name(e) for e in v]
            if v.graph is not self:
                raise ValueError("%s must be from the same graph as the other inputs of %s." % (v, op_type))
            return v.name

        controls = []
        for c in control_inputs:
            c = c.op if isinstance(c, (Tensor, Variable)) else c
            if c.graph is not self:
                raise ValueError("Control input %s must be from the same graph." % c)
            controls.append(c.name)
        with self._lock:
            outs = self._builder.add_op(op_type, [in_name(v) for v in inputs], attrs or {}, name, controls)
        tensors = [self._tensor(n, dt) for n, dt in outs]
        if shapes is not None:
            for t, s in zip(tensors, shapes):
                if s is not None:
                    self._shapes[t.name] = tuple(s)
        return tensors

    def _add_target(self, op_type, inputs=(), attrs=None, name="", control_inputs=()):
        """Adds a node without outputs (NoOp, ...); returns its Operation."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        with self._lock:
            full = self._builder.unique_name(name or op_type)
        # The name is fixed first because add_op reports outputs, not the node.
        self._add_op(op_type, inputs, attrs, full + "/", control_inputs)
        return self._op(full)

    def _record_shapes(self, graph_def):
        """Static shapes from an imported graph: Placeholder's shape attr and
        the _output_shapes TensorFlow writes when asked."""
        for n in _proto.graph_nodes(graph_def):
            if n["output_shapes"]:
                for i, s in enumerate(n["output_shapes"]):
                    if s is not None:
                        self._shapes.setdefault("%s:%d" % (n["name"], i), tuple(None if d < 0 else d for d in s))
            if n["op"] in ("Placeholder", "PlaceholderV2") and n["shape"] is not None:
                self._shapes.setdefault(n["name"] + ":0", tuple(None if d < 0 else d for d in n["shape"]))


# ---- operator overloads ---------------------------------------------------------------

class _Overloads:
    """Python operators building TensorFlow's nodes, names as TensorFlow gives them."""

    __array_priority__ = 100  # ndarray + Tensor -> Tensor.__radd__

    def __add__(self, other):
        return _binary("add", "AddV2", self, other)

    def __radd__(self, other):
        return _binary("add", "AddV2", other, self, reverse=True)

    def __sub__(self, other):
        return _binary("sub", "Sub", self, other)

    def __rsub__(self, other):
        return _binary("sub", "Sub", other, self, reverse=True)

    def __mul__(self, other):
        return _binary("mul", "Mul", self, other)

    def __rmul__(self, other):
        return _binary("mul", "Mul", other, self, reverse=True)

    def __truediv__(self, other):
        return _truediv(self, other)

    def __rtruediv__(self, other):
        return _truediv(other, self, reverse=True)

    def __floordiv__(self, other):
        return _binary("floordiv", "FloorDiv", self, other)

    def __rfloordiv__(self, other):
        return _binary("floordiv", "FloorDiv", other, self, reverse=True)

    def __mod__(self, other):
        return _binary("mod", "FloorMod", self, other)

    def __rmod__(self, other):
        return _binary("mod", "FloorMod", other, self, reverse=True)

    def __pow__(self, other):
        return _binary("pow", "Pow", self, other)

    def __rpow__(self, other):
        return _binary("pow", "Pow", other, self, reverse=True)

    def __matmul__(self, other):
        from . import _ops
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        from . import _ops
        return _ops.matmul(other, self)

    def __neg__(self):
        return _unary("Neg", self)

    def __abs__(self):
        return _unary("Abs", self)

    def __lt__(self, other):
        return _binary("Less", "Less", self, other)

    def __le__(self, other):
        return _binary("LessEqual", "LessEqual", self, other)

    def __gt__(self, other):
        return _binary("Greater", "Greater", self, other)

    def __ge__(self, other):
        return _binary("GreaterEqual", "GreaterEqual", self, other)

    def __getitem__(self, key):
        return _strided_slice(self, key)

    # TF 1.x graph tensors compare and hash by identity.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
                        "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such as "
                        "tf.cond to execute subgraphs conditioned on the value of a tensor.")

    def __iter__(self):
        raise TypeError("Tensor objects are only iterable when eager execution is enabled. To iterate "
                        "over this tensor use tf.map_fn.")

    def __len__(self):
        raise TypeError("len is not well defined for symbolic Tensors. (%s) Please call `x.shape` rather "
                        "than `len(x)` for shape information." % self.name)

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError("Cannot convert a symbolic Tensor (%s) to a numpy array. Run it in a "
                                  "session (sess.run or .eval()) to get its value." % self.name)


class Tensor(_Overloads):
    """One output of a node: "node:index"."""

    def __init__(self, graph, op_name, value_index, dtype):
        self._graph = graph
        self._op_name = op_name
        self._value_index = value_index
        self._dtype = dtype
        self._name = "%s:%d" % (op_name, value_index)

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self):
        return self._graph

    @property
    def op(self):
        return self._graph._op(self._op_name)

    @property
    def value_index(self):
        return self._value_index

    @property
    def device(self):
        return ""

    @property
    def shape(self):
        return TensorShape(self._graph._shapes.get(self._name))

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        merged = self.shape.merge_with(shape)
        if merged.dims is not None:
            self._graph._shapes[self._name] = tuple(merged.dims)

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in `session` (default: the default session)."""
        session = _session_for(self._graph, session, "evaluate tensor", "eval")
        return session.run(self, feed_dict)

    def __repr__(self):
        return "<tf.Tensor %r shape=%s dtype=%s>" % (self._name, self.shape, self._dtype.name)

    def __str__(self):
        return "Tensor(\"%s\", shape=%s, dtype=%s)" % (self._name, self.shape, self._dtype.name)


class Operation:
    """One node of a graph."""

    def __init__(self, graph, name):
        self._graph = graph
        self._name = name
        self._num_outputs = None

    @property
    def name(self):
        return self._name

    @property
    def type(self):
        return self._graph._builder.node_op(self._name)

    @property
    def graph(self):
        return self._graph

    @property
    def device(self):
        return ""

    def _input_names(self):
        return self._graph._builder.node_inputs(self._name)

    @property
    def inputs(self):
        return [self._graph._tensor(n if ":" in n else n + ":0") for n in self._input_names()
                if not n.startswith("^")]

    @property
    def control_inputs(self):
        return [self._graph._op(n[1:]) for n in self._input_names() if n.startswith("^")]

    @property
    def outputs(self):
        if self._num_outputs is None:
            n = 0
            while True:
                try:
                    self._graph._builder.find_output("%s:%d" % (self._name, n))
                except _errors.OpError:
                    break
                n += 1
            self._num_outputs = n
        return [self._graph._tensor("%s:%d" % (self._name, i)) for i in range(self._num_outputs)]

    def values(self):
        return tuple(self.outputs)

    def run(self, feed_dict=None, session=None):
        """Runs this operation in `session` (default: the default session)."""
        session = _session_for(self._graph, session, "execute operation", "run")
        session.run(self, feed_dict)

    def __repr__(self):
        return "<tf.Operation %r type=%s>" % (self._name, self.type)

    __str__ = __repr__


def _session_for(graph, session, what, method):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError("Cannot %s using `%s()`: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to `%s(session=sess)`"
                             % (what, method, method))
        if session.graph is not graph:
            raise ValueError("Cannot use the default session to %s: the %s's graph is different from the "
                             "session's graph. Pass an explicit session to `%s(session=sess)`."
                             % (what, what.split()[-1], method))
    elif session.graph is not graph:
        raise ValueError("Cannot use the given session to %s: the %s's graph is different from the "
                         "session's graph." % (what, what.split()[-1]))
    return session


# ---- variables -------------------------------------------------------------------------

class Variable(_Overloads):
    """tf.Variable as TF 1.x makes it (a VariableV2 "name" with "name/Assign" and
    "name/read"); wherever a tensor is expected it reads through "name/read:0"."""

    def __init__(self, initial_value=None, trainable=None, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None, expected_shape=None,
                 import_scope=None, constraint=None, use_resource=None, synchronization=None,
                 aggregation=None, shape=None):
        if variable_def is not None:
            raise NotImplementedError("tf.Variable(variable_def=...) is not provided")
        if use_resource:
            raise NotImplementedError("tf.Variable(use_resource=True): savedmodel.compat.v1 makes TF 1.x "
                                      "ref variables (VariableV2) only")
        if constraint is not None:
            raise NotImplementedError("tf.Variable(constraint=...) is not provided")
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        trainable = True if trainable is None else bool(trainable)
        dtype = None if dtype is None else _dtypes.as_dtype(dtype)
        graph = _graph_of(initial_value)
        init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value", graph=graph)
        static = init.shape if shape is None else TensorShape(shape)
        if validate_shape and not static.is_fully_defined():
            raise ValueError("initial_value must have a shape specified: %s" % init)
        kwargs = {}
        if init.op.type != "Const":
            kwargs["shape"] = static.as_proto_dims()
        info = graph._builder.variable(init.name, name=name or "Variable", trainable=trainable, **kwargs)
        self._setup(graph, info, tuple(static.dims) if static.dims is not None else None)

    def _setup(self, graph, info, shape):
        self._graph = graph
        self._info = info
        self._ref = graph._tensor(info["variable"])
        self._snapshot = graph._tensor(info["snapshot"])
        if shape is not None:
            graph._shapes.setdefault(self._ref.name, shape)
            graph._shapes.setdefault(self._snapshot.name, shape)
        graph._variables[self._ref.name] = self

    @classmethod
    def _from_info(cls, graph, info):
        v = graph._variables.get(info["variable"])
        if v is None:
            v = cls.__new__(cls)
            init_shape = graph._shapes.get(info.get("initial_value", ""))
            v._setup(graph, info, init_shape)
        return v

    @property
    def name(self):
        return self._ref.name

    @property
    def op(self):
        return self._ref.op

    @property
    def dtype(self):
        return self._ref.dtype

    @property
    def graph(self):
        return self._graph

    @property
    def device(self):
        return ""

    @property
    def trainable(self):
        return bool(self._info["trainable"])

    @property
    def initializer(self):
        return self._graph._op(self._info["initializer"])

    @property
    def initial_value(self):
        return self._graph._tensor(self._info["initial_value"])

    @property
    def shape(self):
        return self._snapshot.shape

    def get_shape(self):
        return self.shape

    def value(self):
        return self._snapshot

    def read_value(self):
        return _unary("Identity", self._ref, name="read")

    def _as_graph_element(self):
        return self._ref

    def eval(self, session=None):
        return self._snapshot.eval(session=session)

    def initialized_value(self):
        raise NotImplementedError("Variable.initialized_value() is not provided")

    def _assign(self, op_type, value, use_locking, name, attrs):
        value = convert_to_tensor(value, dtype=self.dtype.base_dtype, graph=self._graph)
        attrs = dict(attrs)
        attrs["use_locking"] = bool(use_locking)
        return self._graph._add_op(op_type, [self._ref, value], attrs, name or op_type,
                                   shapes=[self._graph._shapes.get(self._ref.name)])[0]

    def assign(self, value, use_locking=False, name=None, read_value=True):
        t = self._assign("Assign", value, use_locking, name, {"validate_shape": True})
        return t if read_value else t.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        t = self._assign("AssignAdd", delta, use_locking, name, {})
        return t if read_value else t.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        t = self._assign("AssignSub", delta, use_locking, name, {})
        return t if read_value else t.op

    def load(self, value, session=None):
        """Sets the variable's value through its initializer, as TF 1.x does."""
        session = _session_for(self._graph, session, "load variable", "load")
        session.run(self.initializer, {self.initial_value: value})

    def __repr__(self):
        return "<tf.Variable %r shape=%s dtype=%s>" % (self.name, self.shape, self.dtype.name)


def _global_variables(graph, scope=None):
    out = [Variable._from_info(graph, info) for info in graph._builder.variables()]
    if scope:
        out = [v for v in out if v.name.startswith(scope)]
    return out


# ---- conversion --------------------------------------------------------------------------

def _graph_elements(values):
    for v in values:
        if isinstance(v, (Tensor, Variable, Operation)):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _graph_elements(v)


def _graph_of(*values):
    """The graph of the tensors among `values` (nested lists included), else
    the default graph; ValueError when they come from different graphs."""
    graph = first = None
    for v in _graph_elements(values):
        if graph is None:
            graph, first = v.graph, v
        elif v.graph is not graph:
            raise ValueError("%s must be from the same graph as %s." % (v, first))
    return graph if graph is not None else get_default_graph()


def _python_dtype(arr):
    """TensorFlow's dtype for a Python value (ints -> int32 unless too large, floats -> float32)."""
    kind = arr.dtype.kind
    if kind == "b":
        return _dtypes.bool
    if kind in "iu":
        if arr.size == 0 or (arr.min() >= -2 ** 31 and arr.max() < 2 ** 31):
            return _dtypes.int32
        return _dtypes.int64
    if kind == "f":
        return _dtypes.float32
    if kind == "c":
        return _dtypes.complex128
    if kind in "SU":
        return _dtypes.string
    raise TypeError("Failed to convert elements of %r to Tensor." % (arr.tolist() if arr.size < 20 else arr,))


def _numpy_value(value, dtype=None):
    """The ndarray a Const holds for `value`, as tf.constant converts it."""
    if isinstance(value, (Tensor, Variable, Operation)):
        raise TypeError("%s is a graph element, not a constant value" % (value,))
    is_numpy = isinstance(value, (np.ndarray, np.generic))
    try:
        arr = np.asarray(value) if is_numpy or dtype is None or dtype != _dtypes.string else None
    except (ValueError, OverflowError) as e:
        raise TypeError("Failed to convert %r to a Tensor: %s" % (value, e)) from None
    if dtype is None:
        if arr.dtype.kind == "O":
            raise TypeError("Failed to convert %r to a Tensor: elements of mixed or unsupported types" % (value,))
        dtype = _dtypes.as_dtype(arr.dtype) if is_numpy else _python_dtype(arr)
        if dtype == _dtypes.int64 and not is_numpy and arr.dtype.kind == "u":
            if arr.max() >= 2 ** 63:
                raise ValueError("Can't convert Python int %d to int64: it is too large" % arr.max())
    dtype = dtype.base_dtype
    if dtype == _dtypes.string:
        src = np.asarray(value, dtype=object)
        out = np.empty(src.shape, dtype=object)
        for idx, v in np.ndenumerate(src):
            if isinstance(v, str):
                v = v.encode("utf-8")
            elif isinstance(v, np.bytes_):
                v = bytes(v)
            elif not isinstance(v, bytes):
                raise TypeError("Expected string, got %r of type '%s' instead." % (v, type(v).__name__))
            out[idx] = v
        return out, dtype
    np_type = dtype.as_numpy_dtype
    if not is_numpy:
        # Python values must fit the requested type as TF checks them: no floats
        # for integers, no strings for numbers.
        if arr.dtype.kind in "fc" and (dtype.is_integer or dtype.is_bool):
            bad = arr.ravel()[0].item() if arr.size else value
            raise TypeError("Expected %s, got %r of type 'float' instead." % (dtype.name, bad))
        if arr.dtype.kind in "SUO":
            raise TypeError("Expected %s, got %r of type '%s' instead." % (
                dtype.name, value, type(value).__name__))
        if arr.dtype.kind in "iu" and arr.size and dtype.is_integer:
            info = np.iinfo(np_type)
            if arr.min() < info.min or arr.max() > info.max:
                raise TypeError("Value %r does not fit in %s" % (value, dtype.name))
    try:
        return np.asarray(arr, dtype=np_type), dtype
    except (ValueError, TypeError, OverflowError) as e:
        raise TypeError("Cannot convert %r to %s: %s" % (value, dtype.name, e)) from None


def _const(graph, value, dtype=None, name="Const"):
    arr, dtype = _numpy_value(value, dtype)
    return graph._add_op("Const", [], {"dtype": dtype.as_datatype_enum, "value": arr}, name,
                         shapes=[arr.shape])[0]


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None, graph=None):
    """tf.convert_to_tensor: a Tensor as is, a Variable's value, anything else as a Const."""
    dtype = None if dtype is None else _dtypes.as_dtype(dtype)
    if isinstance(value, Variable):
        value = value._snapshot
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype.base_dtype != dtype.base_dtype:
            raise ValueError("Tensor conversion requested dtype %s for Tensor with dtype %s: %r" % (
                dtype.name, value.dtype.base_dtype.name, value))
        return value
    if isinstance(value, Operation):
        raise TypeError("Can't convert Operation '%s' to Tensor (target dtype=%s, name=%s)" % (
            value.name, None if dtype is None else dtype.name, name))
    hint = preferred_dtype or dtype_hint
    if dtype is None and hint is not None:
        try:
            return _const(graph or get_default_graph(), value, _dtypes.as_dtype(hint), name or "Const")
        except (TypeError, ValueError):
            pass
    return _const(graph or get_default_graph(), value, dtype, name or "Const")


# ---- op helpers shared by the overloads and the ops module ------------------------------

@contextlib.contextmanager
def op_scope(graph, name):
    """Opens the name scope an op's converted inputs live in ("add/y") and
    yields the exact name for the op itself ("add/": the scope's own name)."""
    if graph._finalized:
        raise RuntimeError("Graph is finalized and cannot be modified.")
    with graph._lock:
        prefix = graph._builder.push_name_scope(name)
    try:
        yield prefix
    finally:
        with graph._lock:
            graph._builder.pop_name_scope()


def broadcast_shape(a, b, what):
    """NumPy broadcasting of two static shapes; ValueError when they cannot broadcast."""
    if a is None or b is None:
        return None
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == 1:
            out.append(y)
        elif y == 1 or y is None and x is not None:
            out.append(x)
        elif x is None:
            out.append(y)
        elif x == y:
            out.append(x)
        else:
            raise ValueError("Dimensions must be equal, but are %d and %d for '%s' with input shapes: %s, %s."
                             % (x, y, what, _shape_str(a), _shape_str(b)))
    return tuple(reversed(out))


def static_shape(t):
    return t.graph._shapes.get(t.name)


def _unary(op_type, x, name=None):
    graph = _graph_of(x)
    x = convert_to_tensor(x, graph=graph, name="x")
    return graph._add_op(op_type, [x], {}, name or op_type, shapes=[static_shape(x)])[0]


def _binary(name, op_type, x, y, reverse=False):
    """x <op> y with TensorFlow's conversion: the non-tensor side becomes a
    Const of the tensor side's dtype, named "<op>/y" ("<op>/x" when reversed)."""
    graph = _graph_of(x, y)
    with op_scope(graph, name) as scope:
        if reverse:
            y = convert_to_tensor(y, graph=graph)
            x = convert_like(x, y, "x", graph)
        else:
            x = convert_to_tensor(x, graph=graph)
            y = convert_like(y, x, "y", graph)
        check_same_dtype(op_type, x, y)
        shape = broadcast_shape(static_shape(x), static_shape(y), scope[:-1])
        return graph._add_op(op_type, [x, y], {}, scope, shapes=[shape])[0]


def convert_like(value, other, name, graph):
    """An op's second input: a tensor as it is (a dtype mismatch is then the
    op's TypeError), anything else converted to `other`'s dtype."""
    if isinstance(value, (Tensor, Variable)):
        return convert_to_tensor(value, graph=graph)
    return convert_to_tensor(value, dtype=other.dtype.base_dtype, name=name, graph=graph)


def check_same_dtype(op_type, x, y, names=("x", "y")):
    if x.dtype.base_dtype != y.dtype.base_dtype:
        raise TypeError("Input '%s' of '%s' Op has type %s that does not match type %s of argument '%s'." % (
            names[1], op_type, y.dtype.base_dtype.name, x.dtype.base_dtype.name, names[0]))


def _truediv(x, y, reverse=False):
    """x / y: RealDiv, integers first cast to float as Python 3's division does."""
    graph = _graph_of(x, y)
    with op_scope(graph, "truediv") as scope:
        if reverse:
            y = convert_to_tensor(y, graph=graph)
            x = convert_like(x, y, "x", graph)
        else:
            x = convert_to_tensor(x, graph=graph)
            y = convert_like(y, x, "y", graph)
        check_same_dtype("RealDiv", x, y)
        dt = x.dtype.base_dtype
        if dt.is_integer:
            to = _dtypes.float32 if dt.size <= 2 else _dtypes.float64
            x = graph._add_op("Cast", [x], {"DstT": to.as_datatype_enum, "Truncate": False}, "Cast",
                              shapes=[static_shape(x)])[0]
            y = graph._add_op("Cast", [y], {"DstT": to.as_datatype_enum, "Truncate": False}, "Cast",
                              shapes=[static_shape(y)])[0]
        shape = broadcast_shape(static_shape(x), static_shape(y), scope[:-1])
        return graph._add_op("RealDiv", [x, y], {}, scope, shapes=[shape])[0]


def _slice_shape(shape, key):
    """The static shape of x[key]: NumPy indexes a zero-size view of each
    candidate shape; dims that differ between two stand-ins for the unknown
    sizes are unknown."""
    if shape is None:
        return None
    out = []
    for fill in (2 ** 20 + 3, 2 ** 21 + 7):
        full = tuple(fill if d is None else d for d in shape)
        try:
            out.append(np.broadcast_to(np.zeros((), bool), full)[key].shape)
        except IndexError as e:
            if fill == 2 ** 20 + 3 and all(d is not None for d in shape):
                raise ValueError("Index out of range for a tensor of shape %s: %s" % (_shape_str(shape), e)) from None
            return None
    a, b = out
    if len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _strided_slice(x, key):
    """x[key] for ints, slices with int bounds, ... and None: one StridedSlice
    with TensorFlow's masks, its begin/end/strides Consts "stack", "stack_1",
    "stack_2" in the "strided_slice" scope, as TensorFlow builds it."""
    spec = key if isinstance(key, tuple) else (key,)
    begin, end, strides = [], [], []
    masks = {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0}

    def as_int(v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) are valid "
                            "indices here, got %r" % (v,))
        return int(v)

    for i, s in enumerate(spec):
        if isinstance(s, slice):
            for part, lst, mask in ((s.start, begin, "begin_mask"), (s.stop, end, "end_mask")):
                if part is None:
                    lst.append(0)
                    masks[mask] |= 1 << i
                else:
                    lst.append(as_int(part))
            step = 1 if s.step is None else as_int(s.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            strides.append(step)
        elif s is Ellipsis:
            begin.append(0), end.append(0), strides.append(1)
            masks["ellipsis_mask"] |= 1 << i
        elif s is None:
            begin.append(0), end.append(0), strides.append(1)
            masks["new_axis_mask"] |= 1 << i
        else:
            v = as_int(s)
            begin.append(v), end.append(v + 1), strides.append(1)
            masks["shrink_axis_mask"] |= 1 << i
    graph = x.graph
    t = convert_to_tensor(x, graph=graph)
    shape = _slice_shape(static_shape(t), key)
    with op_scope(graph, "strided_slice") as scope:
        consts = [_const(graph, np.asarray(v, np.int32), None, "stack") for v in (begin, end, strides)]
        return graph._add_op("StridedSlice", [t] + consts, masks, scope, shapes=[shape])[0]
