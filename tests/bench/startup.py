"""Start-up: `desktop-agent ground … --image` as a whole process, where its time goes, and a baseline.

Each line is a fresh Python process, timed from outside (wall clock, median of RUNS): the interpreter
alone; the imports the command line does before it can parse its arguments; the OCR library's import;
the whole `ground` command on a saved screenshot; and the baseline — a plain script that imports
RapidOCR and reads the same image once with its default settings (what any agent built on it pays).
"""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.form import BenchError
from tests.bench.stats import median

RUNS = 5
SCREEN = Path(__file__).resolve().parents[1] / "fixtures" / "screens" / "sample_app.png"
TARGET = '"Submit order"'
_PLAIN_OCR = ("import cv2; from rapidocr import RapidOCR; "
              f"RapidOCR(params={{'Global.log_level': 'error'}})(cv2.imread({str(SCREEN)!r}))")


@dataclass(frozen=True, slots=True, kw_only=True)
class Startup:
    wall_ms: dict[str, list[float]]  # per line of the table, one per run


def _lines() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "import the command line": [python, "-c", "import desktop_agent.cli.main"],
        "import RapidOCR": [python, "-c", "from rapidocr import RapidOCR"],
        "desktop-agent ground --image": [python, "-m", "desktop_agent.cli", "ground", TARGET, "--image",
                                         str(SCREEN)],
        "baseline: plain RapidOCR script": [python, "-c", _PLAIN_OCR],
    }


def measure() -> Startup:
    wall: dict[str, list[float]] = {}
    for name, argv in _lines().items():
        for _ in range(RUNS):
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            elapsed = (time.perf_counter() - started) * 1000
            if done.returncode != 0:
                raise BenchError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
            wall.setdefault(name, []).append(elapsed)
    return Startup(wall_ms=wall)


def report(result: Startup) -> list[str]:
    lines = [f"start-up: a fresh process each, wall clock, median of {RUNS}",
             f"{'':<34} {'p50 ms':>8}"]
    for name, values in result.wall_ms.items():
        lines.append(f"{name:<34} {median(values):>8.0f}")
    ours = median(result.wall_ms["desktop-agent ground --image"])
    base = median(result.wall_ms["baseline: plain RapidOCR script"])
    lines.append(f"ground --image p50 {ours:.0f} ms, {ours / base:.2f}x the plain RapidOCR script")
    return lines
