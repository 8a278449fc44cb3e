"""`make bench`: one fresh Xvfb (1920x1080), six measurements, one combined report.

1. latency.py — per-step latency on a fixed scene, next to a full-frame-OCR baseline from the same run;
2. replay.py — replaying a recorded task versus blind coordinate replay, unchanged and moved window;
3. memory.py — the second run of a task versus its first, and an ambiguous screen without/with memory;
4. served.py — observe and act over MCP (stdio and streamable HTTP) next to the same calls in-process;
5. startup.py — `desktop-agent ground --image` as a whole process, by phase, next to a plain OCR script;
6. icons.py — the icon reader's top-1/top-5 on the theme it was not trained on, and ms per icon.
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
from tests.bench import icons, latency, memory, replay, served, startup
from tests.bench.form import BenchError

PARTS = {"latency": latency, "replay": replay, "memory": memory, "served": served, "startup": startup, "icons": icons}


def _progress(text: str) -> None:
    print(f"bench: {text}…", file=sys.stderr, flush=True)


def main(only: list[str]) -> int:
    """`only`: the parts to run (`python -m tests.bench.run served`); none: all of them, in order."""
    unknown = [part for part in only if part not in PARTS]
    if unknown:
        print(f"no such part: {', '.join(unknown)} (parts: {', '.join(PARTS)})")
        return 2
    with start_virtual_display() as display, TemporaryDirectory() as tmp:
        os.environ["DISPLAY"] = display.name
        reader = TextReader()
        senses = build_senses(perceiver=build_perceiver(reader))
        folder = Path(tmp)
        reports: list[list[str]] = []
        try:
            for part in only or list(PARTS):
                _progress(part)
                if part in ("startup", "icons"):
                    module = PARTS[part]
                    reports.append(module.report(module.measure()))  # type: ignore[attr-defined]
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
    print("\n\n".join("\n".join(lines) for lines in reports))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
