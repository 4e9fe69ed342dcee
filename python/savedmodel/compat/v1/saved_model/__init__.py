"""tf.saved_model as TF 1.x has it: simple_save, builder, loader, signature helpers."""
import os as _os

from savedmodel import _core

from .. import _framework as _fw
from .._missing import module_getattr as _module_getattr
from . import builder, loader, signature_constants, signature_def_utils, tag_constants, utils
from .builder import Builder
from .loader import load, maybe_saved_model_directory
from .signature_constants import (CLASSIFY_INPUTS, CLASSIFY_METHOD_NAME, CLASSIFY_OUTPUT_CLASSES,
                                  CLASSIFY_OUTPUT_SCORES, DEFAULT_SERVING_SIGNATURE_DEF_KEY, PREDICT_INPUTS,
                                  PREDICT_METHOD_NAME, PREDICT_OUTPUTS, REGRESS_INPUTS, REGRESS_METHOD_NAME,
                                  REGRESS_OUTPUTS)
from .signature_def_utils import (build_signature_def, classification_signature_def, is_valid_signature,
                                  predict_signature_def, regression_signature_def)
from .tag_constants import GPU, SERVING, TPU, TRAINING
from .utils import build_tensor_info, get_tensor_from_tensor_info

__getattr__ = _module_getattr("saved_model")

contains_saved_model = maybe_saved_model_directory


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """The session's graph and variables as a SavedModel tagged "serve" with one
    predict signature, "serving_default", over `inputs` and `outputs`."""
    from .._session import Session
    if not isinstance(session, Session):
        raise TypeError("session must be a tf.Session, got %r" % (session,))
    for which, tensors in (("inputs", inputs), ("outputs", outputs)):
        if not tensors:
            raise ValueError("Prediction %s cannot be None or empty." % which)
        for k, t in tensors.items():
            if not isinstance(t, (_fw.Tensor, _fw.Variable)) or t.graph is not session.graph:
                raise TypeError("simple_save: %s[%r] must be a Tensor of the session's graph, got %r" % (which, k, t))
    if legacy_init_op is not None:
        b = builder.SavedModelBuilder(export_dir)
        b.add_meta_graph_and_variables(
            session, [SERVING], {DEFAULT_SERVING_SIGNATURE_DEF_KEY: predict_signature_def(inputs, outputs)},
            legacy_init_op=legacy_init_op, clear_devices=True)
        b.save()
        return
    names = {k: (t.value() if isinstance(t, _fw.Variable) else t).name for k, t in inputs.items()}
    out_names = {k: (t.value() if isinstance(t, _fw.Variable) else t).name for k, t in outputs.items()}
    graph = session.graph
    with graph._lock:
        _core.simple_save(session._session, graph._builder, _os.fspath(export_dir), names, out_names)
