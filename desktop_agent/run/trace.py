"""The per-run trace folder: an event log, annotated screenshots and a human-readable report.

Layout of a trace folder:

    events.jsonl   one JSON object per line, flushed as it is written
    shots/*.png    annotated screenshots (target box, click point, candidate boxes, caption)
    assets/        each verified step's fallback locator (locators.json) and crop: a replayable run
    report.html    written last, atomically; self-contained apart from relative links into shots/

Guaranteed: every logged line is complete JSON once `event` returns; the report never links to a
screenshot that does not exist. Not guaranteed: safe use of one `Trace` from several threads.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from desktop_agent.core.actions import action_name
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.core.results import RunStatus, StepResult, Timings
from desktop_agent.core.values import Frame, Point, Rect, Target
from desktop_agent.grounding.locators import Locator, save_locators
from desktop_agent.safety.vault import mask
from desktop_agent.screen.coords import point_screen_to_image, screen_to_image

ASSETS = "assets"
MAX_SHOT_WIDTH = 1600
CAPTION_PX = 32
TARGET_BGR = (255, 0, 255)  # magenta: rare in real UIs, easy to spot
CANDIDATE_BGR = (0, 170, 255)  # amber
PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 2]
TIMING_PHASES = ("capture", "perceive", "ground", "act", "settle", "verify", "wait")


def slug(text: str, *, fallback: str = "run", limit: int = 48) -> str:
    """Lower-case ASCII letters, digits and single dashes; `fallback` if nothing is left."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-")
    return cleaned or fallback




class Trace:
    """One run's folder. Creates it (and events.jsonl) on construction."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._events = self.folder / "events.jsonl"
        self._events.touch()
        self._started = dt.datetime.now().astimezone()
        self._secrets: set[str] = set()
        self._locators: list[Locator] = []

    def keep_locator(self, locator: Locator, crop: np.ndarray) -> None:
        """Keep a step's fallback locator and crop in `assets/` (rewritten whole each time, atomically),
        so that the run can be saved as a replayable task (`desktop-agent save-run`)."""
        folder = self.folder / ASSETS
        folder.mkdir(exist_ok=True)
        assert locator.crop is not None  # a kept locator names its crop's file
        cv2.imwrite(str(folder / locator.crop), crop)
        self._locators = [kept for kept in self._locators if kept.step != locator.step] + [locator]
        save_locators(folder, self._locators)

    def mask(self, secret: str) -> None:
        """Never write `secret` again: later events and the report show it as •••."""
        if secret:
            self._secrets.add(secret)

    def _masked(self, text: str, escape: Callable[[str], str]) -> str:
        return mask(text, self._secrets, as_written=escape)

    @classmethod
    def create(cls, root: Path, name: str) -> Trace:
        """A new, unique folder root/<UTC timestamp>-<slug of name>[-N]/."""
        root.mkdir(parents=True, exist_ok=True)
        stem = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{slug(name)}"
        for n in range(1, 1000):
            folder = root / (stem if n == 1 else f"{stem}-{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return cls(folder)
        raise FileExistsError(f"no free trace folder name for {stem} in {root}")

    def event(self, kind: str, **fields: object) -> None:
        """Append one line {"time", "kind", **fields} to events.jsonl and flush it."""
        record = {"time": dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
                  "kind": kind, **{k: to_jsonable(v) for k, v in fields.items()}}
        with self._events.open("a", encoding="utf-8") as out:
            line = json.dumps(record, ensure_ascii=False)
            out.write(self._masked(line, lambda t: json.dumps(t, ensure_ascii=False)[1:-1]) + "\n")

    def save_annotated(self, frame: Frame, *, label: str, target: Target | None,
                       candidates: Sequence[Rect] = (), name: str) -> Path:
        """Write shots/<slug of name>.png: the frame with candidates (thin amber), the target box
        (thick magenta) and its point (crosshair and circle), under a caption bar showing `label`."""
        image, factor = _shot_base(frame.image)
        for rect in candidates:
            _draw_box(image, _scaled(screen_to_image(frame, rect), factor), CANDIDATE_BGR, 1)
        if target is not None:
            _draw_box(image, _scaled(screen_to_image(frame, target.box), factor), TARGET_BGR, 3)
            point = point_screen_to_image(frame, target.point)
            _draw_point(image, round(point.x * factor), round(point.y * factor))
        shot = np.vstack([_caption(label, image.shape[1]), image])
        path = self.folder / "shots" / f"{slug(name, fallback='shot', limit=80)}.png"
        path.parent.mkdir(exist_ok=True)
        if not cv2.imwrite(str(path), shot, PNG_FAST):
            raise OSError(f"could not write {path}")
        return path

    def write_report(self, *, title: str, status: RunStatus, results: Sequence[StepResult]) -> Path:
        """Write report.html (atomically, replacing any earlier one) and return its path."""
        finished = dt.datetime.now().astimezone()
        page = _page(title=title, status=status, started=self._started, finished=finished,
                     cards="\n".join(self._card(i, r) for i, r in enumerate(results, 1)),
                     counts=_counts(results))
        path = self.folder / "report.html"
        partial = path.with_suffix(".html.part")
        partial.write_text(self._masked(page, html.escape), encoding="utf-8")
        os.replace(partial, path)
        return path

    def _card(self, number: int, result: StepResult) -> str:
        step = result.step
        rows = [("Guard", _verdict_html(result)), ("Target", _target_html(result.target)),
                ("Verified", "yes" if result.verified else "no"),
                ("Attempts", str(result.attempts))]
        if result.retried_because:
            rows.append(("Retried because", _esc(result.retried_because)))
        if result.error:
            rows.append(("Error", f'<span class="error">{_esc(result.error)}</span>'))
        rows.append(("Timings", _timings_html(result.timings)))
        details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
        status = result.status.value
        return f"""<section class="step {status}">
