"""The seed's own script, run by savedmodel and by real TensorFlow (issue 11).

tests/python/seed/train_and_save.py (the TF 1.x tutorial: softmax regression on
Fashion-MNIST, 1000 gradient-descent steps of batch 100, then simple_save and
SavedModelBuilder exports) and seed/load_and_predict.py (loader.load into a
fresh session, tensors found by name, predictions) run twice with the same
text: with `import savedmodel.compat.v1 as tf` in .venv-python, and with only
the import lines changed to `tensorflow.compat.v1` in .venv-reference
(seed/launch.py). Both read the same batches: the same input_data.py and
numpy.random.seed(1) on both sides.

Compared, with tolerances measured on the 2-core machine with TF 2.21:
- per-step losses at rate 0.1: 1e-5 relative for all 1000 steps. Measured
  max 1.04e-6 (the first loss, log(10) averaged over 100 rows, already differs
  by 1e-6: float32 summation order).
- per-step losses at the tutorial's rate 0.5: on Fashion-MNIST the loss jumps
  between 2 and 12 in the first steps and float32 rounding grows: measured
  <= 1.2e-6 for steps 0-9, then 3.7e-5 at step 10 and O(1) later.
  tests/reference/test_tutorial.py shows this is chaos, not a bug: TensorFlow's
  own float64 run leaves its float32 run the same way. So steps 0-9 are held to
  1e-5 and the rest to TensorFlow's band (mean of the last 200 within 10%;
  measured 0.934 vs 0.949).
- test accuracy: rate 0.1 within 1e-3 (measured: equal, 0.8242 both); rate
  0.5 within 0.02 (measured 0.8327 vs 0.8293, the chaotic weights differ).
- predictions: every export (ours and TensorFlow's, simple_save and builder,
  both rates) loaded by both sides, 1000 test images: rate 0.1 within 1e-5
  relative + 1e-7 absolute per entry (measured max 7.9e-6 relative); rate
  0.5, whose weights are large enough that tiny probabilities carry the
  logits' float32 rounding (1.2e-5 relative on entries near 1e-5), within
  1e-5 of each row's largest probability (measured 3.2e-6); argmax equal.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import savedmodel
from conftest import ROOT, SHARED

SEED_DIR = os.path.join(ROOT, "tests", "python", "seed")
LAUNCH = os.path.join(SEED_DIR, "launch.py")
DATA = "/usr/share/datasets/fashion-mnist"
SEED = 1
STEPS = 1000
RATES = ["0.5", "0.1"]
HELD_STEPS = {"0.5": 10, "0.1": STEPS}
ACCURACY_TOL = {"0.5": 0.02, "0.1": 1e-3}
EXPORTS = ["simple", "builder"]
SIDES = ["ours", "tensorflow"]

sys.path.insert(0, SEED_DIR)
import launch  # noqa: E402  (seed/launch.py: the import-line rewrite)


def _launch(python, side, script, runs, tmp):
    cmd = [python, LAUNCH, side, os.path.join(SEED_DIR, script), "--seed", str(SEED), "--runs", json.dumps(runs)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=tmp)
    if proc.returncode != 0:
        raise AssertionError("%s %s failed (exit %d):\n%s" % (side, script, proc.returncode, proc.stderr[-4000:]))
    return proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory, reference_python):
    """Trains at both rates on both sides, then loads all eight exports on both sides."""
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        pytest.skip("Fashion-MNIST not found at %s (Debian's dataset-fashion-mnist; scripts/setup installs it)"
                    % DATA)
    if not os.path.isdir(SHARED):
        pytest.skip("%s is absent (the shared test data of this project)" % SHARED)
    tmp = str(tmp_path_factory.mktemp("seed"))
    pythons = {"ours": sys.executable, "tensorflow": reference_python}
    train = {}
    for rate in RATES:
        for side in SIDES:
            export = os.path.join(tmp, "%s-%s" % (side, rate))
            out = export + ".json"
            stdout = _launch(pythons[side], side, "train_and_save.py",
                             [{"DATA_DIR": DATA, "EXPORT": export, "OUT": out, "LEARNING_RATE": rate,
                               "STEPS": STEPS}], tmp)
            with open(out) as f:
                result = json.load(f)
            result["stdout"] = stdout
            result["export"] = export
            train[side, rate] = result
    loads = {}
    for side in SIDES:
        jobs = []
        for rate in RATES:
            for maker in SIDES:
                for kind in EXPORTS:
                    out = os.path.join(tmp, "load-%s-%s-%s-%s.json" % (side, maker, rate, kind))
                    jobs.append(((maker, rate, kind), {"DATA_DIR": DATA, "OUT": out, "NUM_IMAGES": 1000,
                                                       "LOAD_DIR": os.path.join(train[maker, rate]["export"], kind)}))
        stdout = _launch(pythons[side], side, "load_and_predict.py", [env for _, env in jobs], tmp)
        assert stdout.count("predict: ") == len(jobs), stdout
        for key, env in jobs:
            with open(env["OUT"]) as f:
                loads[(side,) + key] = json.load(f)
    return {"train": train, "loads": loads}


def test_only_the_import_lines_differ():
    with open(os.path.join(SEED_DIR, "train_and_save.py")) as f:
        ours = f.read()
    theirs = launch.tensorflow_text(ours)
    changed = [(a, b) for a, b in zip(ours.splitlines(), theirs.splitlines()) if a != b]
    assert changed == [
        ("import savedmodel.compat.v1 as tf", "import tensorflow.compat.v1 as tf"),
        ("from savedmodel.compat.v1.examples.tutorials.mnist import input_data",
         "from tensorflow.examples.tutorials.mnist import input_data"),
        ("from savedmodel.compat.v1.saved_model import tag_constants",
         "from tensorflow.compat.v1.saved_model import tag_constants"),
        ("from savedmodel.compat.v1.saved_model.signature_def_utils import predict_signature_def",
         "from tensorflow.compat.v1.saved_model.signature_def_utils import predict_signature_def"),
    ]
    assert len(ours.splitlines()) == len(theirs.splitlines())


@pytest.mark.parametrize("rate", RATES)
def test_losses_match_tensorflow(runs, rate):
    ours = np.array(runs["train"]["ours", rate]["losses"])
    tf = np.array(runs["train"]["tensorflow", rate]["losses"])
    assert ours.shape == tf.shape == (STEPS,)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(tf))
    # The first batch: 100 rows at log(10) each, W and b being zero.
    assert abs(tf[0] - np.log(10)) < 1e-6
    rel = np.abs(ours - tf) / np.abs(tf)
    held = HELD_STEPS[rate]
    print("\nrate %s: max loss rel diff %.3g over steps 0-%d, %.3g over all" % (rate, rel[:held].max(), held - 1,
                                                                                rel.max()))
    bad = np.nonzero(rel[:held] > 1e-5)[0]
    assert bad.size == 0, "step %d: loss %r, TensorFlow's %r" % (bad[0], ours[bad[0]], tf[bad[0]])
    if held < STEPS:
        tail_ours, tail_tf = ours[-200:].mean(), tf[-200:].mean()
        print("  mean loss of the last 200 steps: ours %.4f, TensorFlow %.4f" % (tail_ours, tail_tf))
        assert abs(tail_ours - tail_tf) <= 0.1 * tail_tf


@pytest.mark.parametrize("rate", RATES)
def test_accuracy_matches_tensorflow(runs, rate):
    ours = runs["train"]["ours", rate]
    tf = runs["train"]["tensorflow", rate]
    print("\nrate %s: test accuracy ours %.4f, TensorFlow %.4f" % (rate, ours["accuracy"], tf["accuracy"]))
    assert "test accuracy: %.4f" % ours["accuracy"] in ours["stdout"]
    assert 0.75 < tf["accuracy"] < 0.9
    assert abs(ours["accuracy"] - tf["accuracy"]) <= ACCURACY_TOL[rate]


@pytest.mark.parametrize("kind", EXPORTS)
@pytest.mark.parametrize("rate", RATES)
def test_exports_have_tensorflows_signatures_and_variables(runs, rate, kind):
    models = {side: savedmodel.load(os.path.join(runs["train"][side, rate]["export"], kind)) for side in SIDES}
    want_keys = ["serving_default"] if kind == "simple" else ["predict", "serving_default"]
    for side, m in models.items():
        assert sorted(m.signatures) == want_keys, side
        for key in want_keys:
            sig = m.signatures[key]
            assert sig.method_name == "tensorflow/serving/predict"
            assert sig.inputs == {"myInput": savedmodel.TensorSpec("myInput:0", savedmodel.dtypes.float32,
                                                                   (None, 784))}, (side, key)
            assert sig.outputs == {"myOutput": savedmodel.TensorSpec("myOutput:0", savedmodel.dtypes.float32,
                                                                     (None, 10))}, (side, key)
    # tf.Variable(tf.zeros(...)) twice, unnamed: "Variable" and "Variable_1" in both checkpoints.
    assert sorted(models["ours"].variables) == sorted(models["tensorflow"].variables) == ["Variable", "Variable_1"]
    if HELD_STEPS[rate] == STEPS:
        for name in ("Variable", "Variable_1"):
            got, want = models["ours"].variables[name], models["tensorflow"].variables[name]
            assert got.shape == want.shape and got.dtype == want.dtype == np.float32
            err = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
            assert err <= 1e-5, "%s differs from TensorFlow's by %.3g of its largest entry" % (name, err)


@pytest.mark.parametrize("kind", EXPORTS)
@pytest.mark.parametrize("maker", SIDES)
@pytest.mark.parametrize("rate", RATES)
def test_each_side_loads_the_others_export(runs, rate, maker, kind):
    ours = runs["loads"]["ours", maker, rate, kind]
    tf = runs["loads"]["tensorflow", maker, rate, kind]
    # mnist.test.next_batch(1): the same shuffled test image on both sides.
    assert ours["one_label"] == tf["one_label"]
    got, want = np.array(ours["batch"], np.float32), np.array(tf["batch"], np.float32)
    assert got.shape == want.shape == (1000, 10)
    np.testing.assert_allclose(got.sum(1), 1, rtol=1e-5)
    assert np.array_equal(got.argmax(1), want.argmax(1))
    one_got, one_want = np.array(ours["one"], np.float32), np.array(tf["one"], np.float32)
    if HELD_STEPS[rate] == STEPS:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(one_got, one_want, rtol=1e-5, atol=1e-7)
    else:
        scale = np.abs(want).max(1, keepdims=True)
        err = (np.abs(got.astype(np.float64) - want) / scale).max()
        print("\n%s's %s export, rate %s: max |diff| / row max = %.3g" % (maker, kind, rate, err))
        assert err <= 1e-5
        assert (np.abs(one_got.astype(np.float64) - one_want) / np.abs(one_want).max()).max() <= 1e-5
