"""savedmodel.compat.v1: TF 1.x graph mode over savedmodel, unit by unit.

Values are checked against NumPy computing the same thing; node names and
types against TensorFlow itself (the same snippet built by tf.compat.v1 in the
reference venv); the MNIST reader's batches against an independent model of
TF 1.x's DataSet (the example stream as a concatenation of reshuffled epochs).
"""
import collections
import gzip
import json
import os
import subprocess
import threading

import numpy as np
import pytest

import savedmodel
import savedmodel.compat.v1 as tf
from savedmodel.compat.v1.examples.tutorials.mnist import input_data
from savedmodel.compat.v1.saved_model import tag_constants
from savedmodel.compat.v1.saved_model.signature_def_utils import predict_signature_def


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---- building and running -----------------------------------------------------------------

def test_ops_compute_what_numpy_computes(graph):
    rng = np.random.RandomState(0)
    a = rng.randn(4, 3).astype(np.float32)
    w = rng.randn(3, 5).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    W = tf.constant(w)
    z = tf.matmul(x, W)
    y = tf.nn.softmax(z)
    fetches = {
        "matmul": z, "softmax": y, "sum1": tf.reduce_sum(z, reduction_indices=[1]),
        "mean": tf.reduce_mean(z), "sum_keep": tf.reduce_sum(z, axis=0, keepdims=True),
        "max": tf.reduce_max(z, 1), "argmax": tf.argmax(z, 1), "argmin": tf.argmin(z, axis=0),
        "log": tf.log(y), "neg": -z, "exp": tf.exp(x), "relu": tf.nn.relu(z), "add_scalar": z + 1,
        "radd": 2.5 + z, "rsub": 1 - z, "mul": z * z, "div": z / 4, "rdiv": 1 / (tf.abs(z) + 1),
        "equal": tf.equal(tf.argmax(z, 1), tf.argmax(z + 0, 1)), "cast": tf.cast(z > 0, tf.float32),
        "reshape": tf.reshape(z, [-1]), "identity": tf.identity(z, name="out"),
        "int_div": tf.constant([7, 8]) / tf.constant([2, 4]), "square": tf.square(x), "sqrt": tf.sqrt(tf.abs(x)),
        "xent": tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=z),
        "log_softmax": tf.nn.log_softmax(z), "sigmoid": tf.sigmoid(x), "tanh": tf.nn.tanh(x),
        "maximum": tf.maximum(x, 0.5), "pow": x ** 2,
        "bias_add": tf.nn.bias_add(z, tf.constant(np.arange(5.0, dtype=np.float32))),
        "shape": tf.shape(x), "ones": tf.ones([2, 2], tf.int32), "zeros_big": tf.zeros([40, 30]),
        "fill": tf.fill([2, 3], 7.0), "ones_like": tf.ones_like(x), "zeros_like": tf.zeros_like(z, tf.int32),
        "slice": z[1:, ::-2], "index": z[-1], "newaxis": x[..., None, 0], "dim0": tf.shape(x)[0],
    }
    with tf.Session() as sess:
        got = sess.run(fetches, {x: a})
    zz = a @ w
    want = {
        "matmul": zz, "softmax": _softmax(zz), "sum1": zz.sum(1), "mean": zz.mean(),
        "sum_keep": zz.sum(0, keepdims=True),
        "max": zz.max(1), "argmax": zz.argmax(1), "argmin": zz.argmin(0), "log": np.log(_softmax(zz)), "neg": -zz,
        "exp": np.exp(a), "relu": np.maximum(zz, 0), "add_scalar": zz + 1, "radd": 2.5 + zz, "rsub": 1 - zz,
        "mul": zz * zz, "div": zz / 4, "rdiv": 1 / (np.abs(zz) + 1), "equal": np.ones(4, bool),
        "cast": (zz > 0).astype(np.float32), "reshape": zz.ravel(), "identity": zz,
        "int_div": np.array([3.5, 2.0]), "square": a * a, "sqrt": np.sqrt(np.abs(a)),
        "xent": -(_softmax(zz) * np.log(_softmax(zz))).sum(1), "log_softmax": np.log(_softmax(zz)),
        "sigmoid": 1 / (1 + np.exp(-a)), "tanh": np.tanh(a), "maximum": np.maximum(a, 0.5), "pow": a ** 2,
        "bias_add": zz + np.arange(5.0), "shape": np.array([4, 3]), "ones": np.ones((2, 2), np.int32),
        "zeros_big": np.zeros((40, 30)), "fill": np.full((2, 3), 7.0),
        "ones_like": np.ones_like(a), "zeros_like": np.zeros((4, 5), np.int32),
        "slice": zz[1:, ::-2], "index": zz[-1], "newaxis": a[..., None, 0], "dim0": 4,
    }
    assert sorted(got) == sorted(want)
    for k in want:
        assert np.shape(got[k]) == np.shape(want[k]), k
        np.testing.assert_allclose(got[k], want[k], rtol=2e-5, atol=1e-6, err_msg=k)
    # TensorFlow's dtypes: argmax int64, int / int -> float64, shape int32.
    assert got["argmax"].dtype == np.int64 and got["int_div"].dtype == np.float64
    assert got["shape"].dtype == np.int32 and got["matmul"].dtype == np.float32
    # Static shapes as TensorFlow infers them.
    assert z.shape.as_list() == [None, 5] and fetches["sum1"].get_shape().as_list() == [None]
    assert fetches["mean"].shape.as_list() == [] and fetches["sum_keep"].shape.as_list() == [1, 5]
    assert fetches["reshape"].shape.as_list() == [None]
    assert fetches["slice"].shape.as_list() == [None, 3] and fetches["index"].shape.as_list() == [5]
    assert fetches["newaxis"].shape.as_list() == [None, 1] and fetches["dim0"].shape.as_list() == []
    with pytest.raises(ValueError, match="Index out of range for a tensor of shape \\[3,5\\]"):
        W[:, 5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        x[[0, 1]]
    assert fetches["zeros_big"].op.type == "Fill" and fetches["ones"].op.type == "Const"


def test_fetch_structures_and_feeds_by_name(graph):
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.multiply(x, 2.0, name="double")
    Pair = collections.namedtuple("Pair", ["a", "b"])
    sess = tf.Session()
    feed = {"x:0": [1, 2]}  # by name, values cast to the placeholder's float32
    out = sess.run({"list": [y, "double:0"], "tuple": (y,), "pair": Pair(y, x), "nested": {"k": [[y]]},
                    "op": y.op, "op_by_name": "double"}, feed)
    assert out["list"][0].tolist() == [2, 4] and out["list"][1].tolist() == [2, 4]
    assert isinstance(out["tuple"], tuple) and out["tuple"][0].tolist() == [2, 4]
    assert isinstance(out["pair"], Pair) and out["pair"].b.tolist() == [1, 2]
    assert out["nested"]["k"][0][0].tolist() == [2, 4]
    assert out["op"] is None and out["op_by_name"] is None
    assert out["list"][0].dtype == np.float32
    # An OrderedDict comes back as one, in order; an empty list as an empty list.
    od = sess.run(collections.OrderedDict([("b", y), ("a", x)]), {x: np.array([3, 4], np.float64)})
    assert isinstance(od, collections.OrderedDict) and list(od) == ["b", "a"] and od["b"].tolist() == [6, 8]
    assert sess.run([], {x: [0, 0]}) == []
    # A 0-d result is a NumPy scalar, as TensorFlow returns it.
    s = sess.run(tf.reduce_sum(x), {x: [1.5, 2]})
    assert isinstance(s, np.float32) and s == 3.5
    sess.close()


def test_feed_and_fetch_errors(graph):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.identity(x * 2, name="y")
    other = tf.Graph()
    with other.as_default():
        z = tf.constant(1.0)
    sess = tf.Session()
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2, 2\) for Tensor 'x:0'"):
        sess.run(y, {x: np.zeros((2, 2))})
    with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor"):
        sess.run(y, {x: y})
    with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor.*'nope:0'"):
        sess.run(y, {"nope:0": [[1, 2, 3]]})
    with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor.*refers to an Operation"):
        sess.run(y, {"x": [[1, 2, 3]]})
    with pytest.raises(ValueError, match="Cannot feed 'abc' to x:0"):
        sess.run(y, {x: "abc"})
    with pytest.raises(ValueError, match=r"Cannot feed \[\[1, 2, 3\], \[4\]\] to x:0"):
        sess.run(y, {x: [[1, 2, 3], [4]]})
    with pytest.raises(ValueError, match="Fetch argument 'missing:0' cannot be interpreted as a Tensor"):
        sess.run("missing:0")
    with pytest.raises(ValueError, match="is not an element of this graph"):
        sess.run(z)
    with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
        sess.run([y, None], {x: [[1, 2, 3]]})
    with pytest.raises(TypeError, match="Fetch argument 3 has invalid type"):
        sess.run(3)
    # The runtime's own errors carry TensorFlow's classes: an unfed placeholder.
    with pytest.raises(tf.errors.InvalidArgumentError, match="x"):
        sess.run(y)
    assert tf.errors.InvalidArgumentError is savedmodel.errors.InvalidArgumentError
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(y, {x: [[1, 2, 3]]})
    sess.close()  # closing twice is fine


