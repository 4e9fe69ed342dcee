"""TensorFlow's dtypes (tf.float32, ...) over DataType enum values.

The extension speaks enum values (types.proto); Python code and users speak
DType objects with TensorFlow's names and NumPy types.
"""
import numpy as np

_REF_OFFSET = 100


class DType:
    """One DataType: `name` ("float32"), `as_datatype_enum` (1), `as_numpy_dtype`."""

    __slots__ = ("_enum",)

    def __init__(self, enum):
        if int(enum) % _REF_OFFSET not in _NAMES:
            raise TypeError("Did not recognize DataType enum %r" % (enum,))
        self._enum = int(enum)

    @property
    def as_datatype_enum(self):
        return self._enum

    @property
    def is_ref_dtype(self):
        return self._enum > _REF_OFFSET

    @property
    def base_dtype(self):
        return DType(self._enum - _REF_OFFSET) if self.is_ref_dtype else self

    @property
    def name(self):
        base = _NAMES[self._enum % _REF_OFFSET]
        return base + "_ref" if self.is_ref_dtype else base

    @property
    def as_numpy_dtype(self):
        t = _NUMPY.get(self.base_dtype._enum)
        if t is None:
            raise TypeError("%s has no NumPy equivalent" % self.name)
        return t

    @property
    def is_floating(self):
        return self.base_dtype._enum in (1, 2, 14, 19)

    @property
    def is_integer(self):
        return self.base_dtype._enum in (3, 4, 5, 6, 9, 17, 22, 23)

    @property
    def is_bool(self):
        return self.base_dtype._enum == 10

    @property
    def is_complex(self):
        return self.base_dtype._enum in (8, 18)

    @property
    def size(self):
        return np.dtype(self.as_numpy_dtype).itemsize if self.base_dtype._enum != 7 else 1

    def __eq__(self, other):
        try:
            return self._enum == as_dtype(other)._enum
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._enum

    def __repr__(self):
        return "tf." + self.name

    def __str__(self):
        return "<dtype: %r>" % self.name

    def __reduce__(self):
        return as_dtype, (self.name,)


_NAMES = {
    1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
    8: "complex64", 9: "int64", 10: "bool", 11: "qint8", 12: "quint8", 13: "qint32",
    14: "bfloat16", 15: "qint16", 16: "quint16", 17: "uint16", 18: "complex128", 19: "float16",
    20: "resource", 21: "variant", 22: "uint32", 23: "uint64",
}
_NUMPY = {
    1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
    7: np.object_, 8: np.complex64, 9: np.int64, 10: np.bool_, 17: np.uint16,
    18: np.complex128, 19: np.float16, 22: np.uint32, 23: np.uint64,
}

float32 = DType(1)
float64 = double = DType(2)
int32 = DType(3)
uint8 = DType(4)
int16 = DType(5)
int8 = DType(6)
string = DType(7)
complex64 = DType(8)
int64 = DType(9)
bool = DType(10)  # noqa: A001 (TensorFlow's name)
bfloat16 = DType(14)
uint16 = DType(17)
complex128 = DType(18)
float16 = half = DType(19)
resource = DType(20)
variant = DType(21)
uint32 = DType(22)
uint64 = DType(23)

_BY_NAME = {d.name: d for d in map(DType, _NAMES)}
_BY_NAME.update({"float": float32, "double": float64, "half": float16})
_FROM_NUMPY = {np.dtype(t): DType(e) for e, t in _NUMPY.items() if e != 7}


def as_dtype(value):
    """tf.as_dtype: a DType from a DType, an enum value, a name or a NumPy type."""
    if isinstance(value, DType):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (np.bool_,)):
        return DType(int(value))
    if isinstance(value, str):
        if value in _BY_NAME:
            return _BY_NAME[value]
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (value,))
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (value,)) from None
    if npd.kind in ("O", "S", "U"):
        return string
    if npd in _FROM_NUMPY:
        return _FROM_NUMPY[npd]
    raise TypeError("Cannot convert value %r to a TensorFlow DType." % (value,))
