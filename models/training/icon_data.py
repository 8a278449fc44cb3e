"""Icon reader training data, made from the freedesktop icon themes installed under /usr/share/icons.

Each icon file whose name `meanings.yaml` lists becomes a source of its meaning; samples are sources
drawn at 16-48 px on light or dark backgrounds, with a margin, as a screen crop of a button shows them,
then put through the runtime's `icons.preprocess`; some are drawn grey. SVGs are rasterised by `rsvg-convert` (librsvg2-bin).
Symbolic icons are recoloured to the background's foreground colour, as toolkits draw them.
"""
from __future__ import annotations

import functools
import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from desktop_agent.perception.icons import preprocess

ICON_ROOT = Path("/usr/share/icons")
MEANINGS = Path(__file__).with_name("meanings.yaml")
_SIZE_DIR = re.compile(r"^(\d+)(?:x\d+)?$")
_MAX_PNG = 64  # larger PNGs add nothing at 16-48 px and cost decoding time
DISPLAY_SIZES = (16, 20, 22, 24, 32, 40, 48)
_DESATURATE = 0.3  # share of samples drawn grey: a theme's colours say little about another's


@dataclass(frozen=True, slots=True, kw_only=True)
class Meanings:
    words: tuple[str, ...]      # class index -> words
    by_name: dict[str, int]     # icon name (after the rules) -> class index
    drop_suffixes: tuple[str, ...]
    skip_parts: frozenset[str]

    def of(self, file_name: str) -> tuple[int, bool] | None:
        """(class, symbolic) of an icon file name, or None when no meaning lists it or a dash-separated
        part of its name is one to skip."""
        stem = file_name.rsplit(".", 1)[0].removesuffix(".symbolic")
        if self.skip_parts.intersection(stem.split("-")):
            return None
        symbolic = stem.endswith("-symbolic")
        for suffix in self.drop_suffixes:
            stem = stem.removesuffix(suffix)
        index = self.by_name.get(stem)
        return None if index is None else (index, symbolic)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    meaning: int
    path: Path
    size: int | None  # the theme's nominal size; None: scalable
    symbolic: bool


def load_meanings(path: Path = MEANINGS) -> Meanings:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = tuple(data["meanings"])
    by_name = {name: i for i, w in enumerate(words) for name in data["meanings"][w]}
    return Meanings(words=words, by_name=by_name, drop_suffixes=tuple(data["rules"]["drop_suffixes"]),
                    skip_parts=frozenset(data["rules"]["skip_parts"]))


def _nominal(parts: tuple[str, ...]) -> int | None | bool:
    """The size a theme folder stands for; None for scalable; False to skip (hi-dpi copies, huge)."""
    for part in parts:
        if "@" in part:
            return False
        if part == "scalable":
            return None
        match = _SIZE_DIR.match(part)
        if match:
            return int(match.group(1))
    return None


def theme_sources(theme: str, meanings: Meanings, root: Path = ICON_ROOT, *,
                  skip: frozenset[str] = frozenset()) -> list[Source]:
    """Every listed icon file of one theme, one per distinct file (aliases are symlinks), except those
    in a folder named in `skip`."""
    seen: set[tuple[int, Path]] = set()
    sources = []
    for dirpath, _dirs, files in sorted(os.walk(root / theme)):
        rel = Path(dirpath).relative_to(root / theme).parts
        nominal = _nominal(rel)
        if nominal is False or skip.intersection(rel):
            continue
        for name in sorted(files):
            if not name.endswith((".png", ".svg")):
                continue
            found = meanings.of(name)
            if found is None:
                continue
            path = Path(dirpath) / name
            if name.endswith(".png") and (nominal is None or nominal > _MAX_PNG):
                continue
            key = (found[0], path.resolve())
            if key in seen:
                continue
            seen.add(key)
            sources.append(Source(meaning=found[0], path=path, size=nominal or None, symbolic=found[1]))
    return sources


@functools.lru_cache(maxsize=None)
def rasterize(source: Source, size: int) -> np.ndarray:
    """RGBA uint8 [size, size, 4] of one source (kept: near-copy checks and samples draw it alike)."""
    if source.path.suffix == ".svg":
        png = subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size), str(source.path)],
                             check=True, capture_output=True).stdout
        image = Image.open(io.BytesIO(png))
    else:
        image = Image.open(source.path)
    image = image.convert("RGBA")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image)


