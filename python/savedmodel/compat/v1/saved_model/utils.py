"""tf.saved_model.utils: TensorInfo for the tensors a signature names."""
from savedmodel import dtypes as _dtypes

from .. import _framework as _fw
from .._missing import module_getattr as _module_getattr

__getattr__ = _module_getattr("saved_model.utils")


class TensorShapeProto:
    """A TensorShapeProto's fields: dim (each with .size, -1 unknown) and unknown_rank."""

    class Dim:
        __slots__ = ("size", "name")

        def __init__(self, size, name=""):
            self.size = size
            self.name = name

        def __repr__(self):
            return "dim { size: %d }" % self.size

    def __init__(self, dims=None):
        self.unknown_rank = dims is None
        self.dim = [] if dims is None else [TensorShapeProto.Dim(int(d)) for d in dims]

    def __repr__(self):
        return "unknown_rank: true" if self.unknown_rank else " ".join(map(repr, self.dim))


class TensorInfo:
    """A TensorInfo's fields: name ("x:0"), dtype (DataType enum value), tensor_shape."""

    def __init__(self, name="", dtype=0, tensor_shape=None):
        self.name = name
        self.dtype = int(dtype)
        self.tensor_shape = tensor_shape if tensor_shape is not None else TensorShapeProto(None)

    @classmethod
    def _from_dict(cls, d):
        return cls(d["name"], d["dtype"], TensorShapeProto(d["shape"]))

    def __eq__(self, other):
        return isinstance(other, TensorInfo) and (self.name, self.dtype, repr(self.tensor_shape)) == \
            (other.name, other.dtype, repr(other.tensor_shape))

    def __repr__(self):
        dtype = _dtypes.DType(self.dtype).name if self.dtype else "invalid"
        return "TensorInfo(name=%r, dtype=%s, tensor_shape=%r)" % (self.name, dtype, self.tensor_shape)


def build_tensor_info(tensor):
    """The TensorInfo of `tensor` (its name, dtype and static shape)."""
    if isinstance(tensor, _fw.Variable):
        tensor = tensor.value()
    if not isinstance(tensor, _fw.Tensor):
        raise TypeError("build_tensor_info: expected a Tensor, got %r" % (tensor,))
    return TensorInfo(tensor.name, tensor.dtype.base_dtype.as_datatype_enum,
                      TensorShapeProto(tensor.shape.as_proto_dims()))


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The tensor a TensorInfo names, in `graph` (default: the default graph)."""
    if import_scope:
        raise NotImplementedError("get_tensor_from_tensor_info(import_scope=...) is not provided")
    if not isinstance(tensor_info, TensorInfo) or not tensor_info.name:
        raise ValueError("Invalid TensorInfo: %r (only dense tensors named by TensorInfo.name)" % (tensor_info,))
    return (graph or _fw.get_default_graph()).get_tensor_by_name(tensor_info.name)
