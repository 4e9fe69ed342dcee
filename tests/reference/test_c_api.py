"""TensorFlow's C API (issue 10): real clients built unchanged against our
headers and libtensorflow.so, their output compared with the same programs
built against TensorFlow's own C library (libtensorflow_cc.so.2 and
libtensorflow_framework.so.2 from the reference wheel, with the wheel's
headers).

- tests/c_api/c_program.c: a plain C program (cc + pkg-config) loading the
  tutorial's export by tag, feeding myInput:0, fetching myOutput:0, and the
  TF_Codes of a missing tag set, a wrong feed dtype and an unknown op type.
- cppflow's examples load_model, multi_input_output, load_frozen_graph,
  tensor and eager_op_multithread (../shared/clients/cppflow), with models
  made by each example's own create_model.py.
- tests/c_api/edge_cases.c: failures and edge cases (TF_Codes of bad
  GraphDefs, duplicate imports, missing attrs, out-of-range outputs, wrong
  feed shapes and dtypes, tensors too large to allocate), TF_TString's byte
  layout as each header's inline functions write it, tf.print's text through
  StringFormat, shapes and attrs read from imported graphs.
- tests/c_api/load_cycles.c: 1,000 load/run/delete cycles under
  LeakSanitizer, and resident memory flat across them.

TensorFlow's outputs are recorded once per TensorFlow version under
build/reference/c_api/. Numbers are compared to a relative 1e-6 (float32 sums
in another order differ in the last place); all other text exactly.
"""
import glob
import math
import os
import re
import subprocess

import pytest

import refutil

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI_TESTS = os.path.join(refutil.ROOT, "tests", "c_api")
CPPFLOW = os.path.join(refutil.SHARED, "clients", "cppflow")
LIBDIR = os.path.join(refutil.BUILD, "src", "c_api")
PKGCONFIG = os.path.join(LIBDIR, "pkgconfig-build")
EXAMPLES = ["load_model", "multi_input_output", "load_frozen_graph", "tensor", "eager_op_multithread"]
MODEL_EXAMPLES = EXAMPLES[:3]
CYCLES = 1000


def _tf_dir():
    import tensorflow as tf
    return os.path.dirname(tf.__file__)


def _run(cmd, **kw):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.update(kw.pop("env", {}))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, **kw)


def _check(proc, what):
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (what, proc.returncode, proc.stdout, proc.stderr)
    return proc


def _flags(which):
    """Compiler and linker flags for our library (pkg-config) or TensorFlow's."""
    if which == "ours":
        pc = ["pkg-config", "--cflags", "--libs", "tensorflow"]
        out = _check(_run(pc, env={"PKG_CONFIG_PATH": PKGCONFIG}), "pkg-config").stdout.split()
        return [], out + ["-Wl,-rpath," + LIBDIR]
    tf = _tf_dir()
    return ["-I" + os.path.join(tf, "include")], [os.path.join(tf, "libtensorflow_cc.so.2"),
                                                  os.path.join(tf, "libtensorflow_framework.so.2"),
                                                  "-Wl,-rpath," + tf]


def _build_all(which, out, models):
    """Builds the C programs with cc and cppflow's examples with c++ (C++17,
    unchanged sources) into `out`."""
    os.makedirs(out, exist_ok=True)
    cflags, libs = _flags(which)
    for prog in ("c_program", "edge_cases", "load_cycles"):
        _check(_run(["cc", "-std=c11", "-O1", "-o", os.path.join(out, prog),
                     os.path.join(CAPI_TESTS, prog + ".c")] + cflags + libs), "cc " + prog)
    for ex in EXAMPLES:
        srcs = sorted(glob.glob(os.path.join(CPPFLOW, "examples", ex, "*.cpp")))
        model = os.path.join(models, ex, "model")
        _check(_run(["c++", "-std=c++17", "-O1", "-pthread", "-I" + os.path.join(CPPFLOW, "include"),
                     '-DMODEL_PATH="%s"' % model, "-o", os.path.join(out, ex)] + srcs + cflags + libs),
               "c++ " + ex)