def test_graph_construction_errors(graph):
    a = tf.placeholder(tf.float32, [None, 784])
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 784 and 10"):
        tf.matmul(a, tf.zeros([10, 10]))
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type float64 that does not match type float32"):
        a + tf.constant(np.zeros(784))
    with pytest.raises(TypeError, match="Expected int32, got 1.5"):
        tf.constant([1, 2], tf.int32) + 1.5
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.zeros([2, 3]) * tf.zeros([4])
    with pytest.raises(ValueError, match="Invalid reduction dimension 2"):
        tf.reduce_sum(a, axis=2)
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'reduction_indices'"):
        tf.reduce_sum(a, axis=1, reduction_indices=[1])
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 6 elements"):
        tf.reshape(tf.zeros([2, 3]), [4, -1])
    with pytest.raises(TypeError, match="Using a `tf.Tensor` as a Python `bool` is not allowed"):
        bool(a)
    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic Tensor"):
        np.asarray(a)
    other = tf.Graph()
    with other.as_default():
        b = tf.constant(1.0)
    with pytest.raises(ValueError, match="must be from the same graph"):
        tf.add(tf.constant(1.0), b)
    with pytest.raises(ValueError, match="initial_value must have a shape specified"):
        tf.Variable(a)
    g2 = tf.Graph()
    g2.finalize()
    with g2.as_default(), pytest.raises(RuntimeError, match="Graph is finalized"):
        tf.constant(1.0)


