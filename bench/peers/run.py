"""Races savedmodel against TensorFlow, ONNX Runtime and PyTorch on the same
networks with the same weights and inputs, and prints one table (runs in
.venv-peers; scripts/bench-peers sets everything up).

    python bench/peers/run.py [--budget S] [--max-runs N] [--threads N] [--models mlp,cnn,softmax,sgemm]

Engines, each in a process of its own, all with the same thread count:
  ours        bench/signature_bench: LoadSavedModel, then Predict on the Keras
              export (intra- and inter-op threads set)
  tensorflow  tf.saved_model.load on the same directory, the serving_default
              concrete function called as a TF2 user calls it (intra/inter-op
              threads set)
  onnxruntime InferenceSession on tf2onnx's conversion (intra_op_num_threads)
  pytorch     the same network as torch.nn modules, eager, inference_mode
              (torch.set_num_threads)
  numpy       sgemm only: a @ b (NumPy's OpenBLAS)
Each timing is one call from inputs already in the engine's own tensor type
to outputs as host arrays. Every engine warms up, then makes as many timed
calls as fit in --budget seconds (at least 20, at most --max-runs). Outputs
are compared with TensorFlow's (max |diff|) so the race is on one computation.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import make_models  # noqa: E402
import nets  # noqa: E402

ENGINES = ("ours", "tensorflow", "onnxruntime", "pytorch")
SGEMM_ENGINES = ENGINES + ("numpy",)
MIN_RUNS = 20
WARMUP = 10


# ---------------------------------------------------------------- workers --
# Each runs in a fresh interpreter (python run.py --worker ENGINE ...), so
# one engine's thread pools and allocator never share a process with another's.

def _time_calls(call, budget_s, max_runs, warmup):
    start = time.perf_counter()
    for _ in range(warmup):
        call()
    per_call = (time.perf_counter() - start) / warmup
    runs = int(min(max_runs, max(MIN_RUNS, budget_s / max(per_call, 1e-9))))
    us = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        us.append((time.perf_counter() - t0) * 1e6)
    return {"median": float(np.median(us)), "p99": float(np.quantile(us, 0.99, method="lower")), "runs": runs}


def _engine_call(engine, model_dir, info, feeds, threads):
    """A no-argument function running one inference on `feeds` (dict of arrays,
    TensorFlow's layout), returning the first output as a NumPy array."""
    if engine == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        fn = tf.saved_model.load(os.path.join(model_dir, "saved_model")).signatures[info["signature"]]
        tensors = {k: tf.constant(v) for k, v in feeds.items()}
        key = info["output_key"]
        return lambda: fn(**tensors)[key].numpy()
    if engine == "onnxruntime":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1  # sequential execution mode uses none
        sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), so, providers=["CPUExecutionProvider"])
        names = [i.name for i in sess.get_inputs()]
        if len(names) == 1:
            ort_feeds = {names[0]: next(iter(feeds.values()))}
        else:
            ort_feeds = {n: feeds[n] for n in names}
        return lambda: sess.run(None, ort_feeds)[0]
    if engine == "pytorch":
        import torch
        torch.set_num_threads(threads)
        if "n" in info:  # sgemm
            a, b = torch.from_numpy(feeds["a"]), torch.from_numpy(feeds["b"])

            def call():
                with torch.inference_mode():
                    return torch.matmul(a, b).numpy()
            return call
        name = os.path.basename(model_dir)
        module = nets.torch_module(name, dict(np.load(os.path.join(model_dir, "weights.npz"))))
        x = next(iter(feeds.values()))
        # A PyTorch user feeds NCHW images; the layout change is not timed.
        xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)

        def call():
            with torch.inference_mode():
                return module(xt).numpy()
        return call
    if engine == "numpy":
        a, b = feeds["a"], feeds["b"]
        return lambda: a @ b
    raise ValueError("unknown engine " + engine)


