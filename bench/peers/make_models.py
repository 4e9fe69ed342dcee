"""Writes the peer benchmark's models: each network once, with one set of
weights, for every engine that races on it (runs in .venv-peers).

    python bench/peers/make_models.py [--out build/bench-peers] [--onnx-from-weights]

For each model, under OUT/<name>/:
  saved_model/   Keras 3 `model.export()` (what a Keras user ships; ours and
                 TensorFlow load this same directory)
  model.onnx     tf2onnx's conversion of saved_model/, or, where conversion
                 fails (or with --onnx-from-weights), the same network written
                 with the `onnx` package from weights.npz
  weights.npz    the weights in Keras layout; bench/peers/nets.py builds the
                 PyTorch network from them
  x_<batch>.npy  the inputs each engine is fed
  info.json      input/output names, which way the ONNX file was made
The sgemm model is one MatMul of two fed 2048x2048 matrices (a tf.Module).

Weights come from NumPy generators with fixed seeds, so every run of this
script computes the same functions. Made again only when this file, nets.py or
TensorFlow's version changes (OUT/stamp).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nets  # noqa: E402

BATCHES = (1, 64)
SGEMM_N = 2048
ONNX_OPSET = 17


def _glorot(rng, fan_in, fan_out, shape):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def _bias(rng, n):
    # Non-zero biases, so a runtime that dropped a BiasAdd would show up in
    # the cross-engine check instead of passing by luck.
    return rng.uniform(-0.1, 0.1, size=(n,)).astype(np.float32)


def _keras_model(keras, name):
    """The network in Keras, in the layer order nets.LAYERS gives."""
    L = keras.layers
    spec = nets.LAYERS[name]
    layers = [L.Input(shape=nets.INPUT_SHAPE[name], name="x", dtype="float32")]
    for kind, arg, act in spec:
        if kind == "dense":
            layers.append(L.Dense(arg, activation=act))
        elif kind == "conv":
            layers.append(L.Conv2D(arg, 3, activation=act))
        elif kind == "maxpool":
            layers.append(L.MaxPooling2D(arg))
        elif kind == "flatten":
            layers.append(L.Flatten())
    return keras.Sequential(layers, name=name)


def _weights(model, seed):
    """Seeded weights for every Dense/Conv2D layer, in Keras layout."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for i, layer in enumerate(l for l in model.layers if l.get_weights()):
        kernel, bias = layer.get_weights()
        fan_out = kernel.shape[-1]
        fan_in = int(np.prod(kernel.shape[:-1]))
        k = _glorot(rng, fan_in, fan_out, kernel.shape)
        b = _bias(rng, bias.shape[0])
        layer.set_weights([k, b])
        arrays["kernel_%d" % i], arrays["bias_%d" % i] = k, b
    return arrays


def _tf2onnx(saved_model, out_path):
    """tf2onnx's converter on the SavedModel, as its README runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved_model, "--output", out_path,
         "--opset", str(ONNX_OPSET), "--signature_def", "serving_default", "--tag", "serve"],
        capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not os.path.exists(out_path):
        tail = [l for l in proc.stderr.splitlines() if l.strip()][-3:]
        raise RuntimeError("tf2onnx failed: " + " | ".join(tail))


def _onnx_from_weights(name, weights, out_path):
    """The same network written node by node (NCHW inside, as ONNX's Conv wants)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    shape = ["batch"] + list(nets.INPUT_SHAPE[name])
    cur = "x"
    if len(shape) == 4:
        nodes.append(helper.make_node("Transpose", [cur], ["x_nchw"], perm=[0, 3, 1, 2]))
        cur = "x_nchw"
    torch_layout = nets.torch_weights(name, weights)
    li = 0
    for i, (kind, arg, act) in enumerate(nets.LAYERS[name]):
        out = "t%d" % i
        if kind in ("dense", "conv"):
            w, b = torch_layout["kernel_%d" % li], torch_layout["bias_%d" % li]
            wn, bn = "w%d" % li, "b%d" % li
            if kind == "dense":
                # Gemm with transB takes PyTorch's [out, in] weight as is.
                inits += [numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)]
                nodes.append(helper.make_node("Gemm", [cur, wn, bn], [out], transB=1))
            else:
                inits += [numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)]
                nodes.append(helper.make_node("Conv", [cur, wn, bn], [out], kernel_shape=[3, 3]))
            li += 1
            if act == "relu":
                nodes.append(helper.make_node("Relu", [out], [out + "_a"]))
                out += "_a"
            elif act == "softmax":
                nodes.append(helper.make_node("Softmax", [out], [out + "_a"], axis=-1))
                out += "_a"
        elif kind == "maxpool":
            nodes.append(helper.make_node("MaxPool", [cur], [out], kernel_shape=[arg, arg], strides=[arg, arg]))
        elif kind == "flatten":
            nodes.append(helper.make_node("Flatten", [cur], [out], axis=1))
        cur = out
    nodes.append(helper.make_node("Identity", [cur], ["output_0"]))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, out_path)


