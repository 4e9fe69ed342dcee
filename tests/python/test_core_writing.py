"""The writing API of savedmodel._core: the tutorial's softmax regression built
op by op, trained with gradient descent (each step checked against NumPy),
saved with simple_save and SavedModelBuilder, loaded back here, through
Session.load_saved_model and by real TensorFlow."""
import os
import subprocess
import textwrap

import numpy as np
import pytest

import savedmodel
from savedmodel import _core, dtypes, errors

LEARNING_RATE = 0.5
FEATURES, CLASSES, BATCH = 784, 10, 100


def _data(seed=0):
    """Fixed random data a linear model can learn: labels from a random teacher."""
    rng = np.random.RandomState(seed)
    # Mostly-zero pixels in [0, 0.1]: like MNIST's sparse images, small enough
    # that the tutorial's learning rate does not blow the logits up.
    x = (rng.uniform(0, 0.1, size=(BATCH, FEATURES)) * (rng.uniform(size=(BATCH, FEATURES)) < 0.3)).astype(np.float32)
    teacher = rng.normal(size=(FEATURES, CLASSES)).astype(np.float32)
    labels = np.argmax(x @ teacher, axis=1)
    return x, np.eye(CLASSES, dtype=np.float32)[labels]


def _const(b, value, name):
    value = np.asarray(value)
    return b.add_op("Const", attrs={"dtype": dtypes.as_dtype(value.dtype), "value": value}, name=name)[0][0]


def _softmax_graph():
    """The tutorial's graph: y = softmax(xW + b), cross-entropy loss, one
    GradientDescent train op, names as the tutorial gives them."""
    b = _core.GraphBuilder()
    x = b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": [-1, FEATURES]}, name="myInput")[0][0]
    y_ = b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": [-1, CLASSES]})[0][0]
    W = b.variable(_const(b, np.zeros((FEATURES, CLASSES), np.float32), "zeros"), name="W")
    bias = b.variable(_const(b, np.zeros((CLASSES,), np.float32), "zeros"), name="b")
    logits = b.add_op("Add", [b.add_op("MatMul", [x, W["snapshot"]])[0][0], bias["snapshot"]])[0][0]
    y = b.add_op("Softmax", [logits])[0][0]
    out = b.add_op("Identity", [y], name="myOutput")[0][0]
    log_y = b.add_op("Log", [y])[0][0]
    per_example = b.add_op("Sum", [b.add_op("Mul", [y_, log_y])[0][0], _const(b, np.array([1], np.int32), "axis")],
                           attrs={"keep_dims": False})[0][0]
    loss = b.add_op("Mean", [b.add_op("Neg", [per_example])[0][0], _const(b, np.array([0], np.int32), "axis0")])[0][0]
    train = b.minimize("GradientDescent", loss, {"learning_rate": LEARNING_RATE})
    init = b.global_variables_initializer()
    return b, dict(x=x, y_=y_, W=W, b=bias, y=out, loss=loss, train=train, init=init)


