"""The peers' side of bench/mnist_train_bench.sh.

  steps DATA_DIR            the tutorial's 1000 steps (batch 100, rate 0.5) in
                            NumPy, PyTorch and TensorFlow's tf.compat.v1 (each
                            if importable): "name seconds" lines, best of 5
  numpy-process DATA_DIR    the whole tutorial as a NumPy script (read the IDX
                            files, train, test); the caller times the process
  tf-first-answer N DIR...  TensorFlow's loader in process: tf.saved_model.load
                            plus the first serving_default call on zeros, best
                            of N, "tf_first_answer_ms DIR ms" lines (N = 1 and
                            a fresh process per call: the cold number)
"""
import gzip
import os
import sys
import time

import numpy as np

STEPS, BATCH, RATE = 1000, 100, 0.5


def load(data_dir, split):
    def read(name, offset):
        path = os.path.join(data_dir, name)
        opener = gzip.open if os.path.exists(path + ".gz") else open
        with opener(path + ".gz" if opener is gzip.open else path, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    x = read(split + "-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / 255
    y = read(split + "-labels-idx1-ubyte", 8).astype(np.int64)
    return x, y


def batch_order(n):
    rng = np.random.default_rng(1)
    epochs = (STEPS * BATCH + n - 1) // n
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[: STEPS * BATCH]


def numpy_train(x_all, y_all, order, clock=True):
    eye = np.eye(10, dtype=np.float32)
    W = np.zeros((784, 10), np.float32)
    b = np.zeros(10, np.float32)
    t = time.perf_counter()
    for s in range(STEPS):
        idx = order[s * BATCH:(s + 1) * BATCH]
        x, y = x_all[idx], eye[y_all[idx]]
        z = x @ W + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = (p - y) / BATCH
        W -= RATE * (x.T @ g)
        b -= RATE * g.sum(0)
    return time.perf_counter() - t, W, b


def torch_train(x_all, y_all, order):
    import torch

    torch.set_num_threads(2)
    eye = np.eye(10, dtype=np.float32)
    xt, yt, ot = torch.from_numpy(x_all), torch.from_numpy(eye[y_all]), torch.from_numpy(order)
    W = torch.zeros(784, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=RATE)
    t = time.perf_counter()
    for s in range(STEPS):
        idx = ot[s * BATCH:(s + 1) * BATCH]
        p = torch.softmax(xt[idx] @ W + b, 1)
        loss = (-(yt[idx] * torch.log(p)).sum(1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def tf_compat_v1_train(x_all, y_all, order):
    """The tutorial's graph exactly as ours builds it, fed batch by batch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    v1 = tf.compat.v1
    eye = np.eye(10, dtype=np.float32)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 784])
        y_ = v1.placeholder(tf.float32, [None, 10])
        W = v1.Variable(v1.zeros([784, 10]))
        b = v1.Variable(v1.zeros([10]))
        y = v1.nn.softmax(v1.matmul(x, W) + b)
        cross_entropy = v1.reduce_mean(-v1.reduce_sum(y_ * v1.log(y), axis=[1]))
        train = v1.train.GradientDescentOptimizer(RATE).minimize(cross_entropy)
        init = v1.global_variables_initializer()
    config = v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=2)
    with v1.Session(graph=g, config=config) as sess:
        sess.run(init)
        t = time.perf_counter()
        for s in range(STEPS):
            idx = order[s * BATCH:(s + 1) * BATCH]
            sess.run([cross_entropy, train], {x: x_all[idx], y_: eye[y_all[idx]]})
        return time.perf_counter() - t


def steps(data_dir):
    x_all, y_all = load(data_dir, "train")
    order = batch_order(len(x_all))
    print("numpy_s %.4f" % min(numpy_train(x_all, y_all, order)[0] for _ in range(5)), flush=True)
    for name, fn in (("pytorch_s", torch_train), ("tf_compat_v1_s", tf_compat_v1_train)):
        try:
            print("%s %.4f" % (name, min(fn(x_all, y_all, order) for _ in range(5))), flush=True)
        except ImportError:
            print("%s - (not installed)" % name, flush=True)


def numpy_process(data_dir):
    x, y = load(data_dir, "train")
    _, W, b = numpy_train(x, y, batch_order(len(x)))
    tx, ty = load(data_dir, "t10k")
    print("test accuracy: %.4f" % np.mean(np.argmax(tx @ W + b, 1) == ty))


def tf_first_answer(loads, dirs):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(2)
    for d in dirs:
        best = float("inf")
        for _ in range(loads):
            t = time.perf_counter()
            fn = tf.saved_model.load(d).signatures["serving_default"]
            feeds = {}
            for name, spec in fn.structured_input_signature[1].items():
                shape = [1 if s is None else s for s in spec.shape.as_list()]
                feeds[name] = tf.zeros(shape, spec.dtype)
            fn(**feeds)
            best = min(best, time.perf_counter() - t)
        print("tf_first_answer_ms %s %.3f" % (d, best * 1e3), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "steps":
        steps(sys.argv[2])
    elif mode == "numpy-process":
        numpy_process(sys.argv[2])
    elif mode == "tf-first-answer":
        tf_first_answer(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit("unknown mode " + mode)
