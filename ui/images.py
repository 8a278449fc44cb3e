"""Pixels -> Qt images, shared by the widgets that show screenshots.

Frames arrive as numpy arrays the way the engine captures them: H x W x 3 BGR, H x W x 4 BGRA or
H x W grey, uint8. Every QImage returned owns a copy of its pixels (the array may be reused or freed).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap


def qimage_from_bgr(image: np.ndarray) -> QImage:
    """A QImage holding a copy of `image`; ValueError for shapes or dtypes it can't show."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 H x W [x C] array, got {image.dtype} {image.shape}")
    if image.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif image.shape[2] in (3, 4):  # a capture's alpha channel carries nothing: drop it
        image, fmt = image[:, :, :3], QImage.Format.Format_BGR888
    else:
        raise ValueError(f"expected 1, 3 or 4 channels, got {image.shape[2]}")
    pixels = np.ascontiguousarray(image)
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, pixels.strides[0], fmt).copy()


def pixmap_from_bgr(image: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_bgr(image))


def load_pixmap(path: Path | None) -> QPixmap | None:
    """The picture at `path`, or None when there is no path or the file can't be read."""
    if path is None:
        return None
    pixmap = QPixmap(str(path))
    return None if pixmap.isNull() else pixmap


def fitted(pixmap: QPixmap, size: QSize) -> QPixmap:
    """`pixmap` scaled down (never up) to fit inside `size`, keeping its aspect ratio."""
    if pixmap.width() <= size.width() and pixmap.height() <= size.height():
        return pixmap
    return pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