def _worker(args):
    model_dir = os.path.join(args.models_dir, args.model)
    info = json.load(open(os.path.join(model_dir, "info.json")))
    result = {}
    for batch, feeds in _feeds(model_dir, info).items():
        call = _engine_call(args.worker, model_dir, info, feeds, args.threads)
        out = call()
        np.save(os.path.join(args.out, "%s.npy" % batch), out)
        warmup = 2 if "n" in info else WARMUP
        result[str(batch)] = _time_calls(call, args.budget, args.max_runs, warmup)
    print(json.dumps(result))


def _feeds(model_dir, info):
    """{batch: {input key: array}}: the sgemm pair, or x_<batch>.npy."""
    if "n" in info:
        return {info["n"]: {k: np.load(os.path.join(model_dir, k + ".npy")) for k in ("a", "b")}}
    return {b: {info["input_key"]: np.load(os.path.join(model_dir, "x_%d.npy" % b))}
            for b in make_models.BATCHES}


# ------------------------------------------------------------------- ours --

def _our_side(binary, model_dir, info, threads, budget, max_runs, out):
    """signature_bench, once with a few runs to learn the call's cost, then
    with as many runs as fit the budget."""
    result = {}
    for batch, feeds in _feeds(model_dir, info).items():
        group = "%s:%s" % (batch, ",".join(
            "%s=%s" % (k, os.path.join(model_dir, (k if "n" in info else "x_%d" % batch) + ".npy"))
            for k in feeds))
        base = [binary, "--intra_op_threads", str(threads), "--inter_op_threads", str(threads)]
        tail = [os.path.join(model_dir, "saved_model"), ",".join(info["tags"]), info["signature"], "1"]
        probe = _run_binary(base + tail + ["3", group])
        per_call = probe[str(batch)]["median"] * 1e-6
        runs = int(min(max_runs, max(MIN_RUNS, budget / max(per_call, 1e-9))))
        data = _run_binary(base + ["--outputs", out] + tail + [str(runs), group])
        os.replace(os.path.join(out, "%s_%s.npy" % (batch, info["output_key"])), os.path.join(out, "%s.npy" % batch))
        result[str(batch)] = data[str(batch)]
    return result


