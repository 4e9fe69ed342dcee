"""tf.math: the element-wise and reduction ops also found at the top level."""
from ._missing import module_getattr as _module_getattr
from ._ops import (abs, add, argmax, argmin, divide, equal, exp, greater, greater_equal, less, less_equal, log,
                   maximum, minimum, multiply, negative, not_equal, pow, reduce_max, reduce_mean, reduce_min,
                   reduce_prod, reduce_sum, sigmoid, sqrt, square, subtract, tanh, truediv)

__getattr__ = _module_getattr("math")

__all__ = ["abs", "add", "argmax", "argmin", "divide", "equal", "exp", "greater", "greater_equal", "less",
           "less_equal", "log", "maximum", "minimum", "multiply", "negative", "not_equal", "pow", "reduce_max",
           "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "sigmoid", "sqrt", "square", "subtract",
           "tanh", "truediv"]
