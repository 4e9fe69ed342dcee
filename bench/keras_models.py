"""Keras models, us beside TensorFlow in one run: load time and batch-1 /
batch-64 latency of each Keras model the reference generator writes (one per
Keras layer, Keras 3 export, tf-keras save), on the same SavedModel files and
the same inputs.

    scripts/bench-keras [--runs N] [--models SUBSTRING]

Ours: bench/signature_bench (LoadSavedModel, then SavedModelBundle::Predict).
TensorFlow: tf.saved_model.load, then the signature's concrete function, the
way a TF2 user calls it. Both sides use every core of the machine. Figures are
medians; a model we cannot run yet is listed with the reason.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

import gen_models  # noqa: E402
import refutil  # noqa: E402

BATCHES = (1, 64)


def _resize_batch(x, batch):
    """Rows of the generator's batch-2 input repeated to `batch` rows."""
    if x.ndim == 0 or x.shape[0] != gen_models.BATCH:
        return x
    return x[np.arange(batch) % x.shape[0]]


def _median(xs):
    return float(np.median(np.asarray(xs)))


def _tf_side(tf, model_dir, run, inputs_by_batch, runs):
    loads = []
    for _ in range(3):
        start = time.perf_counter()
        loaded = tf.saved_model.load(model_dir, tags=run["tags"])
        loads.append((time.perf_counter() - start) * 1e3)
    fn = loaded.signatures[run["signature"]]
    result = {}
    for batch, inputs in inputs_by_batch.items():
        feeds = {k: tf.constant(v) for k, v in inputs.items()}
        for _ in range(10):
            fn(**feeds)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            out = fn(**feeds)
            for t in out.values():
                t.numpy()
            times.append((time.perf_counter() - start) * 1e6)
        result[batch] = _median(times)
    return _median(loads), result


def _our_side(binary, model_dir, run, files_by_batch, runs):
    groups = ["%d:%s" % (b, ",".join("%s=%s" % kv for kv in files.items()))
              for b, files in files_by_batch.items()]
    proc = subprocess.run([binary, model_dir, ",".join(run["tags"]), run["signature"], "3", str(runs)] + groups,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    data = json.loads(proc.stdout)
    return _median(data["load_ms"]), {int(b): v["median"] for b, v in data["run_us"].items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--models", default="keras")
    ap.add_argument("--binary", default=os.path.join(refutil.BUILD, "bench", "signature_bench"))
    args = ap.parse_args()

    import tensorflow as tf
    root = gen_models.ensure()
    names = sorted(n for n in os.listdir(root)
                   if args.models in n and os.path.exists(os.path.join(root, n, "case.json")))
    print("model | signature | load ms ours / TF | batch 1 us ours / TF | batch 64 us ours / TF")
    print("---|---|---|---|---")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            case = json.load(open(os.path.join(root, name, "case.json")))
            run = next((r for r in case["runs"] if r["signature"] == "serving_default"), case["runs"][0])
            if run.get("input_examples"):
                continue
            model_dir = os.path.join(root, name, "saved_model")
            inputs_by_batch, files_by_batch = {}, {}
            for b in BATCHES:
                inputs_by_batch[b], files_by_batch[b] = {}, {}
                for key, fname in run["inputs"].items():
                    x = _resize_batch(np.load(os.path.join(root, name, fname), allow_pickle=True), b)
                    path = os.path.join(tmp, "%s_%s_%d.npy" % (name, key, b))
                    np.save(path, x)
                    inputs_by_batch[b][key] = x
                    files_by_batch[b][key] = path
            try:
                ours_load, ours = _our_side(args.binary, model_dir, run, files_by_batch, args.runs)
            except Exception as e:  # noqa: BLE001 - reported in the table
                ours_load, ours = None, str(e)[:120]
            tf_load, theirs = _tf_side(tf, model_dir, run, inputs_by_batch, args.runs)
            if isinstance(ours, str):
                print("%s | %s | - / %.1f | not run: %s | - / %.0f" % (
                    name, run["signature"], tf_load, ours, theirs[64]))
                continue
            print("%s | %s | %.1f / %.1f | %.0f / %.0f | %.0f / %.0f" % (
                name, run["signature"], ours_load, tf_load, ours[1], theirs[1], ours[64], theirs[64]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