def _run_binary(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        raise RuntimeError(lines[-1] if lines else "exit %d" % proc.returncode)
    return json.loads(proc.stdout)["run_us"]


# ----------------------------------------------------------------- driver --

def _run_engine(engine, args, model, out):
    model_dir = os.path.join(args.models_dir, model)
    info = json.load(open(os.path.join(model_dir, "info.json")))
    if engine == "ours":
        return _our_side(args.binary, model_dir, info, args.threads, args.budget, args.max_runs, out)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               OMP_WAIT_POLICY=_omp_wait_policy())
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", engine, "--model", model, "--out", out,
         "--models-dir", args.models_dir, "--threads", str(args.threads), "--budget", str(args.budget),
         "--max-runs", str(args.max_runs)],
        capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        raise RuntimeError(lines[-1] if lines else "exit %d" % proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _omp_wait_policy():
    # With libgomp's default policy, PyTorch's 2-thread regions took 16 ms
    # instead of 0.07 ms for the softmax model at batch 64 while other jobs
    # held the CPUs (either explicit policy avoids it); PASSIVE is the one
    # that costs nothing on a busy machine. A policy already set is kept.
    return os.environ.get("OMP_WAIT_POLICY", "PASSIVE")


def _machine():
    model = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d CPUs" % (model, os.cpu_count() or 0)


def _versions():
    import importlib.metadata as md
    parts = []
    for dist in ("tensorflow-cpu", "onnxruntime", "torch", "tf2onnx", "numpy"):
        try:
            parts.append("%s %s" % (dist, md.version(dist)))
        except md.PackageNotFoundError:
            parts.append("%s missing" % dist)
    return ", ".join(parts)


def _fmt_us(us):
    return "%.0f" % us if us >= 100 else "%.1f" % us


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="mlp,cnn,softmax,sgemm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget", type=float, default=2.0, help="seconds of timed calls per engine, model and batch")
    ap.add_argument("--max-runs", type=int, default=2000)
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "build", "bench-peers"))
    ap.add_argument("--binary", default=os.path.join(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")),
                                                     "bench", "signature_bench"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.models_dir = os.path.abspath(args.models_dir)
    if args.worker:
        return _worker(args)

    make_models.ensure(args.models_dir)
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in nets.MODELS and m != "sgemm":
            ap.error("unknown model %r (mlp, cnn, softmax, sgemm)" % m)

    print("# savedmodel against its peers, %s" % time.strftime("%Y-%m-%d %H:%M"))
    print("# machine: %s; load average at start %.2f" % (_machine(), os.getloadavg()[0]))
    print("# %s; %d threads everywhere; medians and p99 over timed calls after warm-up" % (_versions(), args.threads))
    print("# OMP_WAIT_POLICY=%s for OpenMP engines (PyTorch)" % _omp_wait_policy())
    print("# 'vs ours' = its median / our median: above 1 ours is faster. max |diff| is against TensorFlow's output.")
    print()
    rows, sgemm_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            engines = SGEMM_ENGINES if model == "sgemm" else ENGINES
            results, outputs = {}, {}
            for engine in engines:
                out = os.path.join(tmp, model, engine)
                os.makedirs(out)
                try:
                    results[engine] = _run_engine(engine, args, model, out)
                    outputs[engine] = out
                except Exception as e:  # noqa: BLE001 - the table says why
                    results[engine] = str(e).replace("|", "/")[:160]
                print("# done: %s %s" % (model, engine), file=sys.stderr, flush=True)
            batches = sorted({b for r in results.values() if isinstance(r, dict) for b in r}, key=int)
            for batch in batches:
                ref = np.load(os.path.join(outputs["tensorflow"], batch + ".npy")) if "tensorflow" in outputs else None
                ours = results.get("ours")
                ours_med = ours[batch]["median"] if isinstance(ours, dict) else None
                for engine in engines:
                    r = results[engine]
                    if not isinstance(r, dict):
                        row = (model, batch, engine, "not run: " + r)
                        (sgemm_rows if model == "sgemm" else rows).append(row)
                        continue
                    t = r[batch]
                    diff = "-"
                    if ref is not None and engine != "tensorflow":
                        got = np.load(os.path.join(outputs[engine], batch + ".npy"))
                        diff = ("shape %s vs %s" % (got.shape, ref.shape) if got.shape != ref.shape
                                else "%.1e" % float(np.max(np.abs(got.astype(np.float64) - ref))))
                    ratio = "%.2f" % (t["median"] / ours_med) if ours_med else "-"
                    if model == "sgemm":
                        n = int(batch)
                        gflops = 2.0 * n ** 3 / (t["median"] * 1e-6) / 1e9
                        sgemm_rows.append((engine, "%.1f" % (t["median"] / 1e3), "%.1f" % gflops,
                                           ratio, t["runs"], diff))
                    else:
                        thr = int(batch) / (t["median"] * 1e-6)
                        rows.append((model, batch, engine, _fmt_us(t["median"]), _fmt_us(t["p99"]),
                                     "%.0f" % thr, ratio, t["runs"], diff))
    if rows:
        print("| model | batch | engine | median us | p99 us | samples/s | vs ours | runs | max abs diff |")
        print("|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            if len(row) == 4:
                print("| %s | %s | %s | %s | | | | | |" % row)
            else:
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % row)
    if sgemm_rows:
        print()
        print("| sgemm 2048x2048x2048 | median ms | GFLOP/s | vs ours | runs | max abs diff |")
        print("|---|---|---|---|---|---|")
        for row in sgemm_rows:
            if len(row) == 4:
                print("| %s | %s | | | | |" % (row[2], row[3]))
            else:
                print("| %s | %s | %s | %s | %s | %s |" % row)
    print()
    print("# load average at end %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
