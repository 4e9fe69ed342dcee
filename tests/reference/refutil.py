"""Helpers shared by the reference tests: paths, our binaries, TensorProto
files, the generation cache and the per-section summary."""
import hashlib
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
TESTDATA = os.path.join(SHARED, "testdata")
CLI = os.path.join(BUILD, "savedmodel")
RUNNER = os.path.join(BUILD, "tests", "reference", "reference_runner")
CACHE = os.path.join(BUILD, "reference")

_summary = {}
_doc = {}
DOC_SECTIONS = ("kernels", "exports", "tutorial", "models")


def record(section, cases=0, passed=0, pending=0, failed=0):
    """Adds to a section's counts; conftest prints one line per section."""
    s = _summary.setdefault(section, {"cases": 0, "passed": 0, "pending": 0, "failed": 0})
    s["cases"] += cases
    s["passed"] += passed
    s["pending"] += pending
    s["failed"] += failed


def summary_lines():
    return ["reference %s: %d cases, %d passed, %d pending, %d failed" %
            (k, v["cases"], v["passed"], v["pending"], v["failed"])
            for k, v in sorted(_summary.items())]


def doc_section(section, lines):
    """Markdown lines for `section` in docs/conformance.md. The file is
    rewritten at the end of a pytest run that produced every section, so a
    partial run (pytest -k ...) leaves it as it was."""
    _doc[section] = list(lines)


def write_doc():
    if any(s not in _doc for s in DOC_SECTIONS):
        return
    import tensorflow as tf
    out = ["# savedmodel against TensorFlow %s" % tf.__version__, "",
           "Written by the reference suite (`scripts/test-reference`, run by `scripts/test`); do not "
           "edit by hand. Summary of the last full run:", ""]
    out += ["- " + l for l in summary_lines()]
    for s in DOC_SECTIONS:
        out += [""] + _doc[s]
    path = os.path.join(ROOT, "docs", "conformance.md")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def cache_dir(name, sources):
    """A fresh or reused folder under build/reference/NAME. It is reused only
    while the files in `sources` (and TensorFlow's version) are unchanged;
    returns (path, fresh) where fresh means the caller must (re)generate."""
    import tensorflow as tf
    h = hashlib.sha256(tf.__version__.encode())
    for src in sorted(sources):
        with open(src, "rb") as f:
            h.update(f.read())
    stamp = h.hexdigest()
    path = os.path.join(CACHE, name)
    stamp_file = os.path.join(path, ".stamp")
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        return path, False
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path, stamp


def seal(path, stamp):
    """Marks a cache folder complete (after its generator finished)."""
    with open(os.path.join(path, ".stamp"), "w") as f:
        f.write(stamp)


def write_tensor(path, array, dtype=None):
    import tensorflow as tf
    proto = tf.make_tensor_proto(array, dtype=dtype)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def read_tensor(path):
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2
    with open(path, "rb") as f:
        return tf.make_ndarray(tensor_pb2.TensorProto.FromString(f.read()))


def run_runner(manifest, out_dir):
    """Runs reference_runner over a manifest; returns its result dicts in order."""
    shutil.rmtree(out_dir, ignore_errors=True)
    proc = subprocess.run([RUNNER, "run", manifest, out_dir], capture_output=True, text=True, errors="replace",
                          timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError("reference_runner failed (%d): %s" % (proc.returncode, proc.stderr[-4000:]))
    return [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]


def registry():
    """{"kernels": [...], "gradients": [...]} as our build registers them."""
    out = subprocess.run([RUNNER, "list"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def cli(*args, check=True, **kw):
    """Runs our `savedmodel` CLI; returns the CompletedProcess."""
    proc = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError("savedmodel %s failed (%d):\n%s%s" %
                             (" ".join(map(str, args)), proc.returncode, proc.stdout, proc.stderr))
    return proc