def _numpy_step(W, bias, x, y_):
    """One gradient-descent step of the same model in float64 NumPy."""
    logits = x.astype(np.float64) @ W + bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(y_ * np.log(p), axis=1))
    g = (p - y_) / len(x)  # d loss / d logits for one-hot rows
    return loss, W - LEARNING_RATE * (x.T.astype(np.float64) @ g), bias - LEARNING_RATE * g.sum(axis=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The graph after 10 training steps, with the losses seen and two exports."""
    b, t = _softmax_graph()
    sess = _core.Session(b)
    sess.run({}, [], [t["init"]])
    x, y_ = _data()
    losses = []
    for _ in range(10):
        W, bias = sess.run({}, [t["W"]["variable"], t["b"]["variable"]])
        loss_np, W_np, b_np = _numpy_step(W, bias, x, y_)
        (loss,) = sess.run({t["x"]: x, t["y_"]: y_}, [t["loss"]], [t["train"]])
        W2, b2 = sess.run({}, [t["W"]["variable"], t["b"]["variable"]])
        np.testing.assert_allclose(loss, loss_np, rtol=1e-5)
        np.testing.assert_allclose(W2, W_np, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b2, b_np, rtol=1e-5, atol=1e-6)
        losses.append(float(loss))
    root = tmp_path_factory.mktemp("exports")
    simple = str(root / "simple")
    _core.simple_save(sess, b, simple, {"myInput": t["x"]}, {"myOutput": t["y"]})
    built = str(root / "built")
    builder = _core.SavedModelBuilder(built)
    builder.add_meta_graph_and_variables(
        sess, b, ["serve"],
        {"predict": {"method_name": "tensorflow/serving/predict",
                     "inputs": {"myInput": t["x"]}, "outputs": {"myOutput": t["y"]}}})
    saved_pb = builder.save()
    (expected,) = sess.run({t["x"]: x}, [t["y"]])
    return dict(builder=b, session=sess, names=t, losses=losses, x=x, y_=y_, simple=simple, built=built,
                saved_pb=saved_pb, expected=expected, root=root)


def test_training_steps_match_numpy_and_loss_goes_down(trained):
    losses = trained["losses"]
    # All-zero weights predict 1/10 for every class: the first loss is log(10).
    assert losses[0] == pytest.approx(np.log(10), rel=1e-5)
    assert losses[-1] < losses[0] - 0.2
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_gradients_match_numpy():
    b, t = _softmax_graph()
    grads = b.gradients(t["loss"], [t["W"]["variable"], t["b"]["variable"], t["y_"]])
    assert grads[0] and grads[1]
    sess = _core.Session(b)
    sess.run({}, [], [t["init"]])
    x, y_ = _data(1)
    gW, gb = sess.run({t["x"]: x, t["y_"]: y_}, grads[:2])
    p = np.full((BATCH, CLASSES), 0.1)
    np.testing.assert_allclose(gW, x.T.astype(np.float64) @ (p - y_) / BATCH, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gb, (p - y_).sum(axis=0) / BATCH, rtol=1e-5, atol=1e-7)
    # y does not depend on the labels placeholder.
    assert b.gradients(t["y"], [t["y_"]]) == [None]


def test_exports_load_and_predict_the_same(trained):
    x, expected = trained["x"], trained["expected"]
    simple = savedmodel.load(trained["simple"])
    assert list(simple.signatures) == ["serving_default"]
    sig = simple.signatures["serving_default"]
    assert sig.inputs["myInput"].shape == (None, FEATURES)
    assert sig.outputs["myOutput"].shape == (None, CLASSES)
    np.testing.assert_array_equal(sig(myInput=x)["myOutput"], expected)
    np.testing.assert_array_equal(simple.run({"myInput:0": x}, "myOutput:0"), expected)
    W = trained["session"].run({}, ["W:0"])[0]
    np.testing.assert_array_equal(simple.variables["W"], W)

    built = savedmodel.load(trained["built"], tags=["serve"])
    assert trained["saved_pb"] == os.path.join(trained["built"], "saved_model.pb")
    assert list(built.signatures) == ["predict"]
    np.testing.assert_array_equal(built.signatures["predict"](myInput=x)["myOutput"], expected)
    ckpt = _core.read_checkpoint(os.path.join(trained["built"], "variables", "variables"))
    assert sorted(ckpt) == ["W", "b"]
    np.testing.assert_array_equal(ckpt["W"], W)


def test_builder_refuses_an_existing_directory(trained):
    with pytest.raises(errors.AlreadyExistsError, match="already exists"):
        _core.SavedModelBuilder(trained["built"])
    with pytest.raises(errors.AlreadyExistsError):
        _core.simple_save(trained["session"], trained["builder"], trained["simple"], {}, {})


def test_session_load_saved_model_then_grow_the_graph(trained):
    b = _core.GraphBuilder()
    sess = _core.Session(b)
    meta = sess.load_saved_model(trained["built"], ["serve"])
    assert isinstance(meta, bytes) and b"myOutput" in meta
    assert b.has_node("W") and b.node_op("W") == "VariableV2"
    (y,) = sess.run({"myInput:0": trained["x"]}, ["myOutput:0"])
    np.testing.assert_array_equal(y, trained["expected"])
    # Ops added after loading run over the restored variables.
    axis = _const(b, np.int32(1), "dimension")
    pred = b.add_op("ArgMax", ["myOutput:0", axis], name="prediction")[0][0]
    (labels,) = sess.run({"myInput:0": trained["x"]}, [pred])
    np.testing.assert_array_equal(labels, np.argmax(trained["expected"], axis=1))
    # A second load into the same graph collides on node names.
    with pytest.raises(errors.InvalidArgumentError, match="duplicate node name 'myInput'"):
        sess.load_saved_model(trained["built"], ["serve"])
    sess.close()
    with pytest.raises(RuntimeError, match="closed"):
        sess.run({"myInput:0": trained["x"]}, ["myOutput:0"])


def test_session_casts_feeds_to_the_placeholder_dtype(trained):
    t = trained["names"]
    x64 = trained["x"].astype(np.float64)
    (y,) = trained["session"].run({t["x"]: x64}, [t["y"]])
    np.testing.assert_array_equal(y, trained["expected"])
    # Python lists of floats (float64 to NumPy) are cast as well.
    (y,) = trained["session"].run({t["x"]: trained["x"][:2].tolist()}, [t["y"]])
    (y32,) = trained["session"].run({t["x"]: trained["x"][:2]}, [t["y"]])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, y32)


def test_graph_builder_errors_leave_the_graph_usable():
    b = _core.GraphBuilder()
    x = b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": None}, name="x")[0]
    assert x == ("x:0", dtypes.float32.as_datatype_enum)
    n = b.num_nodes()
    with pytest.raises(errors.NotFoundError, match="Op type not registered 'NoSuchOp'"):
        b.add_op("NoSuchOp", ["x:0"])
    with pytest.raises(errors.NotFoundError, match="nope"):
        b.add_op("Identity", ["nope:0"])
    with pytest.raises(errors.InvalidArgumentError, match="no attr named 'colour'"):
        b.add_op("Identity", ["x:0"], attrs={"colour": 1})
    with pytest.raises(errors.OpError):
        b.add_op("MatMul", ["x:0"])  # one input short
    with pytest.raises(TypeError):
        b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": "abc"})
    with pytest.raises(errors.AlreadyExistsError):
        b.add_op("Identity", ["x:0"], name="x/")
    assert b.num_nodes() == n
    assert b.add_op("Identity", ["x:0"])[0] == ("Identity:0", 1)
    assert b.add_op("Identity", ["x:0"])[0][0] == "Identity_1:0"
    with pytest.raises(errors.InvalidArgumentError, match="unknown optimizer"):
        b.minimize("Adagrad", "x:0", {})
    # Name scopes, as tf.name_scope.
    assert b.push_name_scope("layer") == "layer/"
    assert b.add_op("Identity", ["x:0"])[0][0] == "layer/Identity:0"
    b.pop_name_scope()
    assert b.push_name_scope("layer") == "layer_1/"
    b.pop_name_scope()
    with pytest.raises(ValueError):
        b.pop_name_scope()


def test_written_models_load_in_tensorflow(trained, reference_python):
    """Both exports, loaded by TensorFlow's own TF1 loader and TF2's
    tf.saved_model.load, predict what we predict."""
    x_path = str(trained["root"] / "x.npy")
    np.save(x_path, trained["x"])
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import tensorflow as tf

        tf1 = tf.compat.v1
        x = np.load(sys.argv[1])
        for export, key in ((sys.argv[2], "serving_default"), (sys.argv[3], "predict")):
            with tf1.Session(graph=tf.Graph()) as sess:
                meta = tf1.saved_model.loader.load(sess, ["serve"], export)
                sig = meta.signature_def[key]
                y = sess.run(sig.outputs["myOutput"].name, {sig.inputs["myInput"].name: x})
            np.save(export + ".tf1.npy", y)
            loaded = tf.saved_model.load(export)
            y2 = loaded.signatures[key](myInput=tf.constant(x))["myOutput"].numpy()
            np.save(export + ".tf2.npy", y2)
    """)
    out = subprocess.run([reference_python, "-c", script, x_path, trained["simple"], trained["built"]],
                         capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES=""))
    assert out.returncode == 0, out.stderr[-3000:]
    for export in (trained["simple"], trained["built"]):
        for kind in ("tf1", "tf2"):
            got = np.load(export + "." + kind + ".npy")
            np.testing.assert_allclose(got, trained["expected"], rtol=1e-5, atol=1e-7,
                                       err_msg="%s (%s)" % (export, kind))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64,
                                   np.uint8, np.uint16, np.uint32, np.uint64, np.bool_, np.complex64,
                                   np.complex128])