def test_unknown_names_say_what_is_missing():
    for expr, name in [(lambda: tf.contrib, "tf.contrib"), (lambda: tf.nn.conv2d, "tf.nn.conv2d"),
                       (lambda: tf.train.RMSPropOptimizer, "tf.train.RMSPropOptimizer"),
                       (lambda: tf.saved_model.loader.load_v2, "tf.saved_model.loader.load_v2"),
                       (lambda: tf.saved_model.tag_constants.FOO, "tf.saved_model.tag_constants.FOO"),
                       (lambda: tf.math.cumsum, "tf.math.cumsum"), (lambda: tf.get_variable, "tf.get_variable")]:
        with pytest.raises(AttributeError) as e:
            expr()
        assert str(e.value) == ("savedmodel.compat.v1 does not provide %s; docs/python.md lists the TensorFlow "
                                "1.x names it provides" % name)
    # The modules' own helpers are not TensorFlow names.
    for module, helper in [(tf.nn, "convert_to_tensor"), (tf.train, "os"), (tf.saved_model.builder, "Tensor"),
                           (tf.saved_model.signature_def_utils, "build_tensor_info"), (tf.math, "module_getattr")]:
        with pytest.raises(AttributeError, match="does not provide"):
            getattr(module, helper)
    with pytest.raises(ImportError):
        from savedmodel.compat.v1 import estimator  # noqa: F401
    # The import forms the tutorial uses.
    from savedmodel.compat.v1.saved_model.signature_def_utils import predict_signature_def as p
    assert p is tf.saved_model.signature_def_utils.predict_signature_def
    assert tag_constants.SERVING == "serve" and tf.saved_model.tag_constants.TRAINING == "train"
    assert tf.saved_model.signature_constants.PREDICT_METHOD_NAME == "tensorflow/serving/predict"
    assert tf.float32 is savedmodel.dtypes.float32 and tf.errors is savedmodel.errors