def _run_example(binary, ex, models):
    # load_frozen_graph opens "../model.pb".
    cwd = os.path.join(models, ex, "run")
    os.makedirs(cwd, exist_ok=True)
    return _check(_run([binary], cwd=cwd, timeout=600), ex).stdout


def _make_models(models):
    py = os.path.join(refutil.ROOT, ".venv-reference", "bin", "python")
    _check(_run([py, os.path.join(CAPI_TESTS, "make_tutorial_export.py"), os.path.join(models, "tutorial")]),
           "make_tutorial_export.py")
    for ex in MODEL_EXAMPLES:
        d = os.path.join(models, ex)
        os.makedirs(d, exist_ok=True)
        # The examples' create_model.py use tf-keras's model.save(save_format='tf').
        _check(_run([py, os.path.join(CPPFLOW, "examples", ex, "create_model.py")], cwd=d,
                    env={"TF_USE_LEGACY_KERAS": "1"}), ex + "/create_model.py")


def _edge_cases_args(bin_dir, models):
    return [os.path.join(bin_dir, "edge_cases"), os.path.join(models, "tutorial"),
            os.path.join(models, "load_frozen_graph", "model.pb")]


@pytest.fixture(scope="module")
def material():
    """Models and TensorFlow's outputs, cached per TensorFlow version and
    generator sources."""
    if not os.path.exists(os.path.join(LIBDIR, "libtensorflow.so")):
        pytest.skip("libtensorflow.so is not built (cmake --build build --target savedmodel_c_api)")
    if not os.path.isdir(CPPFLOW):
        pytest.skip("cppflow is not in ../shared/clients/cppflow")
    if not os.path.exists(os.path.join(_tf_dir(), "libtensorflow_cc.so.2")):
        pytest.skip("the TensorFlow wheel ships no libtensorflow_cc.so.2 to compare with")
    sources = [os.path.join(CAPI_TESTS, f) for f in ("make_tutorial_export.py", "c_program.c", "edge_cases.c")]
    sources += glob.glob(os.path.join(CPPFLOW, "examples", "*", "*"))
    sources += glob.glob(os.path.join(CPPFLOW, "include", "cppflow", "*.h"))
    path, stamp = refutil.cache_dir("c_api", sources)
    models = os.path.join(path, "models")
    expected = os.path.join(path, "expected")
    if stamp:
        _make_models(models)
        _build_all("tf", os.path.join(path, "bin_tf"), models)
        os.makedirs(expected)
        runs = {ex: _run_example(os.path.join(path, "bin_tf", ex), ex, models) for ex in EXAMPLES}
        runs["c_program"] = _check(_run([os.path.join(path, "bin_tf", "c_program"),
                                         os.path.join(models, "tutorial")]), "c_program").stdout
        runs["edge_cases"] = _check(_run(_edge_cases_args(os.path.join(path, "bin_tf"), models)),
                                    "edge_cases").stdout
        for name, text in runs.items():
            with open(os.path.join(expected, name + ".txt"), "w") as f:
                f.write(text)
        refutil.seal(path, stamp)
    return {"models": models, "expected": expected, "cache": path}


@pytest.fixture(scope="module")
def ours(material, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("c_api_bin"))
    _build_all("ours", out, material["models"])
    return out


_TOKEN = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|\S")


