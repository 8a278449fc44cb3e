"""The element detector's network in numpy: forward, loss and gradients, and its export to ONNX.

A small fully convolutional net over a BGR window image (H and W multiples of 16) giving, on a grid of
4 x 4 px cells, maps of `desktop_agent.perception.detector.MAPS` channels: one logit per class (background
and each role), the distances from the cell to its element's top and bottom edges, and whether a check
box or radio there is checked. Layers: a stride-4 stem (c1 stride 2, c2, pool, c3), a context branch
down to stride 16 (pool, c4, pool, c5, c6, 1x1 c7) upsampled back and joined to the stem, c8 and a 1x1
head. Every conv but the head is followed by ReLU.
"""
from __future__ import annotations

import numpy as np

from desktop_agent.perception.detector import CHECKED, CLASSES, MAPS, REACH
from models.training import layers

# name: (in, out, kernel, stride)
CONVS = {
    "c1": (3, 16, 3, 2), "c2": (16, 24, 3, 1), "c3": (24, 32, 3, 1),
    "c4": (32, 48, 3, 1), "c5": (48, 64, 3, 1), "c6": (64, 64, 3, 1), "c7": (64, 32, 1, 1),
    "c8": (64, 32, 3, 1), "head": (32, MAPS, 1, 1),
}
STEM, CONTEXT = ("c1", "c2", "c3"), ("c4", "c5", "c6", "c7")
ROLE_WEIGHT = 2.0  # a cell inside an element counts this many background cells in the class loss


def init(rng: np.random.Generator) -> dict[str, np.ndarray]:
    params = {}
    for name, (cin, cout, k, _) in CONVS.items():
        params[f"w_{name}"], params[f"b_{name}"] = layers.conv_init(cin, cout, k, rng)
    return params


def _conv(params, name, x, cache, *, relu=True):
    _, _, k, stride = CONVS[name]
    y, cols = layers.conv(x, params[f"w_{name}"], params[f"b_{name}"], k=k, stride=stride)
    if relu:
        y = np.maximum(y, 0)
    cache[name] = (x.shape, cols, y)
    return y


def forward(params: dict[str, np.ndarray], images: np.ndarray, cache: dict | None = None) -> np.ndarray:
    """Maps [N, H/4, W/4, MAPS] of NHWC float32 images (`detector.preprocess`, transposed)."""
    cache = {} if cache is None else cache
    x = _conv(params, "c1", images, cache)
    x = _conv(params, "c2", x, cache)
    cache["pool0"] = (x, layers.max_pool(x))
    stem = _conv(params, "c3", cache["pool0"][1], cache)
    cache["pool1"] = (stem, layers.max_pool(stem))
    x = _conv(params, "c4", cache["pool1"][1], cache)
    cache["pool2"] = (x, layers.max_pool(x))
    x = _conv(params, "c5", cache["pool2"][1], cache)
    x = _conv(params, "c6", x, cache)
    context = _conv(params, "c7", x, cache)
    joined = np.concatenate([stem, layers.upsample(context, 4)], axis=-1)
    x = _conv(params, "c8", joined, cache)
    return _conv(params, "head", x, cache, relu=False)


def _back(params, grads, name, dy, cache, *, relu=True, need_input=True):
    _, _, k, stride = CONVS[name]
    shape, cols, y = cache[name]
    if relu:
        dy = dy * (y > 0)
    dx, grads[f"w_{name}"], grads[f"b_{name}"] = layers.conv_backward(
        dy, cols, params[f"w_{name}"], shape, k=k, stride=stride, need_input=need_input)
    return dx