def test_names_are_unique_as_tensorflow_makes_them(graph):
    p1, p2 = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    v1, v2 = tf.Variable(tf.zeros([2])), tf.Variable(tf.zeros([2]), name="Variable")
    a1, a2 = p1 + 1, p1 + p2
    with tf.name_scope("layer") as s1:
        c1 = tf.constant(1.0)
    with tf.name_scope("layer") as s2:
        c2 = tf.constant(1.0, name="c")
    assert [p1.name, p2.name] == ["Placeholder:0", "Placeholder_1:0"]
    assert [v1.name, v2.name] == ["Variable:0", "Variable_1:0"]
    assert v1.initializer.name == "Variable/Assign" and v1.value().name == "Variable/read:0"
    assert [a1.name, a2.name] == ["add:0", "add_1:0"]
    assert a1.op.inputs[1].name == "add/y:0" and a1.op.type == "AddV2"
    assert (s1, s2) == ("layer/", "layer_1/") and (c1.name, c2.name) == ("layer/Const:0", "layer_1/c:0")
    assert graph.get_tensor_by_name("add:0") is a1
    assert graph.get_operation_by_name("Variable") is v1.op
    assert [t.name for t in graph.get_operation_by_name("add_1").inputs] == ["Placeholder:0", "Placeholder_1:0"]
    with pytest.raises(KeyError, match="The name 'nope:0' refers to a Tensor which does not exist"):
        graph.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        graph.get_tensor_by_name("add:1")
    with pytest.raises(ValueError, match="refers to an Operation, not a Tensor"):
        graph.get_tensor_by_name("add")
    with pytest.raises(ValueError, match="appears to refer to a Tensor"):
        graph.get_operation_by_name("add:0")
    with pytest.raises(KeyError, match="refers to an Operation not in the graph"):
        graph.get_operation_by_name("nope")


# The same construction code run by us and by TensorFlow: node names and types must agree.
_SNIPPET = """
x = tf.placeholder(tf.float32, [None, 784], name="myInput")
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(x, W) + b)
y_ = tf.placeholder(tf.float32, [None, 10])
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
correct = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
out = tf.identity(y, name="myOutput")
z = 1 - x * 2.0 / 3.0
s = tf.reduce_sum(z, 0, keepdims=True)
m = tf.reduce_max(z, axis=[0, 1])
small = tf.ones([3, 4], tf.int32) + 1
c = tf.cast(tf.constant([1, 2]), tf.float64) / 2
with tf.name_scope("scope"):
    r = tf.reshape(x, [-1, 28, 28, 1], name="img")
    i = tf.nn.relu(tf.matmul(x, W, name="mm"))
init = tf.global_variables_initializer()
zl = tf.zeros_like(b)
zl_big = tf.zeros_like(W)
ol = tf.ones_like(x)
g = tf.group(init, out)
n = tf.no_op()
sl = x[:, 1:5]
first = tf.shape(x)[0]
"""


def test_node_names_and_types_match_tensorflow(graph, reference_python):
    exec(_SNIPPET, {"tf": tf})
    ours = sorted((op.name, op.type) for op in graph.get_operations())
    code = ("import json, tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n" + _SNIPPET +
            "print(json.dumps(sorted((o.name, o.type) for o in tf.get_default_graph().get_operations())))")
    proc = subprocess.run([reference_python, "-c", code], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES=""))
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs = [tuple(p) for p in json.loads(proc.stdout.strip().splitlines()[-1])]
    assert ours == theirs


# ---- default graph and session ---------------------------------------------------------------

def test_session_context_sets_the_default_graph_and_session():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(3.0)
        op = tf.identity(c).op
    assert tf.get_default_graph() is not g
    with tf.Session(graph=g) as sess:
        assert tf.get_default_graph() is g and tf.get_default_session() is sess
        assert c.eval() == 3.0 and op.run() is None
        assert tf.constant(1.0).graph is g  # new ops go into the session's graph
    assert tf.get_default_session() is None and tf.get_default_graph() is not g
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(c)
    with pytest.raises(ValueError, match="No default session is registered"):
        c.eval()
    with pytest.raises(ValueError, match="No default session is registered"):
        op.run()
    with tf.Session() as other:  # over the default graph, not g
        with pytest.raises(ValueError, match="graph is different from the session's graph"):
            c.eval()
        with pytest.raises(ValueError, match="graph is different from the session's graph"):
            c.eval(session=other)
    # as_default without closing; an explicit session works anywhere.
    s2 = tf.Session(graph=g)
    with s2.as_default():
        assert tf.get_default_session() is s2 and c.eval() == 3.0
    assert c.eval(session=s2) == 3.0
    s2.close()


