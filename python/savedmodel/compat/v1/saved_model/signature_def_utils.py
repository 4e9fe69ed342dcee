"""tf.saved_model.signature_def_utils: building SignatureDefs."""
from savedmodel import dtypes as _dtypes

from .. import _framework as _fw
from .._missing import module_getattr as _module_getattr
from . import signature_constants as _constants
from .utils import TensorInfo as _TensorInfo
from .utils import build_tensor_info as _build_tensor_info

__getattr__ = _module_getattr("saved_model.signature_def_utils")


class SignatureDef:
    """A SignatureDef's fields: inputs and outputs (key -> TensorInfo), method_name."""

    def __init__(self, inputs=None, outputs=None, method_name=""):
        self.inputs = dict(inputs or {})
        self.outputs = dict(outputs or {})
        self.method_name = method_name or ""

    @classmethod
    def _from_dict(cls, d):
        return cls({k: _TensorInfo._from_dict(v) for k, v in d["inputs"].items()},
                   {k: _TensorInfo._from_dict(v) for k, v in d["outputs"].items()}, d["method_name"])

    def _spec(self, key):
        """The extension's form: {"method_name", "inputs": {k: name}, "outputs": {k: name}}."""
        def names(infos, which):
            out = {}
            for k, info in infos.items():
                if not isinstance(info, _TensorInfo) or not info.name:
                    raise ValueError("signature %r: %s %r is not a TensorInfo naming a tensor" % (key, which, k))
                out[k] = info.name
            return out
        return {"method_name": self.method_name, "inputs": names(self.inputs, "input"),
                "outputs": names(self.outputs, "output")}

    def __eq__(self, other):
        return isinstance(other, SignatureDef) and (self.inputs, self.outputs, self.method_name) == \
            (other.inputs, other.outputs, other.method_name)

    def __repr__(self):
        return "SignatureDef(inputs=%r, outputs=%r, method_name=%r)" % (self.inputs, self.outputs,
                                                                        self.method_name)


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None):
    """A SignatureDef from TensorInfo maps, as TF 1.x builds it."""
    if defaults:
        raise NotImplementedError("build_signature_def(defaults=...) is not provided")
    for which, infos in (("inputs", inputs), ("outputs", outputs)):
        for k, info in (infos or {}).items():
            if not isinstance(info, _TensorInfo):
                raise TypeError("build_signature_def: %s[%r] must be a TensorInfo (from "
                                "tf.saved_model.utils.build_tensor_info), got %r" % (which, k, info))
    return SignatureDef(inputs, outputs, method_name)


def _infos(tensors, which):
    out = {}
    for k, t in tensors.items():
        if not isinstance(t, (_fw.Tensor, _fw.Variable)):
            raise TypeError("%s[%r] must be a Tensor, got %r" % (which, k, t))
        out[k] = _build_tensor_info(t)
    return out


def predict_signature_def(inputs, outputs):
    """A predict SignatureDef for tensors keyed by name."""
    if not inputs:
        raise ValueError("Prediction inputs cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction outputs cannot be None or empty.")
    return SignatureDef(_infos(inputs, "inputs"), _infos(outputs, "outputs"),
                        _constants.PREDICT_METHOD_NAME)


def regression_signature_def(examples, predictions):
    """A regress SignatureDef: serialized tf.Examples in, float predictions out."""
    if examples is None:
        raise ValueError("Regression examples cannot be None.")
    if not isinstance(examples, _fw.Tensor):
        raise ValueError("Regression examples must be a string Tensor.")
    if predictions is None:
        raise ValueError("Regression predictions cannot be None.")
    ex = _build_tensor_info(examples)
    if ex.dtype != _dtypes.string.as_datatype_enum:
        raise ValueError("Regression examples must be a string Tensor.")
    out = _build_tensor_info(predictions)
    if out.dtype != _dtypes.float32.as_datatype_enum:
        raise ValueError("Regression output must be a float Tensor.")
    return SignatureDef({_constants.REGRESS_INPUTS: ex}, {_constants.REGRESS_OUTPUTS: out},
                        _constants.REGRESS_METHOD_NAME)


def classification_signature_def(examples, classes, scores):
    """A classify SignatureDef: serialized tf.Examples in, string classes and/or float scores out."""
    if examples is None:
        raise ValueError("Classification examples cannot be None.")
    if not isinstance(examples, _fw.Tensor):
        raise ValueError("Classification examples must be a string Tensor.")
    if classes is None and scores is None:
        raise ValueError("Classification classes and scores cannot both be None.")
    ex = _build_tensor_info(examples)
    if ex.dtype != _dtypes.string.as_datatype_enum:
        raise ValueError("Classification examples must be a string Tensor.")
    outputs = {}
    if classes is not None:
        c = _build_tensor_info(classes)
        if c.dtype != _dtypes.string.as_datatype_enum:
            raise ValueError("Classification classes must be a string Tensor.")
        outputs[_constants.CLASSIFY_OUTPUT_CLASSES] = c
    if scores is not None:
        s = _build_tensor_info(scores)
        if s.dtype != _dtypes.float32.as_datatype_enum:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[_constants.CLASSIFY_OUTPUT_SCORES] = s
    return SignatureDef({_constants.CLASSIFY_INPUTS: ex}, outputs,
                        _constants.CLASSIFY_METHOD_NAME)


def is_valid_signature(signature_def):
    """Whether a SignatureDef has a method name and TensorInfos naming tensors."""
    if not isinstance(signature_def, SignatureDef) or not signature_def.method_name:
        return False
    infos = list(signature_def.inputs.values()) + list(signature_def.outputs.values())
    return all(isinstance(i, _TensorInfo) and i.name for i in infos) and bool(signature_def.outputs)
