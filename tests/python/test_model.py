"""savedmodel.load and running models from Python: TF Serving's and the
corpus's real TensorFlow models (../shared/testdata), errors, threads and
zero-copy feeding."""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import savedmodel
from savedmodel import _core, dtypes, errors

from conftest import shared_path

X = np.array([1.0, 2.0, 5.0], np.float32)

# TF Serving's half_plus_two family: y = 0.5x + 2 (half_plus_three: + 3).
HALF_PLUS = {
    "saved_model_half_plus_two_cpu/00000123": 2.0,
    "saved_model_half_plus_two_gpu/00000123": 2.0,
    "saved_model_half_plus_two_mkl/00000123": 2.0,
    "saved_model_half_plus_two_cpu_with_saved_model_config/00000123": 2.0,
    "saved_model_half_plus_two_2_versions/00000123": 2.0,
    "saved_model_half_plus_two_2_versions/00000124": 2.0,
    "saved_model_half_plus_two_tf2_cpu/00000123": 2.0,
    "saved_model_half_plus_three/00000123": 3.0,
}


def _shaped_like(spec, values):
    """`values` as a batch the spec accepts: [n, 1] for rank-2 inputs, [n]
    otherwise, cut to a fixed first dimension (the TF2 half_plus_two's x is (1,))."""
    if spec.shape is not None and len(spec.shape) == 2:
        return values.reshape(-1, 1)
    if spec.shape is not None and len(spec.shape) == 1 and spec.shape[0] is not None:
        return values[:spec.shape[0]]
    return values


def _example(features):
    """A serialized tf.Example with float features, encoded by hand (the
    protobuf wire format), for the regress/classify signatures."""

    def varint(n):
        out = b""
        while True:
            b = n & 0x7F
            n >>= 7
            if n:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])

    def field(num, payload):  # a length-delimited field
        return varint(num << 3 | 2) + varint(len(payload)) + payload

    entries = b""
    for name, values in features.items():
        float_list = field(1, b"".join(struct.pack("<f", v) for v in values))  # FloatList.value, packed
        feature = field(2, float_list)  # Feature.float_list
        entries += field(1, field(1, name.encode()) + field(2, feature))  # Features.feature map entry
    return field(1, entries)  # Example.features


# ---- TF Serving's models ----------------------------------------------------------

