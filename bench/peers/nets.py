"""The networks the peer benchmark races on, described once so that the Keras
model (make_models.py), the hand-written ONNX graph and the PyTorch module
are the same network with the same weights.

Each layer is (kind, argument, activation): dense units, conv filters (3x3,
stride 1, valid padding, as Keras' Conv2D defaults), maxpool size (stride =
size), flatten.
"""
import numpy as np

LAYERS = {
    # The MLP of the targets.
    "mlp": [("dense", 512, "relu"), ("dense", 512, "relu"), ("dense", 10, "softmax")],
    # The Keras MNIST convnet example (its Dropout layers are the identity at
    # inference, so they are left out).
    "cnn": [("conv", 32, "relu"), ("conv", 64, "relu"), ("maxpool", 2, None), ("flatten", None, None),
            ("dense", 128, "relu"), ("dense", 10, "softmax")],
    # The TensorFlow tutorial's softmax regression.
    "softmax": [("dense", 10, "softmax")],
}
INPUT_SHAPE = {"mlp": (784,), "cnn": (28, 28, 1), "softmax": (784,)}
MODELS = ("mlp", "cnn", "softmax")


def _shape_before_flatten(name):
    shape = list(INPUT_SHAPE[name])
    for kind, arg, _ in LAYERS[name]:
        if kind == "conv":
            shape = [shape[0] - 2, shape[1] - 2, arg]
        elif kind == "maxpool":
            shape = [shape[0] // arg, shape[1] // arg, shape[2]]
        elif kind == "flatten":
            return shape
    return None


def torch_weights(name, weights):
    """Keras-layout weights (kernel_i [.., in, out], bias_i) in PyTorch's layout:
    Linear [out, in], Conv2d [out, in, kh, kw]. Keras flattens NHWC activations
    in (h, w, c) order and PyTorch flattens NCHW in (c, h, w) order, so the rows
    of the first dense kernel after a flatten are permuted to match."""
    out, li, flattened = {}, 0, False
    hwc = _shape_before_flatten(name)
    for kind, _, _ in LAYERS[name]:
        if kind == "flatten":
            flattened = True
        if kind not in ("dense", "conv"):
            continue
        k, b = weights["kernel_%d" % li], weights["bias_%d" % li]
        if kind == "conv":
            k = np.transpose(k, (3, 2, 0, 1))
        else:
            if flattened and hwc is not None:
                h, w, c = hwc
                k = k.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)
                flattened = False
            k = k.T
        out["kernel_%d" % li], out["bias_%d" % li] = np.ascontiguousarray(k), b
        li += 1
    return out


def torch_module(name, weights):
    """The network as a torch.nn.Sequential holding the given weights. Takes
    NCHW images (what a PyTorch user feeds); callers transpose NHWC inputs
    before timing."""
    import torch
    from torch import nn

    tw = torch_weights(name, weights)
    layers, li = [], 0
    for kind, arg, act in LAYERS[name]:
        if kind in ("dense", "conv"):
            k = torch.from_numpy(tw["kernel_%d" % li])
            layer = nn.Linear(k.shape[1], k.shape[0]) if kind == "dense" else nn.Conv2d(k.shape[1], k.shape[0], 3)
            with torch.no_grad():
                layer.weight.copy_(k)
                layer.bias.copy_(torch.from_numpy(tw["bias_%d" % li]))
            layers.append(layer)
            li += 1
            if act == "relu":
                layers.append(nn.ReLU())
            elif act == "softmax":
                layers.append(nn.Softmax(dim=-1))
        elif kind == "maxpool":
            layers.append(nn.MaxPool2d(arg))
        elif kind == "flatten":
            layers.append(nn.Flatten())
    return nn.Sequential(*layers).eval()
