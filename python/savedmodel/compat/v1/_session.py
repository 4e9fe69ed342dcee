"""tf.Session and tf.InteractiveSession over savedmodel._core.Session."""
import collections.abc
import contextlib
import numbers

import numpy as np

from savedmodel import _core

from ._framework import (Graph, Operation, Tensor, Variable, _graph_stack, _session_stack, get_default_graph)


def _leaf(graph, fetch):
    """("tensor", name) or ("op", name) for one fetch, with TensorFlow's errors."""
    if isinstance(fetch, Variable):
        fetch = fetch._ref
    if isinstance(fetch, (Tensor, Operation, str)):
        try:
            element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except (KeyError, ValueError, TypeError) as e:
            what = "Operation" if isinstance(fetch, Operation) else "Tensor"
            raise ValueError("Fetch argument %r cannot be interpreted as a %s. (%s)" % (
                fetch, what, e.args[0] if e.args else e)) from None
        if isinstance(element, Operation):
            return ("op", element.name)
        return ("tensor", element.name)
    raise TypeError("Fetch argument %r has invalid type %r, must be a string or Tensor. (Can not convert a "
                    "%s into a Tensor or Operation.)" % (fetch, type(fetch), type(fetch).__name__))


def _flatten(graph, fetches, leaves):
    """Collects the leaves of a fetch structure; returns a function rebuilding
    the structure from the leaves' values."""
    if isinstance(fetches, (list, tuple)) and not isinstance(fetches, str):
        parts = [_flatten(graph, f, leaves) for f in fetches]
        if isinstance(fetches, tuple) and hasattr(fetches, "_fields"):  # namedtuple
            return lambda values: type(fetches)(*[p(values) for p in parts])
        if isinstance(fetches, tuple):
            return lambda values: tuple(p(values) for p in parts)
        return lambda values: [p(values) for p in parts]
    if isinstance(fetches, collections.abc.Mapping):
        keys = list(fetches.keys())
        parts = [_flatten(graph, fetches[k], leaves) for k in keys]
        kind = type(fetches)
        if kind is collections.defaultdict:
            def rebuild(values):
                out = collections.defaultdict(fetches.default_factory)
                out.update(zip(keys, [p(values) for p in parts]))
                return out
            return rebuild
        if kind not in (dict, collections.OrderedDict):
            kind = dict
        return lambda values: kind(zip(keys, [p(values) for p in parts]))
    if fetches is None:
        raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
    i = len(leaves)
    leaves.append(_leaf(graph, fetches))
    return lambda values: values[i]


def _result(arr):
    # 0-d results come back as NumPy scalars, as TensorFlow returns them.
    return arr[()] if isinstance(arr, np.ndarray) and arr.ndim == 0 else arr


class Session:
    """tf.Session: runs the graph it was made for (the default graph by default)."""

    def __init__(self, target="", graph=None, config=None):
        if target not in ("", None, b""):
            raise NotImplementedError("tf.Session(target=%r): savedmodel.compat.v1 runs in this process only"
                                      % (target,))
        if graph is None:
            graph = get_default_graph()
        elif not isinstance(graph, Graph):
            raise TypeError("graph must be a tf.Graph, but got %s" % type(graph))
        intra = int(getattr(config, "intra_op_parallelism_threads", 0) or 0)
        inter = int(getattr(config, "inter_op_parallelism_threads", 0) or 0)
        self._graph = graph
        self._session = _core.Session(graph._builder, intra, inter)
        self._closed = False
        self._graph_context = None
        self._session_context = None

    @property
    def graph(self):
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self):
        return ""

    def as_default(self):
        """A context manager making this the default session (for .eval() / .run())."""
        @contextlib.contextmanager
        def default():
            _session_stack.items.append(self)
            try:
                yield self
            finally:
                _session_stack.remove(self)
        return default()

    def __enter__(self):
        if self._graph_context is not None:
            raise RuntimeError("Session context managers are not re-entrant. Use `Session.as_default()` if you "
                               "want to enter a session multiple times.")
        self._graph_context = self._graph.as_default()
        self._session_context = self.as_default()
        self._graph_context.__enter__()
        return self._session_context.__enter__()

    def __exit__(self, exc_type, exc_value, tb):
        self._session_context.__exit__(exc_type, exc_value, tb)
        self._graph_context.__exit__(exc_type, exc_value, tb)
        self._graph_context = self._session_context = None
        self.close()

    def close(self):
        if not self._closed:
            self._closed = True
            self._session.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown; nothing left to free
            pass

    def _feeds(self, feed_dict):
        feeds = {}
        for key, value in (feed_dict or {}).items():
            if isinstance(key, Variable):
                key = key._ref
            try:
                t = self._graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (KeyError, ValueError, TypeError) as e:
                raise TypeError("Cannot interpret feed_dict key as Tensor: %s" % (
                    e.args[0] if e.args else e)) from None
            if isinstance(value, (Tensor, Variable, Operation)):
                raise TypeError("The value of a feed cannot be a tf.Tensor object. Acceptable feed values include "
                                "Python scalars, strings, lists, numpy ndarrays, or TensorHandles. For reference, "
                                "the tensor object was %s which was passed to the argument `feed_dict` with key "
                                "%s." % (value, t))
            dtype = t.dtype.base_dtype
            np_type = dtype.as_numpy_dtype
            if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) and \
                    dtype.is_integer and not np.iinfo(np_type).min <= int(value) <= np.iinfo(np_type).max:
                raise TypeError("Type of feed value %r with type %s is not compatible with Tensor type %s. Try "
                                "explicitly setting the type of the feed tensor to a larger type (e.g. int64)."
                                % (value, type(value), dtype))
            try:
                arr = np.asarray(value, dtype=np_type)
            except (ValueError, TypeError, OverflowError) as e:
                shown = repr(value)
                shown = shown if len(shown) <= 60 else type(value).__name__
                raise ValueError("Cannot feed %s to %s (%s): %s" % (shown, t.name, dtype.name, e)) from None
            if not t.shape.is_compatible_with(arr.shape):
                raise ValueError("Cannot feed value of shape %r for Tensor %r, which has shape %r" % (
                    arr.shape, t.name, str(t.shape)))
            feeds[t.name] = arr
        return feeds

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the fetches (a Tensor, Operation, name or nested list/tuple/dict of
        them) and returns their values in the same structure (None for ops)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        leaves = []
        rebuild = _flatten(self._graph, fetches, leaves)
        tensors, targets = [], []
        for kind, name in leaves:
            bucket = tensors if kind == "tensor" else targets
            if name not in bucket:
                bucket.append(name)
        feeds = self._feeds(feed_dict)
        values = self._session.run(feeds, tensors, targets) if tensors or targets else []
        by_name = dict(zip(tensors, values))
        return rebuild([_result(by_name[name]) if kind == "tensor" else None for kind, name in leaves])

    def list_devices(self):
        return []


class InteractiveSession(Session):
    """A Session that makes itself (and its graph) the default from creation
    until close(), for interactive use and the tutorial."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        _graph_stack.items.append(self._graph)
        _session_stack.items.append(self)
        self._installed = True

    def close(self):
        super().close()
        if getattr(self, "_installed", False):
            self._installed = False
            _session_stack.remove(self)
            _graph_stack.remove(self._graph)