def test_every_numpy_dtype_round_trips(dtype):
    b = _core.GraphBuilder()
    b.add_op("Placeholder", attrs={"dtype": dtypes.as_dtype(dtype), "shape": None}, name="x")
    b.add_op("Identity", ["x:0"], name="y")
    sess = _core.Session(b)
    x = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    for value in (x, x[:, ::2], x.T, np.asarray(x, x.dtype.newbyteorder(">")), x[0, 0, 0], x[:0]):
        (y,) = sess.run({"x:0": value}, ["y:0"])
        assert y.dtype == np.dtype(dtype)
        assert y.shape == np.shape(value)
        np.testing.assert_array_equal(y, value)


def test_strings_in_and_out():
    b = _core.GraphBuilder()
    b.add_op("Placeholder", attrs={"dtype": dtypes.string, "shape": [-1]}, name="s")
    b.add_op("Identity", ["s:0"], name="t")
    b.add_op("Const", attrs={"dtype": dtypes.string, "value": np.array([b"\x00ab", "é".encode()], object)},
             name="c")
    sess = _core.Session(b)
    for value in (np.array([b"a", b"", b"\xff\x00z"], object), np.array(["a", "", "é"]),
                  np.array([b"a", b"bc"]), [b"x", "y"]):
        (t,) = sess.run({"s:0": value}, ["t:0"])
        assert t.dtype == object
        assert list(t) == [v.encode() if isinstance(v, str) else bytes(v) for v in value]
    (c,) = sess.run({}, ["c:0"])
    assert list(c) == [b"\x00ab", "é".encode()]
    with pytest.raises(TypeError, match="bytes or str"):
        sess.run({"s:0": np.array([b"a", 3], object)}, ["t:0"])