def _signature(source: Source) -> np.ndarray:
    """A unit vector of the icon's colour and shape at 24 px, for near-copy checks."""
    rgba = np.asarray(Image.fromarray(rasterize(source, max(source.size or 48, 16))).resize(
        (24, 24), Image.Resampling.LANCZOS)).astype(np.float32)
    alpha = rgba[..., 3:] / 255.0
    v = np.concatenate([(rgba[..., :3] * alpha).ravel(), alpha.ravel() * 255])
    v -= v.mean()
    return v / (np.linalg.norm(v) + 1e-6)


def near_copies(sources: list[Source], held_out: list[Source], *, threshold: float = 0.98) -> list[Source]:
    """The `sources` that are near-copies of a held-out icon of the same meaning (correlation of their
    24 px drawings above `threshold`): a theme that borrowed the held-out one's drawings."""
    held: dict[int, list[np.ndarray]] = {}
    for h in held_out:
        if h.size in (None, 24):
            held.setdefault(h.meaning, []).append(_signature(h))
    return [s for s in sources if s.meaning in held
            and max(float(_signature(s) @ v) for v in held[s.meaning]) > threshold]


def draw(rgba: np.ndarray, *, background: tuple[int, int, int], symbolic: bool,
         margins: tuple[int, int, int, int]) -> np.ndarray:
    """A BGR crop: the icon over `background` with (top, right, bottom, left) margins."""
    bg = np.array(background[::-1], np.float32)
    rgb = rgba[..., :3].astype(np.float32)[..., ::-1]
    if symbolic:
        dark_bg = bg.mean() < 128
        rgb = np.full_like(rgb, 230.0 if dark_bg else 46.0)
    alpha = rgba[..., 3:].astype(np.float32) / 255.0
    icon = rgb * alpha + bg * (1 - alpha)
    top, right, bottom, left = margins
    h, w = icon.shape[:2]
    crop = np.empty((h + top + bottom, w + left + right, 3), np.float32)
    crop[:] = bg
    crop[top:top + h, left:left + w] = icon
    return np.clip(crop + 0.5, 0, 255).astype(np.uint8)


def random_background(rng: np.random.Generator) -> tuple[int, int, int]:
    base = rng.uniform(200, 255) if rng.random() < 0.6 else rng.uniform(20, 80)
    tint = rng.normal(0, 6, 3)
    return tuple(int(v) for v in np.clip(base + tint, 0, 255))  # type: ignore[return-value]


def samples(sources: list[Source], per_source: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`per_source` random drawings of each source, preprocessed: (uint8 [N, 3, 32, 32], int64 [N])."""
    images, labels = [], []
    for source in sources:
        native = source.size or 48
        base = rasterize(source, max(native, 16))
        for _ in range(per_source):
            size = native if source.size and 16 <= native <= 48 and rng.random() < 0.5 \
                else int(rng.choice(DISPLAY_SIZES))
            rgba = base if size == base.shape[0] else np.asarray(
                Image.fromarray(base).resize((size, size), Image.Resampling.LANCZOS))
            margins = tuple(int(m) for m in rng.integers(0, max(2, size // 4), 4))
            if rng.random() < _DESATURATE:
                grey = rgba[..., :3].mean(axis=2, keepdims=True).astype(np.uint8)
                rgba = np.concatenate([np.repeat(grey, 3, axis=2), rgba[..., 3:]], axis=2)
            crop = draw(rgba, background=random_background(rng), symbolic=source.symbolic,
                        margins=margins)  # type: ignore[arg-type]
            images.append(np.round(preprocess(crop) * 255).astype(np.uint8))
            labels.append(source.meaning)
    return np.stack(images), np.array(labels, np.int64)


_PERMUTATIONS = np.array([(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])


def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A training batch (uint8 [N, 3, S, S]) -> float32 0..1, each image with its colour channels in a
    random order (one theme's palette says little about another's), shifted up to 2 px and with its
    contrast and brightness jittered. Never mirrored: "back" and "forward" are mirror images."""
    n = len(batch)
    x = batch[np.arange(n)[:, None], _PERMUTATIONS[rng.integers(0, 6, n)]].astype(np.float32) / 255.0
    for i, (dy, dx) in enumerate(rng.integers(-2, 3, (n, 2))):
        if dy or dx:
            x[i] = np.roll(x[i], (dy, dx), axis=(1, 2))
    contrast = rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32)
    brightness = rng.uniform(-0.08, 0.08, (n, 1, 1, 1)).astype(np.float32)
    return np.clip((x - 0.5) * contrast + 0.5 + brightness, 0, 1)
