"""A small CNN in numpy alone, trained with Adam, exported to ONNX: no deep-learning framework needed.

Layout inside is NHWC; the exported graph takes NCHW float32 images and returns logits. Layers: three
[3x3 conv, ReLU, 2x2 max-pool] blocks, a ReLU dense layer, a linear dense layer. The input's size and
channels are the caller's (sides multiples of 8): the icon reader's 3 x 32 x 32 (`icons.preprocess`), the
role reader's 4 x 32 x 64 (`element_roles.preprocess`).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.training.layers import col2im, im2col

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]  # a batch -> the batch as trained on

WIDTHS = (24, 48, 96)  # channels out of each conv block
HIDDEN = 192


def init(classes: int, rng: np.random.Generator, *, shape: tuple[int, int, int] = (3, 32, 32)
         ) -> dict[str, np.ndarray]:
    """Parameters for inputs of `shape` (channels, height, width)."""
    channels, height, width = shape
    params = {}
    for i, (cin, cout) in enumerate(zip((channels, *WIDTHS), WIDTHS)):
        params[f"w{i}"] = (rng.standard_normal((cin * 9, cout)) * np.sqrt(2 / (cin * 9))).astype(np.float32)
        params[f"b{i}"] = np.zeros(cout, np.float32)
    flat = WIDTHS[-1] * (height // 8) * (width // 8)
    params["wh"] = (rng.standard_normal((flat, HIDDEN)) * np.sqrt(2 / flat)).astype(np.float32)
    params["bh"] = np.zeros(HIDDEN, np.float32)
    params["wo"] = (rng.standard_normal((HIDDEN, classes)) * np.sqrt(1 / HIDDEN)).astype(np.float32)
    params["bo"] = np.zeros(classes, np.float32)
    return params


def forward(params: dict[str, np.ndarray], images: np.ndarray, *, keep: bool = False):
    """Logits [N, classes] of float32 NCHW images; with `keep`, also what `backward` needs."""
    x = np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    cache = []
    for i in range(len(WIDTHS)):
        n, h, w, _ = x.shape
        cols = im2col(x)
        y = np.maximum(cols @ params[f"w{i}"] + params[f"b{i}"], 0).reshape(n, h, w, -1)
        pooled = y.reshape(n, h // 2, 2, w // 2, 2, -1).max(axis=(2, 4))
        if keep:
            cache.append((x.shape, cols, y, pooled))
        x = pooled
    flat = x.reshape(len(x), -1)
    hidden = np.maximum(flat @ params["wh"] + params["bh"], 0)
    logits = hidden @ params["wo"] + params["bo"]
    return (logits, (cache, flat, hidden)) if keep else logits


def loss_and_grads(params: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray):
    logits, (cache, flat, hidden) = forward(params, images, keep=True)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = float(-np.log(probs[np.arange(n), labels] + 1e-9).mean())
    d = probs
    d[np.arange(n), labels] -= 1
    d /= n
    grads = {"wo": hidden.T @ d, "bo": d.sum(0)}
    dh = (d @ params["wo"].T) * (hidden > 0)
    grads["wh"], grads["bh"] = flat.T @ dh, dh.sum(0)
    dx = (dh @ params["wh"].T).reshape(cache[-1][3].shape)
    for i in reversed(range(len(WIDTHS))):
        shape, cols, y, pooled = cache[i]
        nn, h, w, c = y.shape
        up = np.repeat(np.repeat(pooled, 2, axis=1), 2, axis=2)
        dy = np.repeat(np.repeat(dx, 2, axis=1), 2, axis=2) * (y == up) * (y > 0)
        dy = dy.reshape(-1, c)
        grads[f"w{i}"], grads[f"b{i}"] = cols.T @ dy, dy.sum(0)
        if i:
            dx = col2im(dy @ params[f"w{i}"].T, shape)
    return loss, grads


class Adam:
    def __init__(self, params: dict[str, np.ndarray], *, decay: float = 1e-4) -> None:
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0
        self.decay = decay

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
        self.t += 1
        for k, g in grads.items():
            if k.startswith("w"):
                g = g + self.decay * params[k]
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            m = self.m[k] / (1 - 0.9 ** self.t)
            v = self.v[k] / (1 - 0.999 ** self.t)
            params[k] -= (lr * m / (np.sqrt(v) + 1e-8)).astype(np.float32)


def fit(images: np.ndarray, labels: np.ndarray, classes: int, *, augment: Augment, epochs: int,
        rng: np.random.Generator, batch: int = 64, lr: float = 2e-3, name: str = ""
        ) -> tuple[dict[str, np.ndarray], list[float]]:
    """A network for `images` [N, C, H, W] trained with Adam on a cosine schedule, each batch through
    `augment`; the parameters and each epoch's mean loss. `rng` draws the initial weights and the order."""
    params = init(classes, rng, shape=images.shape[1:])
    adam = Adam(params)
    batch = min(batch, len(images))  # a short run on a few samples still takes steps
    steps = epochs * (len(images) // batch)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(len(images))
        total = []
        for start in range(0, len(order) - batch + 1, batch):
            pick = order[start:start + batch]
            loss, grads = loss_and_grads(params, augment(images[pick], rng), labels[pick])
            adam.step(params, grads, lr * 0.5 * (1 + np.cos(np.pi * adam.t / steps)))
            total.append(loss)
        losses.append(float(np.mean(total)))
        print(f"{name}epoch {epoch + 1}/{epochs}: loss {losses[-1]:.3f}", flush=True)
    return params, losses


def to_onnx(params: dict[str, np.ndarray], shape: tuple[int, int, int], metadata: dict[str, str], *,
            name: str):
    """The network as an ONNX ModelProto named `name`: input "image" float32 [N, *shape], output
    "logits" [N, classes]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    x = "image"
    for i, (cin, cout) in enumerate(zip((shape[0], *WIDTHS), WIDTHS)):
        weight = params[f"w{i}"].T.reshape(cout, cin, 3, 3)
        inits += [numpy_helper.from_array(weight, f"w{i}"), numpy_helper.from_array(params[f"b{i}"], f"b{i}")]
        nodes += [helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"]),
                  helper.make_node("MaxPool", [f"r{i}"], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2])]
        x = f"p{i}"
    for k in ("wh", "bh", "wo", "bo"):
        inits.append(numpy_helper.from_array(params[k], k))
    nodes += [helper.make_node("Transpose", [x], ["nhwc"], perm=[0, 2, 3, 1]),
              helper.make_node("Flatten", ["nhwc"], ["flat"]),
              helper.make_node("Gemm", ["flat", "wh", "bh"], ["hidden_in"]),
              helper.make_node("Relu", ["hidden_in"], ["hidden"]),
              helper.make_node("Gemm", ["hidden", "wo", "bo"], ["logits"])]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", *shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", params["bo"].shape[0]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="desktop-agent")
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model
