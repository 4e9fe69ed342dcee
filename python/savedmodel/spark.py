"""Batch scoring on Spark: a pandas UDF that runs a SavedModel signature.

    from savedmodel.spark import predict_udf
    predict = predict_udf("/models/mnist/1", signature="predict")
    scored = df.withColumn("scores", predict("image"))

Each executor's Python worker loads the model once and keeps it for every later
task it runs (Spark reuses its Python workers), so a job pays one load per
worker process, not one per task or batch. pyspark is imported only here, so
`import savedmodel` works without it.
"""
import os
import threading
from typing import Iterator, Tuple

import numpy as np

from . import dtypes as _dtypes
from . import errors as _errors

# (absolute export dir, sorted tags) -> loaded SavedModel, for this process.
# Tasks of one worker run one after another, but a driver may score from
# several threads, hence the lock.
_MODELS = {}
_MODELS_LOCK = threading.Lock()
_loads = 0  # models loaded by this process (tests check that workers load once)

# Spark SQL types of the dtypes a column can hold. Spark has no unsigned types,
# so unsigned values go into the next wider signed type; half widens to float.
_SPARK_TYPES = {
    1: ("float", np.float32),
    2: ("double", np.float64),
    19: ("float", np.float32),
    3: ("int", np.int32),
    9: ("bigint", np.int64),
    5: ("smallint", np.int16),
    6: ("tinyint", np.int8),
    4: ("smallint", np.int16),
    17: ("int", np.int32),
    22: ("bigint", np.int64),
    10: ("boolean", np.bool_),
    7: ("binary", object),
}


def _load(export_dir, tags, intra_op_threads=0):
    global _loads
    key = (os.path.abspath(export_dir), tuple(sorted(tags)))
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            from . import load
            model = load(key[0], tags=list(tags), intra_op_threads=intra_op_threads)
            _MODELS[key] = model
            _loads += 1
        return model


def _one_per_row(shape):
    """Outputs of shape [batch] or [batch, 1, ...] fill a scalar column; any
    other an array column of each row's values, flattened in row-major order."""
    return shape is not None and len(shape) >= 1 and all(d == 1 for d in tuple(shape)[1:])


def _plan(model, signature, input_columns, output):
    """Checks the arguments against the model's signature; returns
    (input keys in column order, {key: (numpy dtype, shape)}, output key,
    Spark return type)."""
    signatures = model.signatures
    if signature not in signatures:
        raise _errors.NotFoundError(
            None, None,
            "predict_udf: SavedModel %s has no signature %r; it has: %s"
            % (model.export_dir, signature, ", ".join(sorted(signatures)) or "none"))
    sig = signatures[signature]
    inputs = dict(sig.inputs)
    outputs = dict(sig.outputs)

    if input_columns is None:
        keys = sorted(inputs)
    else:
        if isinstance(input_columns, str):
            input_columns = [input_columns]
        keys = list(input_columns)
        unknown = [k for k in keys if k not in inputs]
        if unknown:
            raise ValueError("predict_udf: signature %r has no input %s; its inputs are: %s"
                             % (signature, ", ".join(map(repr, unknown)),
                                ", ".join(sorted(inputs))))
        missing = sorted(set(inputs) - set(keys))
        if missing:
            raise ValueError("predict_udf: input_columns leaves out input %s of signature %r "
                             "(every input needs a column)"
                             % (", ".join(map(repr, missing)), signature))
        if len(set(keys)) != len(keys):
            raise ValueError("predict_udf: input_columns names an input twice: %r" % (keys,))
    if not keys:
        raise ValueError("predict_udf: signature %r has no inputs" % signature)

    specs = {}
    for k in keys:
        spec = inputs[k]
        dtype = _dtypes.as_dtype(spec.dtype)
        if dtype.base_dtype.as_datatype_enum == 7:
            np_type = object
        else:
            np_type = dtype.as_numpy_dtype
        # -1 for unknown dims (TensorSpec says None), so the row-shape arithmetic
        # below works on ints.
        specs[k] = (np_type, None if spec.shape is None
                    else tuple(-1 if d is None else int(d) for d in spec.shape))

    if output is None:
        if not outputs:
            raise ValueError("predict_udf: signature %r has no outputs" % signature)
        output = sorted(outputs)[0]
    elif output not in outputs:
        raise ValueError("predict_udf: signature %r has no output %r; its outputs are: %s"
                         % (signature, output, ", ".join(sorted(outputs))))
    out_spec = outputs[output]
    enum = _dtypes.as_dtype(out_spec.dtype).base_dtype.as_datatype_enum
    if enum not in _SPARK_TYPES:
        raise ValueError("predict_udf: output %r is %s, which has no Spark SQL type"
                         % (output, _dtypes.as_dtype(out_spec.dtype).name))
    spark_type, _ = _SPARK_TYPES[enum]
    if not _one_per_row(out_spec.shape):
        spark_type = "array<%s>" % spark_type
    return keys, specs, output, spark_type


