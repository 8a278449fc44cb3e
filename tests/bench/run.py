"""`make bench`: grounding accuracy on saved screens, then one fresh Xvfb (1920x1080) for the other
measurements; one combined report.

0. grounding.py — grounding accuracy per kind of target on held-out screens of real applications, next
   to a full-frame-OCR baseline from the same run (no display: saved screenshots);
1. latency.py — per-step latency on a fixed scene, next to a full-frame-OCR baseline from the same run;
2. replay.py — replaying a recorded task versus blind coordinate replay, unchanged and moved window;
3. memory.py — the second run of a task versus its first, and an ambiguous screen without/with memory;
4. served.py — observe and act over MCP (stdio and streamable HTTP) next to the same calls in-process;
5. startup.py — `desktop-agent ground --image` as a whole process, by phase, next to a plain OCR script;
6. accessible.py — the first look at a big dialog with its accessibility tree, next to vision alone;
7. icons.py — the icon reader's top-1/top-5 on the theme it was not trained on, and ms per icon (no
   display);
8. detector.py — the element detector's per-role precision/recall next to the OpenCV proposals' on
   held-out windows, and ms per window for each (no display: committed windows);
9. pacing.py — ms per key typed at the application's pace next to unpaced typing, into a Tk field.
The senses (capture, window list, perception models) are built once and shared, so models load once,
during the latency bench's cold round. Everything the bench starts is ended before it returns; nothing
is written outside a temporary folder (each part's memory file included). `python -m tests.bench.run served`
runs only the parts named.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from desktop_agent.compose import build_perceiver, build_senses
from desktop_agent.demo.display import start_virtual_display
from desktop_agent.perception.ocr import TextReader
from tests.bench import (
    accessible,
    detector,
    grounding,
    icons,
    latency,
    memory,
    pacing,
    replay,
    served,
    startup,
)
from tests.bench.form import BenchError

PARTS = {"grounding": grounding, "latency": latency, "replay": replay, "memory": memory, "served": served,
         "startup": startup, "accessible": accessible, "icons": icons, "detector": detector, "typing": pacing}
OFFLINE = ("grounding", "icons", "detector")  # saved screens and crops: no display, and their own models


def _progress(text: str) -> None:
    print(f"bench: {text}…", file=sys.stderr, flush=True)


def main(only: list[str]) -> int:
    """`only`: the parts to run (`python -m tests.bench.run served`); none: all of them, in order."""
    unknown = [part for part in only if part not in PARTS]
    if unknown:
        print(f"no such part: {', '.join(unknown)} (parts: {', '.join(PARTS)})")
        return 2
    parts = only or list(PARTS)
    reports: list[list[str]] = []
    for part in (p for p in parts if p in OFFLINE):  # first: the latency bench's cold round still loads models
        _progress(part)
        try:
            module = PARTS[part]
            reports.append(module.report(module.measure()))  # type: ignore[attr-defined]
        except BenchError as exc:
            print(f"bench failed: {exc}")
            return 1
    live = [part for part in parts if part not in OFFLINE]
    if live:
        with start_virtual_display() as display, TemporaryDirectory() as tmp:
            os.environ.update(display.environment)
            code = _live(live, Path(tmp), reports)
        if code:
            return code
    print("\n\n".join("\n".join(lines) for lines in reports))
    return 0


def _live(parts: list[str], folder: Path, reports: list[list[str]]) -> int:
    """The parts that need the display, sharing one set of senses (models load once)."""
    reader = TextReader()
    senses = build_senses(perceiver=build_perceiver(reader))
    try:
        for part in parts:
            _progress(part)
            if part == "startup":
                reports.append(startup.report(startup.measure()))
            elif part == "replay":
                reports.append(replay.report(replay.measure(senses, folder, reader=reader)))
            else:
                module = PARTS[part]
                reports.append(module.report(module.measure(senses, folder)))  # type: ignore[attr-defined]
    except BenchError as exc:
        print(f"bench failed: {exc}")
        return 1
    finally:
        senses.windows.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
