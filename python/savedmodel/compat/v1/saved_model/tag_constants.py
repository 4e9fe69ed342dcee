"""tf.saved_model.tag_constants: TensorFlow's MetaGraphDef tags."""
from .._missing import module_getattr as _module_getattr

__getattr__ = _module_getattr("saved_model.tag_constants")

SERVING = "serve"
TRAINING = "train"
EVAL = "eval"
GPU = "gpu"
TPU = "tpu"
