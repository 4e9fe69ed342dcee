"""savedmodel's Python package beside TensorFlow's Python loader, in one run:
import time, load time, per-call latency at batch 1 and 64, installed size.

    scripts/bench-python [--seconds S] [--imports N]

Every figure comes from fresh interpreters (bench/python/worker.py): savedmodel
in .venv-python, TensorFlow 2.21 in .venv-reference; nothing is shared between
the two. Models: TF Serving's half_plus_two (TF1), the tutorial's softmax
regression exported by `savedmodel train mnist-softmax` (TF1, 784x10), and a
Keras 3 MLP 784-512-512-10 written by TensorFlow (TF2, cached under
BUILD_DIR/bench-python/). Each call takes NumPy arrays and returns NumPy arrays.
The first output rows of both runtimes are compared, so a table never shows a
fast wrong answer.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
WORKER = os.path.join(HERE, "worker.py")
HALF_PLUS_TWO = os.path.join(ROOT, "..", "shared", "testdata", "tf_serving",
                             "saved_model_half_plus_two_cpu", "00000123")


def _worker(python, *args, timeout=900):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1")
    # Run outside the tree, so `import savedmodel` is the installed package.
    proc = subprocess.run([python, WORKER] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, cwd="/", env=env)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError("%s %s failed:\n%s" % (os.path.basename(python), " ".join(map(str, args)), tail))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _tutorial_export(build_dir):
    cli = os.path.join(build_dir, "savedmodel")
    export = os.path.join(build_dir, "bench-python", "tutorial")
    if not os.path.isdir(export) or os.path.getmtime(export) < os.path.getmtime(cli):
        subprocess.run(["rm", "-rf", export], check=True)
        subprocess.run([cli, "train", "mnist-softmax", "--steps", "200", "--seed", "1",
                        "--export", export], check=True, stdout=subprocess.DEVNULL)
    return export


def _keras_mlp(build_dir, reference_python):
    """Made again only when the generator or TensorFlow's venv changes."""
    generator = os.path.join(HERE, "make_keras_mlp.py")
    with open(generator, "rb") as f:
        digest = hashlib.sha256(f.read())
    pins = os.path.join(ROOT, ".venv-reference", ".pins")
    if os.path.exists(pins):
        with open(pins, "rb") as f:
            digest.update(f.read())
    export = os.path.join(build_dir, "bench-python", "keras_mlp")
    stamp = export + ".stamp"
    if not (os.path.isdir(export) and os.path.exists(stamp)
            and open(stamp).read() == digest.hexdigest()):
        subprocess.run(["rm", "-rf", export, stamp], check=True)
        proc = subprocess.run([reference_python, generator, export], capture_output=True, text=True,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        if proc.returncode != 0:
            raise RuntimeError("make_keras_mlp.py failed:\n" + proc.stderr[-3000:])
        with open(stamp, "w") as f:
            f.write(digest.hexdigest())
    return export


def _ms(seconds):
    ms = seconds * 1e3
    return "%.3f" % ms if ms < 1 else "%.2f" % ms if ms < 10 else "%.1f" % ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter with savedmodel installed")
    ap.add_argument("--reference-python", default=os.path.join(ROOT, ".venv-reference", "bin", "python"))
    ap.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--seconds", type=float, default=2.0, help="time per batch size per runtime")
    ap.add_argument("--imports", type=int, default=5, help="fresh processes timed per import")
    args = ap.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    os.makedirs(os.path.join(build_dir, "bench-python"), exist_ok=True)
    sm, tf = args.python, args.reference_python

    models = []
    if os.path.isdir(HALF_PLUS_TWO):
        models.append(("half_plus_two (TF1)", HALF_PLUS_TWO, "serving_default", True))
    else:
        print("(no %s: half_plus_two left out)" % HALF_PLUS_TWO, file=sys.stderr)
    models.append(("tutorial 784x10 (TF1)", _tutorial_export(build_dir), "predict", True))
    models.append(("Keras MLP 784-512-512-10 (TF2)", _keras_mlp(build_dir, tf), "serving_default",
                   False))

    imports = {}
    for name, python, module in (("savedmodel", sm, "savedmodel"), ("tensorflow", tf, "tensorflow")):
        imports[name] = statistics.median(
            _worker(python, "import", module)["import_s"] for _ in range(args.imports))

    rows, mismatches = [], []
    for label, path, key, tf1 in models:
        runs = [("savedmodel", "signature", sm)] + [("savedmodel", "run", sm)] * tf1 + \
            [("tensorflow", "signature", tf)] + [("tensorflow", "session", tf)] * tf1
        results = {}
        for runtime, api, python in runs:
            r = _worker(python, "latency", runtime, api, path, key, args.seconds)
            results[(runtime, api)] = r
            rows.append((label, runtime, api, r))
        ours, theirs = results[("savedmodel", "signature")], results[("tensorflow", "signature")]
        for b in ("b1_row0", "b64_row0"):
            if any(abs(a - c) > 1e-5 * max(1.0, abs(c)) for a, c in zip(ours[b], theirs[b])):
                mismatches.append("%s %s: savedmodel %s, tensorflow %s" % (label, b, ours[b], theirs[b]))

    sizes = {"savedmodel": _worker(sm, "size", "savedmodel"),
             "tensorflow": _worker(tf, "size", "tensorflow-cpu")}

    api_names = {("savedmodel", "signature"): "savedmodel `signatures[k](**x)`",
                 ("savedmodel", "run"): "savedmodel `run` by name",
                 ("tensorflow", "signature"): "TF `saved_model.load(...).signatures[k]`",
                 ("tensorflow", "session"): "TF `compat.v1` Session + `loader.load`"}
    print("| model | runtime and API | load ms | batch 1 p50 / p99 ms | batch 64 p50 / p99 ms |")
    print("|---|---|---|---|---|")
    for label, runtime, api, r in rows:
        print("| %s | %s | %s | %s / %s | %s / %s |" % (
            label, api_names[(runtime, api)], _ms(r["load_s"]),
            _ms(r["b1"]["p50_s"]), _ms(r["b1"]["p99_s"]),
            _ms(r["b64"]["p50_s"]), _ms(r["b64"]["p99_s"])))
    print()
    print("| | savedmodel | TensorFlow 2.21 |")
    print("|---|---|---|")
    print("| `import`, median of %d fresh processes | %s ms | %s ms |"
          % (args.imports, _ms(imports["savedmodel"]), _ms(imports["tensorflow"])))
    print("| installed size (the distribution and everything it requires) | %.1f MiB (%s) | %.0f MiB (%d distributions) |"
          % (sizes["savedmodel"]["bytes"] / 2**20, " + ".join(sizes["savedmodel"]["distributions"]),
             sizes["tensorflow"]["bytes"] / 2**20, len(sizes["tensorflow"]["distributions"])))
    if mismatches:
        print("\noutputs differ:\n  " + "\n  ".join(mismatches))
        return 1
    print("\noutputs: savedmodel and TensorFlow agree on every model (first rows, 1e-5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