@pytest.mark.parametrize("model", sorted(HALF_PLUS))
def test_half_plus_models_by_signature_and_by_name(model):
    path = shared_path("tf_serving", *model.split("/"))
    m = savedmodel.load(path, tags=["serve"])
    assert m.tags == ["serve"]
    assert m.export_dir == path
    sig = m.signatures["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert list(sig.inputs) == ["x"] and list(sig.outputs) == ["y"]
    assert sig.inputs["x"].dtype == dtypes.float32
    x = _shaped_like(sig.inputs["x"], X)
    want = 0.5 * x + HALF_PLUS[model]

    out = sig(x=x)
    assert list(out) == ["y"]
    np.testing.assert_array_equal(out["y"].reshape(x.shape), want)
    assert out["y"].dtype == np.float32

    # The same graph by tensor name, as TF1's Session.run.
    y = m.run({sig.inputs["x"].name: x}, sig.outputs["y"].name)
    np.testing.assert_array_equal(y.reshape(x.shape), want)
    (y_list,) = m.run({sig.inputs["x"].name: x}, [sig.outputs["y"].name])
    np.testing.assert_array_equal(y_list, y)


@pytest.mark.parametrize("model", sorted(HALF_PLUS))
def test_half_plus_models_variables(model):
    m = savedmodel.load(shared_path("tf_serving", *model.split("/")))
    names = list(m.variables)
    a = next(n for n in names if n == "a" or n.startswith("a/"))
    b = next(n for n in names if n == "b" or n.startswith("b/"))
    assert m.variables[a] == np.float32(0.5)
    assert m.variables[b] == np.float32(HALF_PLUS[model])
    assert m.variables[a].dtype == np.float32 and m.variables[a].shape == ()
    assert len(m.variables) == len(names)
    with pytest.raises(KeyError):
        m.variables["no_such_variable"]
    with pytest.raises(errors.NotFoundError, match="no_such_variable"):
        m._core.read_variable("no_such_variable")


def test_half_plus_two_regress_and_classify_over_tf_examples(half_plus_two):
    m = savedmodel.load(half_plus_two)
    examples = np.array([_example({"x": [v]}) for v in X], dtype=object)
    # TF Serving's model: regress_x_to_y -> 0.5x + 2, regress_x_to_y2 -> 0.5x + 3
    # over serialized tf.Examples; regress_x2_to_y3 -> 0.5*x2 + 3 over floats.
    for key, add in [("regress_x_to_y", 2.0), ("regress_x_to_y2", 3.0)]:
        sig = m.signatures[key]
        assert sig.method_name == "tensorflow/serving/regress"
        assert sig.inputs["inputs"].dtype == dtypes.string
        out = sig(inputs=examples)
        np.testing.assert_allclose(out["outputs"].reshape(-1), 0.5 * X + add, rtol=0)
        # bytes arrays ('S') and str elements are strings too.
        np.testing.assert_allclose(sig(inputs=examples.astype(bytes))["outputs"].reshape(-1), 0.5 * X + add)
    y3 = m.signatures["regress_x2_to_y3"](inputs=X.reshape(-1, 1))["outputs"]
    np.testing.assert_allclose(y3.reshape(-1), 0.5 * X + 3, rtol=0)
    scores = m.signatures["classify_x_to_y"](inputs=examples)["scores"]
    np.testing.assert_allclose(scores.reshape(-1), 0.5 * X + 2, rtol=0)


def test_counter_model_keeps_state_between_calls(tf_serving):
    m = savedmodel.load(os.path.join(tf_serving, "saved_model_counter", "00000123"))
    sigs = m.signatures
    assert sigs["incr_counter_by"].inputs["delta"].dtype == dtypes.float32
    assert sigs["get_counter"]()["output"] == 0.0
    assert sigs["incr_counter"]()["output"] == 1.0
    assert sigs["incr_counter"]()["output"] == 2.0
    assert sigs["incr_counter_by"](delta=np.float32(2.5))["output"] == 4.5
    got = sigs["get_counter"]()["output"]
    assert got == 4.5
    # A fetched variable is copied: later updates never show through it.
    sigs["reset_counter"]()
    assert got == 4.5
    assert sigs["get_counter"]()["output"] == 0.0


def test_every_tf_serving_model_loads(tf_serving):
    dirs = sorted(glob.glob(os.path.join(tf_serving, "*", "0*")))
    assert len(dirs) == 9
    for d in dirs:
        m = savedmodel.load(d)
        assert "serve" in m.tags
        assert len(m.signatures) >= 1
        assert m.meta_graph_def[:1] != b""  # serialized MetaGraphDef bytes


# ---- the corpus, against outputs computed without TensorFlow ------------------------

def _corpus_cases():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata", "corpus_expected")
    cases = sorted(glob.glob(os.path.join(root, "*", "*", "case.json")))
    return [os.path.relpath(os.path.dirname(c), root) for c in cases] or ["(corpus_expected absent)"]


def _assert_close(got, want, what):
    """The C++ corpus test's comparison: 1e-5 relative for floats, exact otherwise."""
    assert got.dtype == want.dtype or (want.dtype.kind in "SUO" and got.dtype == object), \
        "%s: dtype %s vs %s" % (what, got.dtype, want.dtype)
    assert got.shape == want.shape, "%s: shape %s vs %s" % (what, got.shape, want.shape)
    if want.dtype.kind == "f":
        g, w = got.astype(np.float64), want.astype(np.float64)
        both_nan = np.isnan(g) & np.isnan(w)
        ok = both_nan | (np.abs(g - w) <= 1e-5 * np.maximum(np.abs(w), 1e-6) + 1e-7)
        assert ok.all(), "%s: %d elements differ, first at %s: %r vs %r" % (
            what, (~ok).sum(), np.argwhere(~ok)[0], g[~ok][0], w[~ok][0])
    elif want.dtype.kind in "SU":
        assert [bytes(v) if not isinstance(v, str) else v.encode() for v in want.reshape(-1)] == list(got.reshape(-1))
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.mark.parametrize("case", _corpus_cases())
def test_corpus_expected(case):
    case_dir = shared_path("corpus_expected", *case.split("/"))
    with open(os.path.join(case_dir, "case.json")) as f:
        spec = json.load(f)
    tags = [t for t in spec["tag_set"].split(",") if t]
    m = savedmodel.load(shared_path("corpus", spec["model"]), tags=tags)
    sig = m.signatures[spec["signature"]]
    inputs = {k: np.load(os.path.join(case_dir, "input.%s.npy" % k), allow_pickle=True) for k in spec["inputs"]}
    out = sig(**inputs)
    assert sorted(out) == sorted(spec["outputs"])
    for k in spec["outputs"]:
        want = np.load(os.path.join(case_dir, "output.%s.npy" % k), allow_pickle=True)
        _assert_close(out[k], want, "%s output %s" % (case, k))


@pytest.mark.parametrize("model,needle", [
    ("tf_fuzz_bad_node_attr", "has no 'value' tensor attr"),
    ("tf_fuzz_const_with_no_value", "Const node 'Assign/value' has no 'value' tensor attr"),
    ("tf_fuzz_negative_shape", "initializes from a tensor with -1 elements"),
])
def test_fuzz_models_raise_clear_errors(model, needle):
    path = shared_path("corpus", model)
    with pytest.raises(errors.InvalidArgumentError) as e:
        savedmodel.load(path)
    assert needle in str(e.value)
    assert path in str(e.value)


# ---- errors ----------------------------------------------------------------------------

def test_missing_dir(tmp_path):
    with pytest.raises(errors.NotFoundError, match="does not exist"):
        savedmodel.load(str(tmp_path / "nope"))


def test_wrong_tags_lists_the_tag_sets(half_plus_two):
    with pytest.raises(errors.NotFoundError) as e:
        savedmodel.load(half_plus_two, tags=["gpu", "serve"])
    assert "available tag sets: {serve}" in str(e.value)
    assert isinstance(e.value, errors.OpError) and e.value.error_code == errors.NOT_FOUND


def test_unknown_signature_key(half_plus_two):
    m = savedmodel.load(half_plus_two)
    with pytest.raises(KeyError, match="serving_default"):
        m.signatures["predict"]
    assert "predict" not in m.signatures
    with pytest.raises(errors.NotFoundError, match="signature 'predict' not found.*serving_default"):
        m._core.predict("predict", {"x": X})


def test_feed_errors(half_plus_two):
    m = savedmodel.load(half_plus_two)
    sig = m.signatures["serving_default"]
    with pytest.raises(errors.InvalidArgumentError, match="input 'x' expects float, got int32"):
        sig(x=np.array([[1], [2]], np.int32))
    with pytest.raises(errors.InvalidArgumentError, match="has no input 'z'"):
        sig(x=X.reshape(-1, 1), z=X)
    with pytest.raises(errors.InvalidArgumentError, match="'x'"):
        sig()
    with pytest.raises(TypeError, match="keyword arguments only: x="):
        sig(X)
    # The signature's TensorSpec (None, 1) refuses what TensorFlow's refuses.
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(None, 1\)"):
        sig(x=np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        sig(x=X)
    # Lists convert to the signature's dtype, as TF2 does for Python values.
    np.testing.assert_array_equal(sig(x=[[1.0], [2.0]])["y"], [[2.5], [3.0]])
    with pytest.raises(TypeError):
        sig(x={"not": "a tensor"})
    with pytest.raises(TypeError):
        m.run({1: X}, "y:0")


def test_run_errors_name_the_tensor(half_plus_two):
    m = savedmodel.load(half_plus_two)
    x = X.reshape(-1, 1)
    with pytest.raises(errors.NotFoundError, match="nope"):
        m.run({"x:0": x}, "nope:0")
    with pytest.raises(errors.NotFoundError, match="nope"):
        m.run({"nope:0": x}, "y:0")
    with pytest.raises(errors.OpError, match="x:7|output 7|7"):
        m.run({"x:0": x}, "x:7")
    with pytest.raises(errors.InvalidArgumentError):
        m.run({}, "y:0")  # x is needed and not fed
    with pytest.raises(errors.InvalidArgumentError, match="float"):
        m.run({"x:0": np.ones((2, 1), np.float64)}, "y:0")


def test_truncated_variables_file(tmp_path, half_plus_two):
    path = str(tmp_path / "model")
    shutil.copytree(half_plus_two, path)
    (data,) = glob.glob(os.path.join(path, "variables", "variables.data-*"))
    size = os.path.getsize(data)
    with open(data, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(errors.OpError) as e:
        savedmodel.load(path)
    assert isinstance(e.value, (errors.DataLossError, errors.InvalidArgumentError, errors.OutOfRangeError))
    assert "variables.data" in str(e.value)


def test_garbage_saved_model_pb(tmp_path):
    d = tmp_path / "garbage"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(bytes(range(256)) * 64)
    with pytest.raises(errors.OpError) as e:
        savedmodel.load(str(d))
    assert isinstance(e.value, (errors.DataLossError, errors.InvalidArgumentError))
    assert "saved_model.pb" in str(e.value)


def test_empty_saved_model_pb_and_no_model(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    with pytest.raises(errors.NotFoundError, match="saved_model.pb"):
        savedmodel.load(str(d))
    (d / "saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.OpError):
        savedmodel.load(str(d))


# ---- threads ---------------------------------------------------------------------------

def test_threads_share_one_model(half_plus_two):
    m = savedmodel.load(half_plus_two)
    sig = m.signatures["serving_default"]
    inputs = [np.arange(i, i + 17, dtype=np.float32).reshape(-1, 1) * (i + 1) for i in range(8)]
    single = [sig(x=x)["y"] for x in inputs]
    for x, y in zip(inputs, single):
        np.testing.assert_array_equal(y, 0.5 * x + 2)
    failures = []

    def worker(i):
        try:
            for j in range(50):
                x = inputs[(i + j) % 8]
                y = sig(x=x)["y"] if j % 2 else m.run({"x:0": x}, "y:0")
                if not np.array_equal(y, single[(i + j) % 8]):
                    failures.append((i, j))
        except Exception as e:  # reported below, with the thread that hit it
            failures.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# ---- zero copy ----------------------------------------------------------------------------

def _identity_graph():
    b = _core.GraphBuilder()
    b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": [-1]}, name="x")
    b.add_op("Identity", ["x:0"], name="y")
    b.add_op("Sum", ["x:0", b.add_op("Const", attrs={"dtype": dtypes.int32,
                                                     "value": np.array([0], np.int32)}, name="axis")[0][0]],
             name="total")
    return b


def test_zero_copy_through_identity(tmp_path):
    b = _identity_graph()
    sess = _core.Session(b)
    x = np.arange(16 << 20, dtype=np.float32)  # 64 MiB
    (y,) = sess.run({"x:0": x}, ["y:0"])
    assert np.shares_memory(y, x)
    np.testing.assert_array_equal(y[:5], [0, 1, 2, 3, 4])
    # The result outlives everything else and stays valid.
    del sess, b
    assert y[-1] == (16 << 20) - 1

    # A strided view is copied into a buffer of its own, with the right values.
    b = _identity_graph()
    sess = _core.Session(b)
    (z,) = sess.run({"x:0": x[::2]}, ["y:0"])
    assert not np.shares_memory(z, x)
    np.testing.assert_array_equal(z, x[::2])
    # A misaligned view is copied too.
    raw = np.zeros(4 * 1001, np.uint8)
    view = raw[4:].view(np.float32)
    view[:] = np.arange(1000)
    (w,) = sess.run({"x:0": view}, ["y:0"])
    np.testing.assert_array_equal(w, np.arange(1000, dtype=np.float32))

    # The runtime lets go of the arrays it adopted once their tensors are gone.
    refs = sys.getrefcount(x)
    for _ in range(3):
        (y2,) = sess.run({"x:0": x}, ["y:0"])
        assert sys.getrefcount(x) == refs + 1  # y2's tensor holds x
        del y2
    assert sys.getrefcount(x) == refs
    sess.run({"x:0": x}, ["total:0"])
    assert sys.getrefcount(x) == refs

    # Through a saved and loaded model too.
    _core.simple_save(sess, b, str(tmp_path / "ident"), {"x": "x:0"}, {"y": "y:0"})
    m = savedmodel.load(str(tmp_path / "ident"))
    out = m.signatures["serving_default"](x=x)["y"]
    assert np.shares_memory(out, x)
    np.testing.assert_array_equal(m.run({"x:0": x[:1000]}, "total:0"), np.float32(499500))


def test_zero_copy_large_input_peak_rss(tmp_path):
    # int32, so the sum of 2^27 ones is exact whatever the summation order.
    b = _core.GraphBuilder()
    b.add_op("Placeholder", attrs={"dtype": dtypes.int32, "shape": [-1]}, name="x")
    axis = b.add_op("Const", attrs={"dtype": dtypes.int32, "value": np.array([0], np.int32)}, name="axis")
    b.add_op("Sum", ["x:0", axis[0][0]], name="total")
    sess = _core.Session(b)
    export = str(tmp_path / "sum")
    _core.simple_save(sess, b, export, {"x": "x:0"}, {"total": "total:0"})
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import savedmodel

        def hwm():
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        m = savedmodel.load(sys.argv[1])
        sig = m.signatures["serving_default"]
        sig(x=np.ones(1024, np.int32))  # plans the signature
        x = np.ones(128 << 20, np.int32)  # 512 MiB, every page touched
        before = hwm()
        total = sig(x=x)["total"]
        after = hwm()
        print(after - before, float(total))
    """)
    out = subprocess.run([sys.executable, "-c", script, export], capture_output=True, text=True,
                         timeout=300, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    grew, total = out.stdout.split()
    assert float(total) == float(128 << 20)
    assert int(grew) < 128 << 20, "peak RSS grew by %d MiB while running" % (int(grew) >> 20)


def test_results_are_writeable_and_independent(half_plus_two):
    m = savedmodel.load(half_plus_two)
    x = X.reshape(-1, 1)
    y1 = m.run({"x:0": x}, "y:0")
    y2 = m.run({"x:0": x}, "y:0")
    assert y1.flags.writeable and y1.flags.c_contiguous
    y1[:] = 0
    np.testing.assert_array_equal(y2, 0.5 * x + 2)
    np.testing.assert_array_equal(m.run({"x:0": x}, "y:0"), 0.5 * x + 2)


def test_exit_while_daemon_threads_run_the_model(half_plus_two, tmp_path):
    """Interpreter shutdown ends daemon threads that are inside a run when they
    take the GIL back; that must end them, not abort the process."""
    script = textwrap.dedent("""
        import sys, threading, time
        import numpy as np
        import savedmodel
        m = savedmodel.load(sys.argv[1])
        sig = m.signatures["serving_default"]
        x = np.arange(1 << 20, dtype=np.float32).reshape(-1, 1)
        kept = sig(x=x)  # a result viewing the runtime's buffer, alive at exit
        started = threading.Barrier(5)
        def loop():
            started.wait()
            while True:
                sig(x=x)
        for _ in range(4):
            threading.Thread(target=loop, daemon=True).start()
        started.wait()
        time.sleep(0.05)
        print("exiting")
    """)
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", script, half_plus_two], capture_output=True, text=True,
                             timeout=120, cwd=str(tmp_path))
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip() == "exiting"
