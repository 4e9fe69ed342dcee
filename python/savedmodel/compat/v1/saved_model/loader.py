"""tf.saved_model.loader: loading a SavedModel into a session's graph."""
import os as _os

from .. import _proto
from .._missing import module_getattr as _module_getattr
from .signature_def_utils import SignatureDef as _SignatureDef

__getattr__ = _module_getattr("saved_model.loader")


class _MetaInfoDef:
    def __init__(self, tags):
        self.tags = list(tags)


class _MetaGraphDef:
    """What loader.load returns: signature_def (key -> SignatureDef),
    meta_info_def.tags, and the serialized message."""

    def __init__(self, data):
        self._data = bytes(data)
        parsed = _proto.meta_graph_def(self._data)
        self.meta_info_def = _MetaInfoDef(parsed["tags"])
        self.signature_def = {k: _SignatureDef._from_dict(v) for k, v in parsed["signature_def"].items()}
        self._graph_def = parsed["graph_def"]

    def SerializeToString(self):  # noqa: N802 (protobuf's name)
        return self._data


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Imports the MetaGraphDef tagged `tags` into sess.graph, restores its
    variables into `sess` and runs its init op; returns the MetaGraphDef."""
    from .._session import Session
    if not isinstance(sess, Session):
        raise TypeError("sess must be a tf.Session, got %r" % (sess,))
    if import_scope:
        raise NotImplementedError("loader.load(import_scope=...) is not provided")
    if saver_kwargs:
        raise NotImplementedError("loader.load: saver arguments %s are not provided" % sorted(saver_kwargs))
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise TypeError("tags must be a list of strings, got %r" % (tags,))
    graph = sess.graph
    with graph._lock:
        data = sess._session.load_saved_model(_os.fspath(export_dir), list(tags))
    meta = _MetaGraphDef(data)
    graph._record_shapes(meta._graph_def)
    return meta


def maybe_saved_model_directory(export_dir):
    """Whether `export_dir` holds a saved_model.pb or saved_model.pbtxt."""
    export_dir = _os.fspath(export_dir)
    return any(_os.path.isfile(_os.path.join(export_dir, n)) for n in ("saved_model.pb", "saved_model.pbtxt"))