def test_default_session_is_per_thread():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(5.0)
    seen = []
    with tf.Session(graph=g).as_default():
        t = threading.Thread(target=lambda: seen.append(tf.get_default_session()))
        t.start()
        t.join()
        assert tf.get_default_session() is not None
    assert seen == [None]


def test_one_session_runs_from_many_threads(graph):
    x = tf.placeholder(tf.float32, [None, 8])
    W = tf.Variable(tf.constant(np.arange(16, dtype=np.float32).reshape(8, 2)))
    y = tf.nn.softmax(tf.matmul(x, W))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    inputs = [np.random.RandomState(i).rand(50, 8).astype(np.float32) for i in range(8)]
    want = [_softmax(a @ np.arange(16, dtype=np.float32).reshape(8, 2)) for a in inputs]
    got = [None] * len(inputs)

    def work(i):
        for _ in range(20):
            got[i] = sess.run(y, {x: inputs[i]})

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)
    sess.close()


def test_interactive_session_and_reset_default_graph():
    tf.reset_default_graph()
    g = tf.get_default_graph()
    x = tf.constant([1.0, 2.0])
    sess = tf.InteractiveSession()
    assert tf.get_default_session() is sess and sess.graph is g
    assert x.eval().tolist() == [1.0, 2.0]
    with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
        tf.reset_default_graph()
    sess.close()
    assert tf.get_default_session() is None
    tf.reset_default_graph()
    assert tf.get_default_graph() is not g