def backward(params: dict[str, np.ndarray], d_maps: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
    grads: dict[str, np.ndarray] = {}
    dx = _back(params, grads, "head", d_maps, cache, relu=False)
    d_joined = _back(params, grads, "c8", dx, cache)
    split = CONVS["c3"][1]
    d_stem = d_joined[..., :split]
    dx = _back(params, grads, "c7", layers.upsample_backward(d_joined[..., split:], 4), cache)
    dx = _back(params, grads, "c6", dx, cache)
    dx = _back(params, grads, "c5", dx, cache)
    dx = _back(params, grads, "c4", layers.max_pool_backward(dx, *cache["pool2"]), cache)
    d_stem = d_stem + layers.max_pool_backward(dx, *cache["pool1"])
    dx = _back(params, grads, "c3", d_stem, cache)
    dx = _back(params, grads, "c2", layers.max_pool_backward(dx, *cache["pool0"]), cache)
    _back(params, grads, "c1", dx, cache, need_input=False)
    return grads


def loss_and_grads(params: dict[str, np.ndarray], images: np.ndarray, targets: dict[str, np.ndarray]
                   ) -> tuple[float, dict[str, np.ndarray]]:
    """`targets` (each [N, H/4, W/4]): "cls" class index or -1 (ignored: padding beyond the image),
    "top"/"bottom" distances in px, "checked" 0/1 or -1 (not a check box or radio)."""
    cache: dict = {}
    maps = forward(params, images, cache)
    d = np.zeros_like(maps)
    cls = targets["cls"]
    known = cls >= 0
    weight = np.where(cls > 0, ROLE_WEIGHT, 1.0) * known
    total_weight = weight.sum() + 1e-6
    logits = maps[..., :len(CLASSES)]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=-1, keepdims=True)
    picked = np.take_along_axis(probs, np.maximum(cls, 0)[..., None], axis=-1)[..., 0]
    loss = float(-(weight * np.log(picked + 1e-9)).sum() / total_weight)
    d_logits = probs
    np.put_along_axis(d_logits, np.maximum(cls, 0)[..., None],
                      np.take_along_axis(d_logits, np.maximum(cls, 0)[..., None], axis=-1) - 1, axis=-1)
    d[..., :len(CLASSES)] = d_logits * (weight / total_weight)[..., None]
    inside = cls > 0
    count = inside.sum() + 1e-6
    for channel, key in ((len(CLASSES), "top"), (len(CLASSES) + 1, "bottom")):
        error = maps[..., channel] - targets[key] / REACH
        smooth = np.where(np.abs(error) < 1, 0.5 * error ** 2, np.abs(error) - 0.5)
        loss += float((smooth * inside).sum() / count)
        d[..., channel] = np.clip(error, -1, 1) * inside / count
    marked = targets["checked"] >= 0
    if marked.any():
        z = maps[..., CHECKED]
        p = 1 / (1 + np.exp(-z))
        y = np.maximum(targets["checked"], 0)
        n = marked.sum()
        loss += float(-(marked * (y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))).sum() / n)
        d[..., CHECKED] = (p - y) * marked / n
    return loss, backward(params, d.astype(np.float32), cache)


def to_onnx(params: dict[str, np.ndarray], metadata: dict[str, str]):
    """The network as an ONNX ModelProto: input "image" float32 [N, 3, H, W] (multiples of 16), output
    "maps" float32 [N, MAPS, H/4, W/4]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def conv(name: str, x: str, *, relu: bool = True) -> str:
        _, _, k, stride = CONVS[name]
        inits.extend([numpy_helper.from_array(layers.onnx_weight(params[f"w_{name}"], k), f"w_{name}"),
                      numpy_helper.from_array(params[f"b_{name}"], f"b_{name}")])
        out = f"{name}_out"
        nodes.append(helper.make_node("Conv", [x, f"w_{name}", f"b_{name}"], [out], pads=[k // 2] * 4,
                                      strides=[stride, stride], kernel_shape=[k, k]))
        if not relu:
            return out
        nodes.append(helper.make_node("Relu", [out], [f"{name}_relu"]))
        return f"{name}_relu"

    def pool(x: str, name: str) -> str:
        nodes.append(helper.make_node("MaxPool", [x], [name], kernel_shape=[2, 2], strides=[2, 2]))
        return name

    x = pool(conv("c2", conv("c1", "image")), "pool0")
    stem = conv("c3", x)
    x = conv("c5", pool(conv("c4", pool(stem, "pool1")), "pool2"))
    context = conv("c7", conv("c6", x))
    inits.append(numpy_helper.from_array(np.array([1, 1, 4, 4], np.float32), "scales"))
    nodes.append(helper.make_node("Resize", [context, "", "scales"], ["context_up"], mode="nearest"))
    nodes.append(helper.make_node("Concat", [stem, "context_up"], ["joined"], axis=1))
    head = conv("head", conv("c8", "joined"), relu=False)
    nodes.append(helper.make_node("Identity", [head], ["maps"]))
    graph = helper.make_graph(
        nodes, "element_detector",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, ["N", MAPS, "H4", "W4"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="desktop-agent")
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model