def _dense(value):
    """One row's value as a dense array: Arrow gives array<array<float>> as an
    object array of arrays, which NumPy cannot cast to float directly."""
    a = np.asarray(value)
    if a.dtype == object and a.size and isinstance(a.flat[0], (np.ndarray, list)):
        inner = [_dense(v) for v in a.ravel()]
        if len({x.shape for x in inner}) != 1:
            raise ValueError("ragged nested arrays")
        a = np.stack(inner).reshape(a.shape + inner[0].shape)
    return a


def _column_to_array(series, key, np_type, shape):
    """A pandas column (scalars, or NumPy arrays per row as Arrow gives
    array<...> columns) -> one [n, ...] array shaped as the signature says."""
    values = series.to_numpy()
    n = len(values)
    if n and values.dtype == object and isinstance(values[0], (np.ndarray, list)):
        rows = []
        for i, v in enumerate(values):
            if v is None:
                raise _errors.InvalidArgumentError(
                    None, None, "predict_udf: input %r is null in row %d of the batch" % (key, i))
            try:
                rows.append(_dense(v))
            except (TypeError, ValueError) as e:
                raise _errors.InvalidArgumentError(
                    None, None, "predict_udf: input %r, row %d of the batch: %s" % (key, i, e)) from None
        lengths = {r.shape for r in rows}
        if len(lengths) != 1:
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: input %r has rows of different lengths in one batch: %s"
                % (key, ", ".join(str(s[0]) if len(s) == 1 else str(s) for s in sorted(lengths))))
        try:
            batch = np.stack(rows).astype(np_type, copy=False)
        except (TypeError, ValueError) as e:
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: input %r: %s" % (key, e)) from None
    else:
        if values.dtype == object and any(v is None for v in values):
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: input %r has null values" % key)
        try:
            batch = values.astype(np_type, copy=False) if np_type is not object else values
        except (TypeError, ValueError) as e:
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: input %r: %s" % (key, e)) from None
    if shape is None or len(shape) == 0:
        return batch
    row_dims = shape[1:]
    per_row = int(np.prod(batch.shape[1:], dtype=np.int64))
    if batch.ndim == 1 + len(row_dims) and all(
            d < 0 or d == b for d, b in zip(row_dims, batch.shape[1:])):
        return batch
    # Flat rows (the usual array<float> column) take the signature's row shape,
    # which must then be known up to at most one dim.
    unknown = sum(1 for d in row_dims if d < 0)
    known = int(np.prod([d for d in row_dims if d >= 0], dtype=np.int64))
    if unknown > 1 or (unknown == 0 and known != per_row) or (unknown == 1 and (
            known == 0 or per_row % known)):
        raise _errors.InvalidArgumentError(
            None, None, "predict_udf: input %r has %d values per row, which does not fit its "
            "signature shape %s" % (key, per_row, list(shape)))
    return batch.reshape((n,) + tuple(d if d >= 0 else -1 for d in row_dims)
                         if unknown else (n,) + row_dims)


