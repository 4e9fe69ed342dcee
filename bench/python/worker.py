"""One measurement in a fresh interpreter, run by bench/python/bench.py under
either venv (it needs only NumPy and the runtime measured). Prints one JSON
object on stdout.

    worker.py import savedmodel|tensorflow
    worker.py latency savedmodel|tensorflow API MODEL_DIR SIGNATURE SECONDS
    worker.py size DIST [DIST ...]

API: for savedmodel "signature" (m.signatures[key](**feeds)) or "run"
(m.run by tensor name); for tensorflow "signature" (tf.saved_model.load(...)
.signatures[key], TF2's way) or "session" (tf.compat.v1 Session, loader.load,
sess.run, TF1's way). Every call takes NumPy arrays and hands back NumPy
arrays, as a Python caller sees it.
"""
import json
import os
import sys
import time

BATCHES = (1, 64)
WARMUP = 20
MIN_CALLS = 200
MAX_CALLS = 5000


def _import(runtime):
    start = time.perf_counter()
    __import__(runtime)
    return {"import_s": time.perf_counter() - start}


def _inputs(spec_shape, dtype, batch):
    import numpy as np

    # Known dims as they are, the batch dim (and any other unknown) as `batch`
    # rows; values spread over (0, 1) like pixel intensities.
    shape = [batch if (d is None or d < 0) else d for d in spec_shape]
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.float64).reshape(shape) + 1) % 97 / 97).astype(dtype)


def _savedmodel_callers(api, model_dir, key):
    import savedmodel

    start = time.perf_counter()
    m = savedmodel.load(model_dir)
    load_s = time.perf_counter() - start
    sig = m.signatures[key]
    (arg, spec), = sig.inputs.items()
    out_key = sorted(sig.outputs)[0]
    shape, dtype = spec.shape, spec.dtype.as_numpy_dtype
    if api == "signature":
        def call(x):
            return sig(**{arg: x})[out_key]
    elif api == "run":
        in_name, out_name = spec.name, sig.outputs[out_key].name

        def call(x):
            return m.run({in_name: x}, out_name)
    else:
        raise SystemExit("unknown savedmodel API %r" % api)
    return load_s, call, shape, dtype


def _tensorflow_callers(api, model_dir, key):
    import tensorflow as tf

    if api == "signature":
        start = time.perf_counter()
        loaded = tf.saved_model.load(model_dir, tags=["serve"])
        load_s = time.perf_counter() - start
        fn = loaded.signatures[key]
        _, kwargs = fn.structured_input_signature
        (arg, spec), = kwargs.items()
        out_key = sorted(fn.structured_outputs)[0]

        def call(x):
            return fn(**{arg: x})[out_key].numpy()
        return load_s, call, spec.shape.as_list(), spec.dtype.as_numpy_dtype
    if api == "session":
        v1 = tf.compat.v1
        start = time.perf_counter()
        graph = tf.Graph()
        sess = v1.Session(graph=graph)
        meta = v1.saved_model.loader.load(sess, ["serve"], model_dir)
        load_s = time.perf_counter() - start
        sig = meta.signature_def[key]
        (arg, info), = sig.inputs.items()
        out_name = sig.outputs[sorted(sig.outputs)[0]].name
        shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
        dtype = tf.dtypes.as_dtype(info.dtype).as_numpy_dtype

        def call(x):
            return sess.run(out_name, {info.name: x})
        return load_s, call, shape, dtype
    raise SystemExit("unknown tensorflow API %r" % api)


def _latency(runtime, api, model_dir, key, seconds):
    import numpy as np

    callers = _savedmodel_callers if runtime == "savedmodel" else _tensorflow_callers
    load_s, call, shape, dtype = callers(api, model_dir, key)
    result = {"load_s": load_s}
    for batch in BATCHES:
        x = _inputs(shape, dtype, batch)
        for _ in range(WARMUP):
            y = call(x)
        assert y.shape[0] == batch, (y.shape, batch)
        times = []
        deadline = time.perf_counter() + seconds
        while len(times) < MAX_CALLS and (len(times) < MIN_CALLS or time.perf_counter() < deadline):
            start = time.perf_counter()
            call(x)
            times.append(time.perf_counter() - start)
        t = np.asarray(times)
        result["b%d" % batch] = {"calls": len(times), "p50_s": float(np.percentile(t, 50)),
                                 "p99_s": float(np.percentile(t, 99))}
        # The first output row: bench.py checks that both runtimes agree.
        result["b%d_row0" % batch] = np.asarray(call(x))[0].ravel()[:16].astype(float).tolist()
    return result


def _size(dists):
    """Bytes of every file the distributions and everything they require
    (transitively, markers evaluated here) installed."""
    from importlib import metadata

    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover - both venvs have packaging
        Requirement = None

    # Paths, not entries: a file two distributions list (tensorflow and
    # tensorflow-cpu share their package directory) counts once.
    seen, todo, paths = set(), list(dists), set()
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or ():
            path = os.path.realpath(f.locate())
            if os.path.isfile(path):
                paths.add(path)
        for req in dist.requires or ():
            if Requirement is None:
                continue
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return {"bytes": sum(os.path.getsize(p) for p in paths), "files": len(paths),
            "distributions": sorted(seen)}


def main(argv):
    mode = argv[1]
    if mode == "import":
        out = _import(argv[2])
    elif mode == "latency":
        out = _latency(argv[2], argv[3], argv[4], argv[5], float(argv[6]))
    elif mode == "size":
        out = _size(argv[2:])
    else:
        raise SystemExit(__doc__)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv)
