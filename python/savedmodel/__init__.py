"""Load, run, train and save TensorFlow SavedModels without TensorFlow.

    import savedmodel
    m = savedmodel.load("model/1")                      # tags ["serve"]
    m.signatures["serving_default"](x=np.ones((2, 1), np.float32))  # {"y": ndarray}
    m.run({"x:0": x}, "y:0")                            # by tensor name

The shapes follow TensorFlow's: `signatures` as in tf.saved_model.load (keyword
arguments only, a dict of NumPy arrays back), `run` as TF1's Session.run over
the loaded graph, errors as savedmodel.errors (tf.errors' names). The writing
API (GraphBuilder, Session, SavedModelBuilder, simple_save) is the extension's
own; savedmodel.compat.v1 gives it TensorFlow 1.x's names.
"""
import os
from collections.abc import Mapping

import numpy as np

from savedmodel import dtypes, errors
from savedmodel import _core
from savedmodel._core import (GraphBuilder, SavedModelBuilder, Session, read_checkpoint,
                              simple_save)

__version__ = _core.__version__

__all__ = [
    "load", "SavedModel", "Signature", "TensorSpec", "errors", "dtypes", "GraphBuilder", "Session",
    "SavedModelBuilder", "simple_save", "read_checkpoint", "__version__",
]


class TensorSpec:
    """A signature tensor: graph tensor `name` ("x:0"), `dtype` (a DType) and
    `shape` (a tuple with None for unknown dims, or None for unknown rank)."""

    __slots__ = ("name", "dtype", "shape")

    def __init__(self, name, dtype, shape):
        self.name = name
        self.dtype = dtypes.as_dtype(dtype)
        self.shape = None if shape is None else tuple(None if d is None or d < 0 else int(d) for d in shape)

    @classmethod
    def _from_info(cls, info):
        return cls(info["name"], info["dtype"], info["shape"])

    def __eq__(self, other):
        if not isinstance(other, TensorSpec):
            return NotImplemented
        return (self.name, self.dtype, self.shape) == (other.name, other.dtype, other.shape)

    def __hash__(self):
        return hash((self.name, self.dtype, self.shape))

    def __repr__(self):
        return "TensorSpec(shape=%s, dtype=%r, name=%r)" % (self.shape, self.dtype, self.name)


class Signature:
    """One SignatureDef, callable like a TF2 signature function: keyword
    arguments by input name, a dict of output name -> ndarray back."""

    def __init__(self, core_model, key):
        info = core_model.signature(key)
        self._model = core_model
        self.key = key
        self.method_name = info["method_name"]
        self.inputs = {k: TensorSpec._from_info(v) for k, v in sorted(info["inputs"].items())}
        self.outputs = {k: TensorSpec._from_info(v) for k, v in sorted(info["outputs"].items())}

    @property
    def structured_input_signature(self):
        """As a TF2 ConcreteFunction gives it: ((), {arg: TensorSpec})."""
        return (), dict(self.inputs)

    @property
    def structured_outputs(self):
        return dict(self.outputs)

    def __call__(self, *args, **kwargs):
        if args:
            # TF2 signatures are keyword-only too; naming the keywords is the useful answer.
            raise TypeError("signature %r takes keyword arguments only: %s (got %d positional)"
                            % (self.key, ", ".join("%s=" % k for k in self.inputs), len(args)))
        for arg, value in kwargs.items():
            spec = self.inputs.get(arg)
            # Values NumPy cannot shape (a dict) are left to the runtime's TypeError.
            if spec is not None and spec.shape is not None and isinstance(value, _SHAPED):
                _check_shape(self.key, arg, spec, np.shape(value))
        return self._model.predict(self.key, kwargs)

    def __repr__(self):
        return "<Signature %r: (%s) -> (%s)>" % (self.key, ", ".join(self.inputs), ", ".join(self.outputs))


_SHAPED = (np.ndarray, np.generic, list, tuple, int, float, complex)


def _check_shape(key, arg, spec, shape):
    """A value TensorFlow's signature function would refuse, refused here too:
    a rank or a known dimension other than the TensorSpec's."""
    want = spec.shape
    if len(shape) != len(want) or any(w is not None and w != d for w, d in zip(want, shape)):
        raise ValueError("signature %r: input %r has shape %s, which is not compatible with %s"
                         % (key, arg, tuple(shape), spec))


class _Signatures(Mapping):
    """signature key -> Signature, made on first access."""

    def __init__(self, core_model):
        self._model = core_model
        self._keys = list(core_model.signature_keys())
        self._cache = {}

    def __getitem__(self, key):
        if key not in self._keys:
            raise KeyError("%r: no such signature; the model has %s" % (key, ", ".join(self._keys) or "none"))
        sig = self._cache.get(key)
        if sig is None:
            sig = self._cache[key] = Signature(self._model, key)
        return sig

    def __contains__(self, key):
        return key in self._keys

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)

    def __repr__(self):
        return "_Signatures(%s)" % self._keys


class _Variables(Mapping):
    """checkpoint tensor name -> ndarray, each read from variables/ when asked for."""

    def __init__(self, core_model):
        self._model = core_model
        self._names = None

    def _list(self):
        if self._names is None:
            self._names = [name for name, _, _ in self._model.variables()]
        return self._names

    def __getitem__(self, name):
        if name not in self._list():
            raise KeyError(name)
        return self._model.read_variable(name)

    def __contains__(self, name):
        return name in self._list()

    def __iter__(self):
        return iter(self._list())

    def __len__(self):
        return len(self._list())

    def __repr__(self):
        return "_Variables(%s)" % self._list()


class SavedModel:
    """A loaded SavedModel (one MetaGraphDef). Safe to use from several threads."""

    def __init__(self, core_model):
        self._core = core_model
        self._signatures = _Signatures(core_model)
        self._variables = _Variables(core_model)

    @property
    def export_dir(self):
        return self._core.export_dir

    @property
    def tags(self):
        return list(self._core.tags)

    @property
    def meta_graph_def(self):
        """The loaded MetaGraphDef, serialized (parse it with TF's protos if needed)."""
        return self._core.meta_graph_def()

    @property
    def signatures(self):
        return self._signatures

    @property
    def variables(self):
        return self._variables

    def run(self, feeds, fetches, targets=()):
        """TF1's Session.run by tensor name: `fetches` a name ("y:0") gives one
        array, a list of names a list."""
        if not isinstance(feeds, Mapping):
            raise TypeError("feeds must be a dict of tensor name -> value, not %s" % type(feeds).__name__)
        if isinstance(targets, str):
            targets = [targets]
        if isinstance(fetches, str):
            return self._core.run(dict(feeds), [fetches], list(targets))[0]
        return self._core.run(dict(feeds), list(fetches), list(targets))

    def __repr__(self):
        return "<savedmodel.SavedModel %r tags=%r>" % (self.export_dir, self.tags)


def load(export_dir, tags=None, *, intra_op_threads=0, inter_op_threads=0):
    """Loads the MetaGraphDef of `export_dir` tagged exactly `tags` (["serve"]
    when None), restoring its variables and running its init op."""
    if tags is None:
        tags = ["serve"]
    elif isinstance(tags, str):
        tags = [tags]
    return SavedModel(_core.Model.load(os.fspath(export_dir), [str(t) for t in tags],
                                       intra_op_threads, inter_op_threads))