def _printed_unit(token):
    """One unit in the last place the token was printed to (0.035088: 1e-6,
    1.5e-07: 1e-8): two values a hair apart that straddle a rounding boundary
    print one unit apart, however close they are."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** ((int(exponent) if exponent else 0) - decimals)


def _same_output(got, want):
    """True when the texts agree, numbers to a relative 1e-6 plus one unit in
    the last printed place (what rounding to that place can add)."""
    g, w = _TOKEN.findall(got), _TOKEN.findall(want)
    if len(g) != len(w) or got.count("\n") != want.count("\n"):
        return False
    for a, b in zip(g, w):
        if a == b:
            continue
        try:
            fa, fb = float(a), float(b)
        except ValueError:
            return False
        slack = 1e-6 * max(abs(fa), abs(fb)) + max(_printed_unit(a), _printed_unit(b), 1e-9)
        if not abs(fa - fb) <= slack:
            return False
    return True


def _compare(name, got, material):
    with open(os.path.join(material["expected"], name + ".txt")) as f:
        want = f.read()
    ok = _same_output(got, want)
    refutil.record("c_api", cases=1, passed=int(ok), failed=int(not ok))
    assert ok, "%s differs from TensorFlow's C library:\n--- ours\n%s\n--- tensorflow\n%s" % (name, got, want)


def test_same_output_detects_a_difference():
    assert _same_output("[[0.0676613152]\n [1]]", "[[0.0676613078]\n [1]]")
    # 0.6423965 and 0.64239645 print at 6 places as these two.
    assert _same_output("0.642397", "0.642396")
    assert not _same_output("[[0.0676613]]", "[[0.0676615]]")
    assert not _same_output("0.642397", "0.642395")
    assert not _same_output("test1-3: pass", "test1-3: failed")
    assert not _same_output("a\nb", "a b")


def test_c_program(material, ours):
    got = _check(_run([os.path.join(ours, "c_program"), os.path.join(material["models"], "tutorial")]),
                 "c_program").stdout
    _compare("c_program", got, material)


def test_edge_cases(material, ours):
    got = _check(_run(_edge_cases_args(ours, material["models"])), "edge_cases").stdout
    _compare("edge_cases", got, material)


@pytest.mark.parametrize("example", EXAMPLES)
def test_cppflow_example(material, ours, example):
    _compare(example, _run_example(os.path.join(ours, example), example, material["models"]), material)


def test_exports_only_the_c_api():
    lib = os.path.join(LIBDIR, "libtensorflow.so")
    if not os.path.exists(lib):
        pytest.skip("libtensorflow.so is not built")
    names = _check(_run(["nm", "-D", "--defined-only", lib]), "nm").stdout.split("\n")
    exported = [l.split()[-1] for l in names if l.strip()]
    assert exported and all(re.match(r"TFE?_", n) for n in exported), exported[:20]
    assert os.path.realpath(os.path.join(LIBDIR, "libtensorflow.so.2")).endswith("libtensorflow.so.2.21.0")


def _rss(text, label):
    return int(re.search(label + r": (\d+) KiB", text).group(1))


def test_load_cycles_leave_no_leak(material, ours, tmp_path):
    """1,000 load/run/delete cycles under LeakSanitizer (-fsanitize=leak on the
    program checks every allocation, including the library's)."""
    cflags, libs = _flags("ours")
    binary = str(tmp_path / "load_cycles_lsan")
    _check(_run(["cc", "-std=c11", "-O1", "-fsanitize=leak", "-o", binary,
                 os.path.join(CAPI_TESTS, "load_cycles.c")] + cflags + libs), "cc -fsanitize=leak")
    proc = _run([binary, os.path.join(material["models"], "tutorial"), str(CYCLES)], timeout=600)
    assert "LeakSanitizer" not in proc.stderr, proc.stderr[-4000:]
    _check(proc, "load_cycles under LeakSanitizer")


def test_load_cycles_keep_resident_memory_flat(material, ours):
    proc = _check(_run([os.path.join(ours, "load_cycles"), os.path.join(material["models"], "tutorial"),
                        str(CYCLES)], timeout=600), "load_cycles")
    grown = _rss(proc.stdout, "rss after %d cycles" % CYCLES) - _rss(proc.stdout, "rss after 10 cycles")
    # Allocator noise is well under a MiB; one leaked model per cycle would be
    # about 30 KiB each, 30 MiB in all.
    assert grown < 4096, proc.stdout
