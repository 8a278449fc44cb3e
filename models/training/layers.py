"""Convolution layers in numpy alone, forward and backward, for the models trained here (no framework).

Tensors are NHWC float32. A convolution is k x k (k odd), padded by k // 2, stride 1 or 2; its weight is
[C_in * k * k, C_out], channel-major, so it reshapes to ONNX Conv's [C_out, C_in, k, k] by `onnx_weight`.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def im2col(x: np.ndarray, k: int = 3, stride: int = 1) -> np.ndarray:
    """[N, H, W, C] -> [N * H' * W', C * k * k], H' = ceil(H / stride)."""
    n, h, w, c = x.shape
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))) if p else x
    windows = sliding_window_view(padded, (k, k), axis=(1, 2))[:, ::stride, ::stride]  # [N, H', W', C, k, k]
    return windows.reshape(-1, c * k * k)


def col2im(cols: np.ndarray, shape: tuple[int, ...], k: int = 3, stride: int = 1) -> np.ndarray:
    """The gradient of `im2col`: [N * H' * W', C * k * k] -> [N, H, W, C] (`shape`)."""
    n, h, w, c = shape
    p = k // 2
    ho, wo = -(-h // stride), -(-w // stride)
    grad = cols.reshape(n, ho, wo, c, k, k)
    padded = np.zeros((n, h + 2 * p, w + 2 * p, c), np.float32)
    for dy in range(k):
        for dx in range(k):
            padded[:, dy:dy + stride * ho:stride, dx:dx + stride * wo:stride] += grad[..., dy, dx]
    return padded[:, p:p + h, p:p + w]


def conv_init(cin: int, cout: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """He-initialised weight [cin * k * k, cout] and zero bias."""
    fan_in = cin * k * k
    weight = (rng.standard_normal((fan_in, cout)) * np.sqrt(2 / fan_in)).astype(np.float32)
    return weight, np.zeros(cout, np.float32)


def conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, *, k: int, stride: int = 1
         ) -> tuple[np.ndarray, np.ndarray]:
    """Convolution output [N, H', W', C_out] and the columns `conv_backward` needs."""
    n, h, w, _ = x.shape
    cols = im2col(x, k, stride)
    out = (cols @ weight + bias).reshape(n, -(-h // stride), -(-w // stride), -1)
    return out, cols


def conv_backward(dy: np.ndarray, cols: np.ndarray, weight: np.ndarray, shape: tuple[int, ...], *, k: int,
                  stride: int = 1, need_input: bool = True
                  ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(d input or None, d weight, d bias) of `conv`, given d output `dy`."""
    flat = dy.reshape(-1, dy.shape[-1])
    d_weight, d_bias = cols.T @ flat, flat.sum(0)
    d_input = col2im(flat @ weight.T, shape, k, stride) if need_input else None
    return d_input, d_weight, d_bias


def max_pool(x: np.ndarray) -> np.ndarray:
    """2 x 2 max pooling, stride 2 (H and W even)."""
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def max_pool_backward(dy: np.ndarray, x: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """The gradient reaches every input equal to its window's maximum."""
    return upsample(dy, 2) * (x == upsample(pooled, 2))


def upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upsampling by `factor` in H and W."""
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


def upsample_backward(dy: np.ndarray, factor: int) -> np.ndarray:
    n, h, w, c = dy.shape
    return dy.reshape(n, h // factor, factor, w // factor, factor, c).sum(axis=(2, 4))


def onnx_weight(weight: np.ndarray, k: int) -> np.ndarray:
    """[C_in * k * k, C_out] -> ONNX Conv's [C_out, C_in, k, k]."""
    cout = weight.shape[1]
    return np.ascontiguousarray(weight.T.reshape(cout, -1, k, k))
