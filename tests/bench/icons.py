"""Icon reader: top-1/top-5 on the held-out theme's committed crops (Tango) and milliseconds per icon,
all crops read in one batch on one thread; chance (one meaning in all) is the only baseline there is."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.training.evaluate import evaluate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "icons"


@dataclass(frozen=True, slots=True, kw_only=True)
class IconBench:
    top1: float
    top5: float
    crops: int
    meanings: int
    ms_per_icon: float


def measure() -> IconBench:
    return IconBench(**evaluate(FIXTURES))


def report(result: IconBench) -> list[str]:
    return [f"icon reader on the unseen theme (Tango, {result.crops} crops of {result.meanings} meanings, "
            f"16-32 px, light and dark)",
            f"top-1 {result.top1:.1%}  top-5 {result.top5:.1%}  (chance {1 / result.meanings:.1%})  "
            f"{result.ms_per_icon:.2f} ms per icon"]
