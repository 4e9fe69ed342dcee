#!/usr/bin/env bash
# The tutorial's 1000 training steps (batch 100, softmax regression on
# Fashion-MNIST) in our graph runtime, a hand-written Eigen loop, PyTorch and
# NumPy, in one run; prints seconds (best of 5) and ratios to our time.
# Installs python3-torch and python3-numpy from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in python3-torch python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq "$p"; }
done
scripts/setup >/dev/null
out=$(build/bench/mnist_train_bench)
echo "$out"
ours=$(awk '/^savedmodel_graph_s/ {print $2}' <<<"$out")
/usr/bin/python3 - "$ours" <<'PY'
import gzip, sys, time
import numpy as np
import torch

ours = float(sys.argv[1])
d = "/usr/share/datasets/fashion-mnist/"
with gzip.open(d + "train-images-idx3-ubyte.gz") as f:
    x_all = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
with gzip.open(d + "train-labels-idx1-ubyte.gz") as f:
    y_all = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
rng = np.random.default_rng(1)
order = np.concatenate([rng.permutation(len(x_all)) for _ in range(2)])[:100000]
eye = np.eye(10, dtype=np.float32)

def numpy_loop():
    W = np.zeros((784, 10), np.float32); b = np.zeros(10, np.float32)
    t = time.perf_counter()
    for s in range(1000):
        idx = order[s * 100:(s + 1) * 100]
        x, y = x_all[idx], eye[y_all[idx]]
        z = x @ W + b
        p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
        g = (p - y) / 100
        W -= 0.5 * x.T @ g; b -= 0.5 * g.sum(0)
    return time.perf_counter() - t

def torch_loop():
    torch.set_num_threads(2)
    xt, yt = torch.from_numpy(x_all), torch.from_numpy(eye[y_all])
    W = torch.zeros(784, 10, requires_grad=True); b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=0.5)
    ot = torch.from_numpy(order)
    t = time.perf_counter()
    for s in range(1000):
        idx = ot[s * 100:(s + 1) * 100]
        x, y = xt[idx], yt[idx]
        p = torch.softmax(x @ W + b, 1)
        loss = (-(y * torch.log(p)).sum(1)).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    return time.perf_counter() - t

np_t = min(numpy_loop() for _ in range(5))
th_t = min(torch_loop() for _ in range(5))
print("numpy_s %.4f (%.2fx our time)" % (np_t, np_t / ours))
print("pytorch_s %.4f (%.2fx our time)" % (th_t, th_t / ours))
PY
