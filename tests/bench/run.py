"""`make bench`: grounding accuracy on saved screens, then one fresh Xvfb (1920x1080) for five
measurements; one combined report.

0. grounding.py — grounding accuracy per kind of target on held-out screens of real applications, next
   to a full-frame-OCR baseline from the same run (no display: saved screenshots);
1. latency.py — per-step latency on a fixed scene, next to a full-frame-OCR baseline from the same run;
2. replay.py — replaying a recorded task versus blind coordinate replay, unchanged and moved window;
3. memory.py — the second run of a task versus its first, and an ambiguous screen without/with memory;
4. served.py — observe and act over MCP (stdio) next to the same calls in-process;
5. startup.py — `desktop-agent ground --image` as a whole process, by phase, next to a plain OCR script.
The senses (capture, window list, perception models) are built once and shared, so models load once,
during the latency bench's cold round. Everything the bench starts is ended before it returns; nothing
is written outside a temporary folder (each part's memory file included).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from desktop_agent.compose import build_perceiver, build_senses
from desktop_agent.demo.display import start_virtual_display
from desktop_agent.perception.ocr import TextReader
from tests.bench import grounding, latency, memory, replay, served, startup
from tests.bench.form import BenchError


def _progress(text: str) -> None:
    print(f"bench: {text}…", file=sys.stderr, flush=True)


def main() -> int:
    _progress("grounding accuracy")
    try:
        accuracy = grounding.measure()  # its own models, so the latency bench's cold round still loads them
    except BenchError as exc:
        print(f"bench failed: {exc}")
        return 1
    with start_virtual_display() as display, TemporaryDirectory() as tmp:
        os.environ["DISPLAY"] = display.name
        reader = TextReader()
        senses = build_senses(perceiver=build_perceiver(reader))
        folder = Path(tmp)
        try:
            _progress("per-step latency")
            latencies = latency.measure(senses, folder)
            _progress("replay vs blind replay")
            replays = replay.measure(senses, folder, reader=reader)
            _progress("memory: first and second runs")
            memories = memory.measure(senses, folder)
            _progress("MCP calls vs in-process")
            mcp_calls = served.measure(senses, folder)
            _progress("start-up")
            startups = startup.measure()
        except BenchError as exc:
            print(f"bench failed: {exc}")
            return 1
        finally:
            senses.windows.close()
    print("\n".join([*grounding.report(accuracy), "", *latency.report(latencies), "", *replay.report(replays),
                     "", *memory.report(memories), "", *served.report(mcp_calls), "", *startup.report(startups)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