def _score(batches, export_dir, tags, signature, keys, specs, output, batch_size):
    """The UDF's body, run in the executor's Python worker: it is a module
    function so that pickling the UDF sends a reference to it, not a copy of
    this module's model cache."""
    import pandas as pd
    from pyspark import TaskContext

    # Spark runs one Python worker per task slot; each sizes its runtime pool
    # to its task's CPUs (spark.task.cpus) instead of every core of the node.
    context = TaskContext.get()
    model = _load(export_dir, tags, context.cpus() if context is not None else 0)
    sig = model.signatures[signature]
    out_spec = sig.outputs[output]
    enum = _dtypes.as_dtype(out_spec.dtype).base_dtype.as_datatype_enum
    out_type = _SPARK_TYPES[enum][1]
    scalar = _one_per_row(out_spec.shape)
    for columns in batches:
        if not isinstance(columns, tuple):
            columns = (columns,)
        if len(columns) != len(keys):
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: signature %r takes %d input column(s) (%s), "
                "but the UDF was called with %d" % (signature, len(keys), ", ".join(keys),
                                                    len(columns)))
        feeds = {k: _column_to_array(c, k, *specs[k]) for k, c in zip(keys, columns)}
        n = len(columns[0])
        pieces = []
        for start in range(0, n, batch_size) if n else [0]:
            chunk = {k: v[start:start + batch_size] for k, v in feeds.items()}
            pieces.append(sig(**chunk)[output])
        result = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        if len(result) != n:
            raise _errors.InvalidArgumentError(
                None, None, "predict_udf: output %r has %d rows for a batch of %d; only outputs "
                "with one row per input row can fill a column" % (output, len(result), n))
        if out_type is not object:
            result = result.astype(out_type, copy=False)
        if scalar:
            yield pd.Series(result.reshape(n), index=columns[0].index)
        else:
            flat = result.reshape(n, -1)
            yield pd.Series(list(flat), index=columns[0].index, dtype=object)


def predict_udf(export_dir, signature="serving_default", tags=("serve",), input_columns=None,
                output=None, batch_size=1024):
    """A Spark pandas UDF (iterator of batches) that scores a SavedModel signature.

    The UDF takes one column per signature input, in the order of
    `input_columns` (input keys; default: the signature's inputs, sorted by
    key): array<...> columns are stacked into [rows, ...] arrays and reshaped
    to the signature's input shape (a flat array<float> of 784 values becomes
    [rows, 28, 28, 1] when the signature says so), scalar columns into [rows].
    Values are cast to the input's dtype.

    It returns the output `output` (default: the only one, or the first by
    key): a scalar column when the output has one value per row (shape
    [batch] or [batch, 1]), else an array column of each row's values,
    flattened in row-major order. Spark types:
    float32 -> float, float64 -> double, int32 -> int, int64 -> bigint, bool ->
    boolean, string -> binary (unsigned types widen to the next signed one).

    The driver loads the model too, to check the signature and learn the
    output's type before the job starts, so `export_dir` must be readable on
    the driver and at the same path on every executor (a relative path is
    resolved by each process: a model shipped with spark-submit's --archives
    is found in the working directory). Each Arrow batch is run in slices of
    at most `batch_size` rows.
    """
    import pyspark.sql.functions as F

    tags = (tags,) if isinstance(tags, str) else tuple(tags)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("predict_udf: batch_size must be a positive int, got %r" % (batch_size,))
    # Kept as given: a relative path resolves in each process's own working
    # directory, where spark-submit --archives unpacks a shipped model.
    export_dir = os.fspath(export_dir)
    keys, specs, output, return_type = _plan(_load(export_dir, tags), signature,
                                             input_columns, output)
    import pandas as pd

    config = (export_dir, tags, signature, tuple(keys), specs, output, batch_size)
    if len(keys) == 1:
        def predict(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
            from savedmodel.spark import _score
            return _score(batches, *config)
    else:
        def predict(batches: Iterator[Tuple[pd.Series, ...]]) -> Iterator[pd.Series]:
            from savedmodel.spark import _score
            return _score(batches, *config)
    predict.__name__ = "predict_%s" % signature.replace("/", "_")
    return F.pandas_udf(predict, returnType=return_type)