def test_variables_survive_graph_growth(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    W = tf.Variable(tf.ones([2, 1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, W) - 1.0))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = {x: [[1.0, 2.0]]}
    for _ in range(3):
        sess.run(train, feed)
    w_before = sess.run(W)
    # Independent: the same three steps by hand. d loss / dW = 2 (xW - 1) x^T.
    w = np.ones((2, 1))
    xx = np.array([[1.0, 2.0]])
    for _ in range(3):
        w -= 0.1 * 2 * (xx @ w - 1) * xx.T
    np.testing.assert_allclose(w_before, w, rtol=1e-6)
    # The graph grows after the session ran: a new output and a new variable.
    doubled = W * 2
    V = tf.Variable(tf.constant([[5.0]]), name="V")
    sess.run(tf.group(tf.variables_initializer([V]), tf.no_op()))
    np.testing.assert_allclose(sess.run(doubled), 2 * w_before, rtol=1e-6)
    assert sess.run(V).tolist() == [[5.0]]
    assert [v.name for v in tf.global_variables()] == ["Variable:0", "V:0"]
    assert [v.name for v in tf.trainable_variables()] == ["Variable:0", "V:0"]
    # assign and load go through the same variable.
    sess.run(V.assign([[7.0]]))
    assert V.eval(session=sess).tolist() == [[7.0]]
    V.load([[9.0]], session=sess)
    assert sess.run(V).tolist() == [[9.0]]
    sess.close()


def test_gradients_and_optimizers(graph):
    x = tf.Variable(tf.constant([1.0, -2.0]), name="x")
    y = tf.reduce_sum(x * x * 3.0)
    (g,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(g).tolist() == [6.0, -12.0]
    for opt, slots in [(tf.train.MomentumOptimizer(0.1, 0.9), ["x/Momentum"]),
                       (tf.train.AdamOptimizer(), ["beta1_power", "beta2_power", "x/Adam", "x/Adam_1"])]:
        with tf.Graph().as_default():
            v = tf.Variable(tf.constant([1.0, -2.0]), name="x")
            step = opt.minimize(tf.reduce_sum(v * v))
            names = sorted(var.name[:-2] for var in tf.global_variables())
            assert names == sorted(["x"] + slots)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                sess.run(step)
                after = sess.run(v)
            if slots == ["x/Momentum"]:
                np.testing.assert_allclose(after, [1 - 0.1 * 2, -2 + 0.1 * 4], rtol=1e-6)
            else:  # Adam's first step moves each entry by lr * sign(g)
                np.testing.assert_allclose(after, [1 - 0.001, -2 + 0.001], rtol=1e-5)
    with pytest.raises(TypeError, match="a tensor hyper-parameter is not provided"):
        tf.train.GradientDescentOptimizer(tf.constant(0.1))


# ---- saving and loading --------------------------------------------------------------------

def _tiny_model():
    x = tf.placeholder(tf.float32, [None, 2], name="myInput")
    W = tf.Variable(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    y = tf.identity(tf.matmul(x, W), name="myOutput")
    return x, W, y


def test_simple_save_builder_and_loader_round_trip(tmp_path):
    with tf.Graph().as_default():
        x, W, y = _tiny_model()
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        sess.run(W.assign([[1.0, 0.0], [0.0, -1.0]]))
        tf.saved_model.simple_save(sess, str(tmp_path / "simple"), {"myInput": x}, {"myOutput": y})
        b = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "builder"))
        info = tf.saved_model.utils.build_tensor_info(x)
        assert (info.name, info.dtype, [d.size for d in info.tensor_shape.dim]) == ("myInput:0", 1, [-1, 2])
        sig = tf.saved_model.signature_def_utils.build_signature_def(
            {"in": info}, {"out": tf.saved_model.utils.build_tensor_info(y)},
            tf.saved_model.signature_constants.PREDICT_METHOD_NAME)
        b.add_meta_graph_and_variables(sess, [tag_constants.SERVING], signature_def_map={
            "predict": sig, "serving_default": predict_signature_def({"myInput": x}, {"myOutput": y})})
        b.add_meta_graph(["other"], signature_def_map={"predict": sig})
        path = b.save()
        assert path == os.fsencode(str(tmp_path / "builder" / "saved_model.pb"))
        with pytest.raises(Exception, match="exists"):
            tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "builder"))
        sess.close()
    feed = np.array([[2.0, 3.0]], np.float32)
    for export, tags, keys in [("simple", ["serve"], ["serving_default"]),
                               ("builder", ["serve"], ["predict", "serving_default"]),
                               ("builder", ["other"], ["predict"])]:
        with tf.Session(graph=tf.Graph()) as sess:
            meta = tf.saved_model.loader.load(sess, tags, str(tmp_path / export))
            assert sorted(meta.signature_def) == keys and meta.meta_info_def.tags == tags
            sig = meta.signature_def[keys[0]]
            out_name = list(sig.outputs.values())[0].name
            assert out_name == "myOutput:0" and sig.method_name == "tensorflow/serving/predict"
            graph = tf.get_default_graph()
            xin = graph.get_tensor_by_name("myInput:0")
            assert xin.shape.as_list() == [None, 2]  # from the Placeholder's shape attr
            got = sess.run(sess.graph.get_tensor_by_name(out_name), {xin: feed})
            assert got.tolist() == [[2.0, -3.0]]
    # The top-level API reads the same export.
    m = savedmodel.load(str(tmp_path / "simple"))
    assert m.signatures["serving_default"](myInput=feed)["myOutput"].tolist() == [[2.0, -3.0]]
    with tf.Session(graph=tf.Graph()) as sess:
        with pytest.raises(tf.errors.NotFoundError):
            tf.saved_model.loader.load(sess, ["nope"], str(tmp_path / "simple"))
    assert tf.saved_model.loader.maybe_saved_model_directory(str(tmp_path / "simple"))
    assert not tf.saved_model.loader.maybe_saved_model_directory(str(tmp_path))