def _make_network(tf, keras, name, seed, out_dir, force_weights_onnx):
    model = _keras_model(keras, name)
    weights = _weights(model, seed)
    saved_model = os.path.join(out_dir, "saved_model")
    model.export(saved_model, verbose=False)
    np.savez(os.path.join(out_dir, "weights.npz"), **weights)

    rng = np.random.default_rng(seed + 1000)
    for b in BATCHES:
        x = rng.uniform(0.0, 1.0, size=(b,) + tuple(nets.INPUT_SHAPE[name])).astype(np.float32)
        np.save(os.path.join(out_dir, "x_%d.npy" % b), x)

    onnx_path = os.path.join(out_dir, "model.onnx")
    how, why = "tf2onnx", None
    if force_weights_onnx:
        how, why = "onnx package", "--onnx-from-weights"
    else:
        try:
            _tf2onnx(saved_model, onnx_path)
        except Exception as e:  # noqa: BLE001 - recorded, then the fallback
            how, why = "onnx package", str(e)[:300]
    if how != "tf2onnx":
        _onnx_from_weights(name, weights, onnx_path)

    import onnx
    graph = onnx.load(onnx_path).graph
    sig = tf.saved_model.load(saved_model).signatures["serving_default"]
    info = {
        "signature": "serving_default",
        "tags": ["serve"],
        "input_key": "x",
        "output_key": sorted(sig.structured_outputs)[0],
        "onnx_input": graph.input[0].name,
        "onnx": how,
        "onnx_fallback_reason": why,
    }
    json.dump(info, open(os.path.join(out_dir, "info.json"), "w"), indent=1)
    return info


def _make_sgemm(tf, out_dir, seed):
    n = SGEMM_N

    class MatMul(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([n, n], tf.float32, name="a"),
                                      tf.TensorSpec([n, n], tf.float32, name="b")])
        def __call__(self, a, b):
            return {"c": tf.linalg.matmul(a, b)}

    module = MatMul()
    saved_model = os.path.join(out_dir, "saved_model")
    tf.saved_model.save(module, saved_model, signatures={"serving_default": module.__call__})
    rng = np.random.default_rng(seed)
    for key in ("a", "b"):
        np.save(os.path.join(out_dir, "%s.npy" % key), rng.uniform(-1, 1, size=(n, n)).astype(np.float32))

    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "sgemm",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, [n, n]) for k in ("a", "b")],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    info = {"signature": "serving_default", "tags": ["serve"], "n": n, "output_key": "c", "onnx": "onnx package"}
    json.dump(info, open(os.path.join(out_dir, "info.json"), "w"), indent=1)


def _stamp(tf_version, force_weights_onnx):
    h = hashlib.sha256()
    for f in ("make_models.py", "nets.py"):
        h.update(open(os.path.join(HERE, f), "rb").read())
    h.update(("%s %s" % (tf_version, force_weights_onnx)).encode())
    return h.hexdigest()


def ensure(out, force_weights_onnx=False):
    """Makes the models unless OUT already holds this generator's output."""
    import importlib.metadata
    stamp_path = os.path.join(out, "stamp")
    stamp = _stamp(importlib.metadata.version("tensorflow-cpu"), force_weights_onnx)
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        return  # without importing TensorFlow, which takes seconds
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for seed, name in enumerate(nets.MODELS):
        d = os.path.join(out, name)
        os.makedirs(d)
        info = _make_network(tf, keras, name, seed, d, force_weights_onnx)
        print("make_models: %s (ONNX by %s%s)" % (
            name, info["onnx"], ": " + info["onnx_fallback_reason"] if info["onnx_fallback_reason"] else ""),
            file=sys.stderr)
    d = os.path.join(out, "sgemm")
    os.makedirs(d)
    _make_sgemm(tf, d, 99)
    open(stamp_path, "w").write(stamp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "build", "bench-peers"))
    ap.add_argument("--onnx-from-weights", action="store_true",
                    help="write the ONNX files with the onnx package instead of converting with tf2onnx")
    args = ap.parse_args()
    ensure(os.path.abspath(args.out), args.onnx_from_weights)


if __name__ == "__main__":
    main()