def test_concurrent_session_runs(trained):
    import threading

    t, x = trained["names"], trained["x"]
    sess = trained["session"]
    batches = [x[i * 10:(i + 1) * 10] for i in range(8)]
    single = [sess.run({t["x"]: xb}, [t["y"]])[0] for xb in batches]
    bad = []

    def worker(i):
        for j in range(25):
            k = (i + j) % 8
            if not np.array_equal(sess.run({t["x"]: batches[k]}, [t["y"]])[0], single[k]):
                bad.append((i, j))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert bad == []


def test_loaded_model_trains_on_and_exports_again(trained, tmp_path):
    """TF1's load / train more / save again: the loaded variables are the
    graph's variables, for the optimizer and for the new export's saver."""
    b = _core.GraphBuilder()
    sess = _core.Session(b)
    sess.load_saved_model(trained["built"], ["serve"])
    assert [(v["variable"], v["trainable"]) for v in b.variables()] == [("W:0", True), ("b:0", True)]
    # The loss and train op are not in the export: build them again on the loaded graph.
    y_ = b.add_op("Placeholder", attrs={"dtype": dtypes.float32, "shape": [-1, CLASSES]}, name="labels")[0][0]
    log_y = b.add_op("Log", ["myOutput:0"])[0][0]
    per_example = b.add_op("Sum", [b.add_op("Mul", [y_, log_y])[0][0], _const(b, np.array([1], np.int32), "ax")])[0][0]
    loss = b.add_op("Mean", [b.add_op("Neg", [per_example])[0][0], _const(b, np.array([0], np.int32), "ax0")])[0][0]
    train = b.minimize("GradientDescent", loss, {"learning_rate": LEARNING_RATE})
    W, bias = sess.run({}, ["W:0", "b:0"])
    np.testing.assert_array_equal(W, trained["session"].run({}, ["W:0"])[0])
    _, W_np, b_np = _numpy_step(W, bias, trained["x"], trained["y_"])
    sess.run({"myInput:0": trained["x"], y_: trained["y_"]}, [], [train])
    W2, b2 = sess.run({}, ["W:0", "b:0"])
    np.testing.assert_allclose(W2, W_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b2, b_np, rtol=1e-5, atol=1e-6)

    again = str(tmp_path / "again")
    _core.simple_save(sess, b, again, {"myInput": "myInput:0"}, {"myOutput": "myOutput:0"})
    m = savedmodel.load(again)
    np.testing.assert_array_equal(m.variables["W"], W2)
    np.testing.assert_array_equal(m.signatures["serving_default"](myInput=trained["x"])["myOutput"],
                                  sess.run({"myInput:0": trained["x"]}, ["myOutput:0"])[0])