def test_signature_helpers_validate_like_tensorflow(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(ValueError, match="Prediction inputs cannot be None or empty."):
        predict_signature_def({}, {"y": x})
    with pytest.raises(ValueError, match="Prediction outputs cannot be None or empty."):
        predict_signature_def({"x": x}, None)
    with pytest.raises(TypeError, match="must be a TensorInfo"):
        tf.saved_model.signature_def_utils.build_signature_def({"x": x}, {}, "m")
    with pytest.raises(ValueError, match="Regression examples must be a string Tensor."):
        tf.saved_model.signature_def_utils.regression_signature_def(x, x)
    s = tf.placeholder(tf.string, [None])
    r = tf.saved_model.signature_def_utils.regression_signature_def(s, tf.reduce_sum(x, 1))
    assert r.method_name == "tensorflow/serving/regress" and sorted(r.outputs) == ["outputs"]
    assert tf.saved_model.signature_def_utils.is_valid_signature(r)


def test_saver_save_restore_and_latest_checkpoint(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(tf.constant([1.0, 2.0]), name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign([5.0, 6.0]))
            prefix = saver.save(sess, str(tmp_path / "model"), global_step=3)
            assert prefix == str(tmp_path / "model-3")
            sess.run(v.assign([0.0, 0.0]))
            saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
            assert sess.run(v).tolist() == [5.0, 6.0]
    assert savedmodel.read_checkpoint(prefix)["v"].tolist() == [5.0, 6.0]
    assert tf.train.latest_checkpoint(str(tmp_path / "absent")) is None


# ---- the MNIST reader --------------------------------------------------------------------------

def _idx(path, magic, arr, gz):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    with (gzip.open(path + ".gz", "wb") if gz else open(path, "wb")) as f:
        f.write(data)


def _write_mnist(d, n_train=30, n_test=7, gz=True, rows=2, cols=3):
    rng = np.random.RandomState(1)
    train = rng.randint(0, 256, (n_train, rows, cols))
    test = rng.randint(0, 256, (n_test, rows, cols))
    train_l, test_l = np.arange(n_train) % 10, (np.arange(n_test) * 3) % 10
    _idx(os.path.join(d, "train-images-idx3-ubyte"), 2051, train, gz)
    _idx(os.path.join(d, "train-labels-idx1-ubyte"), 2049, train_l, gz)
    _idx(os.path.join(d, "t10k-images-idx3-ubyte"), 2051, test, not gz)  # mixed: both forms read
    _idx(os.path.join(d, "t10k-labels-idx1-ubyte"), 2049, test_l, not gz)
    return train, train_l, test, test_l


def test_read_data_sets_values(tmp_path):
    train, train_l, test, test_l = _write_mnist(str(tmp_path))
    ds = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=5)
    assert ds.train.num_examples == 25 and ds.validation.num_examples == 5 and ds.test.num_examples == 7
    assert ds.train.images.dtype == np.float32 and ds.train.images.shape == (25, 6)
    np.testing.assert_array_equal(ds.train.images, train[5:].reshape(25, 6).astype(np.float32) * np.float32(1 / 255))
    np.testing.assert_array_equal(ds.validation.labels, np.eye(10)[train_l[:5]])
    assert ds.test.labels.dtype == np.float64 and ds.test.labels.argmax(1).tolist() == test_l.tolist()
    plain = input_data.read_data_sets(str(tmp_path), validation_size=0, dtype=np.uint8, reshape=False)
    assert plain.train.images.shape == (30, 2, 3, 1) and plain.train.images.dtype == np.uint8
    assert plain.train.labels.tolist() == train_l.tolist()
    with pytest.raises(ValueError, match="Validation size should be between 0 and 30. Received: 31."):
        input_data.read_data_sets(str(tmp_path), validation_size=31)
    with pytest.raises(TypeError, match="Invalid image dtype"):
        input_data.read_data_sets(str(tmp_path), dtype=np.float64, validation_size=0)


def _stream_batches(n, batch, calls, seed):
    """TF 1.x's batches seen as a stream: epoch k is epoch k-1's order permuted by
    the k-th np.random.shuffle of arange(n); batches are consecutive slices."""
    np.random.seed(seed)
    order = np.arange(n)
    stream = []
    while len(stream) < batch * calls:
        perm = np.arange(n)
        np.random.shuffle(perm)
        order = order[perm]
        stream.extend(order.tolist())
    return [stream[i * batch:(i + 1) * batch] for i in range(calls)]


@pytest.mark.parametrize("batch", [4, 5, 25, 7])
def test_next_batch_follows_tf1_epochs(tmp_path, batch):
    train, train_l, _, _ = _write_mnist(str(tmp_path))
    ds = input_data.read_data_sets(str(tmp_path), validation_size=5)
    images = train[5:].reshape(25, 6)
    calls = 12
    want = _stream_batches(25, batch, calls, seed=7)
    np.random.seed(7)
    seen = 0
    for i in range(calls):
        xs, ys = ds.train.next_batch(batch)
        # Rows identify examples: each image row is unique in this data.
        rows = [int(np.nonzero((images == np.round(r * 255)).all(1))[0][0]) for r in xs]
        assert rows == want[i], "batch %d" % i
        assert ys.tolist() == train_l[5:][want[i]].tolist()
        seen += batch
        # An epoch is completed when a batch needs examples past its end.
        assert ds.train.epochs_completed == (seen + 24) // 25 - 1
    # Epoch count: the epoch ends when a batch crosses past the last example.
    ds2 = input_data.read_data_sets(str(tmp_path), validation_size=5)
    for _ in range(5):
        ds2.train.next_batch(5)
    assert ds2.train.epochs_completed == 0
    ds2.train.next_batch(1)
    assert ds2.train.epochs_completed == 1


def test_next_batch_without_shuffle_wraps_in_file_order(tmp_path):
    train, _, _, _ = _write_mnist(str(tmp_path))
    ds = input_data.read_data_sets(str(tmp_path), validation_size=0, dtype=np.uint8)
    got = [ds.train.next_batch(8, shuffle=False)[0] for _ in range(5)]
    flat = train.reshape(30, 6)
    want = [flat[np.arange(i * 8, (i + 1) * 8) % 30] for i in range(5)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert ds.train.epochs_completed == 1
    with pytest.raises(ValueError, match="batch_size 31 is larger than the 30 examples"):
        ds.train.next_batch(31)
    fake = input_data.read_data_sets("/nonexistent", fake_data=True, one_hot=True)
    xs, ys = fake.train.next_batch(3, fake_data=True)
    assert len(xs) == 3 and len(xs[0]) == 784 and ys[0] == [1] + [0] * 9


def test_read_data_sets_errors(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        input_data.read_data_sets(str(tmp_path / "empty"))
    msg = str(e.value)
    assert "train-images-idx3-ubyte" in msg and "t10k-labels-idx1-ubyte" in msg
    assert "dataset-fashion-mnist" in msg and "/usr/share/datasets/fashion-mnist" in msg
    d = str(tmp_path)
    _write_mnist(d)
    os.remove(os.path.join(d, "t10k-images-idx3-ubyte"))
    with pytest.raises(FileNotFoundError, match="missing t10k-images-idx3-ubyte \\("):
        input_data.read_data_sets(d)
    cases = {
        "magic": (2049, None, r"Invalid magic number 2049 in MNIST image file: .*t10k-images-idx3-ubyte"),
        "short": (2051, 5, r"t10k-images-idx3-ubyte: header says 7x2x3 \(42 bytes of data\) but the file holds 37"),
        "header": (2051, -30, r"too short for the 3 dimensions"),
    }
    for case, (magic, cut, pattern) in cases.items():
        data = magic.to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (7, 2, 3)) + bytes(42)
        if cut is not None:
            data = data[:-cut] if cut > 0 else data[:4 + 4]
        with open(os.path.join(d, "t10k-images-idx3-ubyte"), "wb") as f:
            f.write(data)
        with pytest.raises(ValueError, match=pattern):
            input_data.read_data_sets(d)
    # A file named .gz that is not gzip.
    with open(os.path.join(d, "t10k-images-idx3-ubyte"), "wb") as f:
        f.write((2051).to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (7, 2, 3)) + bytes(42))
    with open(os.path.join(d, "train-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(b"not gzip at all")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: cannot read it as a gzip file"):
        input_data.read_data_sets(d)
    # Labels and images disagreeing in count; a label outside 0-9 with one_hot.
    _idx(os.path.join(d, "train-labels-idx1-ubyte"), 2049, np.arange(29) % 10, True)
    with pytest.raises(ValueError, match="holds 30 images but .*train-labels-idx1-ubyte.gz holds 29 labels"):
        input_data.read_data_sets(d)
    _idx(os.path.join(d, "train-labels-idx1-ubyte"), 2049, np.full(30, 12), True)
    with pytest.raises(ValueError, match=r"labels outside \[0, 10\)"):
        input_data.read_data_sets(d, one_hot=True)