<header><span class="num">{number}</span><code class="text">{_esc(step.text)}</code>
<span class="chip">{_esc(action_name(step.action))}</span><span class="line">line {step.line}</span>
<span class="badge {status}">{status}</span></header>
<div class="body"><dl>{details}</dl>{self._thumb(result.screenshot, step.text)}</div>
</section>"""

    def _thumb(self, screenshot: Path | None, alt: str) -> str:
        if screenshot is None:
            return '<div class="noshot">no screenshot</div>'
        full = screenshot if screenshot.is_absolute() else self.folder / screenshot
        if not full.is_file():
            return '<div class="noshot">screenshot missing</div>'
        href = _esc(urllib.parse.quote(Path(os.path.relpath(full, self.folder)).as_posix()))
        return (f'<a class="shot" href="{href}" target="_blank">'
                f'<img src="{href}" alt="{_esc(alt)}" loading="lazy"></a>')


# ---------------------------------------------------------------- drawing
def _shot_base(image: np.ndarray) -> tuple[np.ndarray, float]:
    """A BGR copy of `image`, downscaled to MAX_SHOT_WIDTH, and the factor applied."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    width = image.shape[1]
    if width <= MAX_SHOT_WIDTH:
        return np.ascontiguousarray(image).copy(), 1.0
    factor = MAX_SHOT_WIDTH / width
    size = (MAX_SHOT_WIDTH, max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def _scaled(box: Rect, factor: float) -> Rect:
    return Rect.from_corners(round(box.left * factor), round(box.top * factor),
                             round(box.right * factor), round(box.bottom * factor))


def _draw_box(image: np.ndarray, box: Rect, colour: tuple[int, int, int], thickness: int) -> None:
    if box.area == 0:
        return
    cv2.rectangle(image, (box.left, box.top), (box.right - 1, box.bottom - 1), colour, thickness)


def _draw_point(image: np.ndarray, x: int, y: int) -> None:
    arm, gap = 14, 4
    for (x0, y0), (x1, y1) in (((x - arm, y), (x - gap, y)), ((x + gap, y), (x + arm, y)),
                               ((x, y - arm), (x, y - gap)), ((x, y + gap), (x, y + arm))):
        cv2.line(image, (x0, y0), (x1, y1), TARGET_BGR, 2)
    cv2.circle(image, (x, y), 9, TARGET_BGR, 2)
    cv2.circle(image, (x, y), 1, TARGET_BGR, -1)


@functools.cache
def _caption_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", 16)
    except OSError:
        return ImageFont.load_default(size=16)


def _caption(label: str, width: int) -> np.ndarray:
    """A dark bar CAPTION_PX high with `label` in white, shortened with "…" to fit."""
    bar = Image.new("RGB", (width, CAPTION_PX), (34, 38, 46))
    draw = ImageDraw.Draw(bar)
    font = _caption_font()
    text = " ".join(label.split())[:300]
    while len(text) > 1 and draw.textlength(text, font=font) > width - 16:
        text = text[:-2] + "…"
    draw.text((8, CAPTION_PX // 2), text, font=font, fill=(255, 255, 255), anchor="lm")
    return cv2.cvtColor(np.asarray(bar), cv2.COLOR_RGB2BGR)


# ---------------------------------------------------------------- report pieces
def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _box_text(box: Rect) -> str:
    return f"{box.left}, {box.top} · {box.width}×{box.height}"


def _point_text(point: Point) -> str:
    return f"{point.x}, {point.y}"


def _verdict_html(result: StepResult) -> str:
    verdict = result.verdict
    if verdict is None:
        return '<span class="muted">—</span>'
    rule = f' <span class="muted">({_esc(verdict.rule)})</span>' if verdict.rule else ""
    decision = verdict.decision.value
    return f'<span class="badge {decision}">{decision}</span> {_esc(verdict.reason)}{rule}'


def _target_html(target: Target | None) -> str:
    if target is None:
        return '<span class="muted">—</span>'
    return (f"<b>{_esc(target.strategy)}</b> — {_esc(target.why)}<br>"
            f'<span class="mono">box {_box_text(target.box)} · point {_point_text(target.point)}'
            f" · score {target.score:.2f}</span>")


def _timings_html(timings: Timings) -> str:
    total = timings.total_ms
    if total <= 0:
        return '<span class="muted">—</span>'
    values = [(n, v) for n in TIMING_PHASES if (v := getattr(timings, f"{n}_ms")) > 0]
    bar = "".join(f'<i class="t-{n}" style="width:{100 * v / total:.1f}%" title="{n} {v:.0f} ms"></i>'
                  for n, v in values)
    legend = "".join(f'<span class="t-{n}-dot">{n} {v:.0f} ms</span>' for n, v in values)
    return (f'<div class="tbar">{bar}</div><div class="tlegend mono">{legend}'
            f"<b>total {total:.0f} ms</b></div>")


def _counts(results: Sequence[StepResult]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    parts = [f'<span class="badge {s}">{n} {s}</span>' for s, n in counts.items()]
    return f"{len(results)} steps " + " ".join(parts)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:04.1f} s" if minutes else f"{rest:.1f} s"


def _page(*, title: str, status: RunStatus, started: dt.datetime, finished: dt.datetime,
          cards: str, counts: str) -> str:
    when = "%Y-%m-%d %H:%M:%S %Z"
    duration = _duration((finished - started).total_seconds())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)} — run report</title><style>{_CSS}</style></head>
<body><main>
<header class="run"><div class="kicker">Desktop agent run</div>
<h1>{_esc(title)} <span class="badge big {status.value}">{status.value}</span></h1>
<div class="meta"><span>Started <b>{started.strftime(when)}</b></span>
<span>Finished <b>{finished.strftime(when)}</b></span><span>Duration <b>{duration}</b></span></div>
<div class="counts">{counts}</div></header>
{cards or '<p class="muted">No steps ran.</p>'}
</main></body></html>
"""


_CSS = """
:root { --fg:#1d232b; --muted:#6b7480; --line:#dfe3e8; --bg:#f4f6f8; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width:1180px; margin:0 auto; padding:28px 24px 48px; }
.run { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:20px 24px; margin-bottom:20px; }
.kicker { color:var(--muted); text-transform:uppercase; letter-spacing:.08em; font-size:12px; }
h1 { margin:4px 0 10px; font-size:24px; display:flex; align-items:center; gap:12px; flex-wrap:wrap; }
.meta { display:flex; gap:28px; flex-wrap:wrap; color:var(--muted); }
.meta b { color:var(--fg); font-weight:600; }
.counts { margin-top:10px; color:var(--muted); display:flex; gap:6px; align-items:center; }
.badge { display:inline-block; padding:1px 9px; border-radius:999px; font-size:12px; font-weight:600;
  text-transform:uppercase; letter-spacing:.04em; background:#e6e9ed; color:#3b434d; }
.badge.big { font-size:14px; padding:3px 12px; }
.badge.succeeded, .badge.allow { background:#dcf3e4; color:#146c2e; }
.badge.failed, .badge.deny { background:#fde2e1; color:#a3201b; }
.badge.denied { background:#f3e3fb; color:#6e2594; }
.badge.stopped, .badge.confirm, .badge.unverified { background:#fff0d1; color:#8a5a00; }
.step { background:var(--card); border:1px solid var(--line); border-left:5px solid #9aa4ae;
  border-radius:10px; margin:14px 0; overflow:hidden; }
.step.succeeded { border-left-color:#2e9e55; } .step.failed { border-left-color:#d93a32; }
.step.denied { border-left-color:#9a45c7; } .step.stopped, .step.unverified { border-left-color:#d99a16; }
.step > header { display:flex; align-items:center; gap:10px; padding:10px 16px;
  border-bottom:1px solid var(--line); background:#fafbfc; }
.num { font-weight:700; color:var(--muted); min-width:1.6em; }
.text { font:13px/1.4 "DejaVu Sans Mono", ui-monospace, monospace; flex:1; word-break:break-word; }
.chip { font-size:12px; border:1px solid var(--line); border-radius:6px; padding:0 7px; color:#3b434d; }
.line { font-size:12px; color:var(--muted); }
.body { display:grid; grid-template-columns:minmax(0,1fr) 400px; gap:18px; padding:14px 16px;
  align-items:start; }
dl { display:grid; grid-template-columns:88px minmax(0,1fr); gap:6px 12px; margin:0;
  align-content:start; }
dt { color:var(--muted); } dd { margin:0; word-break:break-word; }
.error { color:#b3261e; font-weight:600; white-space:pre-wrap; }
.muted { color:var(--muted); }
.mono { font:12px/1.4 "DejaVu Sans Mono", ui-monospace, monospace; }
.shot img { width:100%; border:1px solid var(--line); border-radius:6px; display:block; }
.noshot { color:var(--muted); border:1px dashed var(--line); border-radius:6px; display:flex;
  align-items:center; justify-content:center; min-height:64px; }
.tbar { display:flex; height:8px; border-radius:4px; overflow:hidden; background:#eceff2;
  margin:5px 0 4px; }
.tbar i { display:block; height:100%; }
.tlegend { color:var(--muted); display:flex; flex-wrap:wrap; gap:2px 12px; }
.tlegend span, .tlegend b { white-space:nowrap; }
.tlegend b { color:var(--fg); }
.tlegend span::before { content:""; display:inline-block; width:8px; height:8px; border-radius:2px;
  margin-right:4px; }
.t-capture, .t-capture-dot::before { background:#5b8def; }
.t-perceive, .t-perceive-dot::before { background:#9b6cd8; }
.t-ground, .t-ground-dot::before { background:#e0793b; }
.t-act, .t-act-dot::before { background:#d94b7a; }
.t-settle, .t-settle-dot::before { background:#a7b1bb; }
.t-verify, .t-verify-dot::before { background:#2e9e55; }
.t-wait, .t-wait-dot::before { background:#e3e7eb; }
@media (max-width:820px) { .body { grid-template-columns:1fr; } }
"""
