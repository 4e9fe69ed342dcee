"""tf.saved_model.builder.SavedModelBuilder over the extension's writer."""
import os as _os

from savedmodel import _core

from .. import _framework as _fw
from .._missing import module_getattr as _module_getattr
from .signature_def_utils import SignatureDef as _SignatureDef

__getattr__ = _module_getattr("saved_model.builder")


def _signature_map(signature_def_map):
    out = {}
    for key, sig in (signature_def_map or {}).items():
        if not isinstance(sig, _SignatureDef):
            raise TypeError("signature_def_map item '%s' is not a SignatureDef (build it with "
                            "tf.saved_model.signature_def_utils), got %r" % (key, sig))
        out[key] = sig._spec(key)
    return out


def _op_name(op, graph, what):
    if op is None:
        return ""
    if isinstance(op, _fw.Tensor):
        op = op.op
    if not isinstance(op, _fw.Operation):
        raise TypeError("%s must be an Operation, got %r" % (what, op))
    if op.graph is not graph:
        raise ValueError("%s %s is not in the session's graph" % (what, op.name))
    return op.name


def _main_op(main_op, legacy_init_op, graph):
    if main_op is not None and legacy_init_op is not None:
        raise ValueError("Both main_op and legacy_init_op are set; give one")
    return _op_name(main_op if main_op is not None else legacy_init_op, graph, "main_op")


def _assets(sess, graph, assets_collection):
    # TF 1.x passes the asset-path Const tensors; their values are the source files.
    out = []
    for t in assets_collection or ():
        if not isinstance(t, _fw.Tensor) or t.graph is not graph:
            raise TypeError("assets_collection holds %r, not a string Tensor of the graph" % (t,))
        path = sess.run(t)
        out.append((t.name, _os.fsdecode(path)))
    return out


def _saver_def(saver):
    if saver is None:
        return None
    from ..train import Saver
    if not isinstance(saver, Saver):
        raise TypeError("saver must be a tf.train.Saver, got %r" % (saver,))
    return saver.saver_def


class SavedModelBuilder:
    """Writes a SavedModel: one or more MetaGraphDefs sharing one set of
    variables. Refuses an existing export directory; nothing appears there
    until save() succeeds."""

    def __init__(self, export_dir):
        self._export_dir = _os.fspath(export_dir)
        self._builder = _core.SavedModelBuilder(self._export_dir)
        self._session = None

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None, assets_collection=None,
                                     legacy_init_op=None, clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None, train_op=None):
        """The session's graph under `tags`, and the session's variable values."""
        from .._session import Session
        if not isinstance(sess, Session):
            raise TypeError("sess must be a tf.Session, got %r" % (sess,))
        if train_op is not None:
            raise NotImplementedError("add_meta_graph_and_variables(train_op=...) is not provided")
        graph = sess.graph
        tags = _tags(tags)
        with graph._lock:
            self._builder.add_meta_graph_and_variables(
                sess._session, graph._builder, tags, _signature_map(signature_def_map),
                main_op=_main_op(main_op, legacy_init_op, graph), saver_def=_saver_def(saver),
                assets=_assets(sess, graph, assets_collection))
        self._session = sess

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None, legacy_init_op=None,
                       clear_devices=False, main_op=None, strip_default_attrs=False, saver=None):
        """Another MetaGraphDef (the default graph) sharing the saved variables."""
        if self._session is None:
            raise AssertionError("Graph state including variables and assets has not been saved yet. Please "
                                 "invoke `add_meta_graph_and_variables()` first.")
        graph = _fw.get_default_graph()
        tags = _tags(tags)
        assets = _assets(self._session, graph, assets_collection) if graph is self._session.graph else []
        with graph._lock:
            self._builder.add_meta_graph(graph._builder, tags, _signature_map(signature_def_map),
                                         main_op=_main_op(main_op, legacy_init_op, graph),
                                         saver_def=_saver_def(saver), assets=assets)

    def save(self, as_text=False):
        """Writes saved_model.pb (or .pbtxt) and returns its path, as bytes like TensorFlow."""
        return _os.fsencode(self._builder.save(as_text))


Builder = SavedModelBuilder


def _tags(tags):
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise TypeError("tags must be a list of strings, got %r" % (tags,))
    return list(tags)
