"""Typing at the application's pace (xkeys.py: each key waits for the application to take the one
before) next to unpaced XTEST typing of the same text into the same Tk field, in the same run; the
evidence the text arrived is the sample form's own submission."""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.act.xkeys import XTestKeyboard
from desktop_agent.demo.__main__ import launch_sample_app
from desktop_agent.demo.display import end_process
from desktop_agent.perception.senses import Senses
from tests.bench.form import FIRST_LAYOUT_S, BenchError
from tests.bench.stats import median

TEXT = "Ada Lovelace, 12 Analytical St"
ROUNDS = 7
CUSTOMER_FIELD, SUBMIT_BUTTON = (300, 106), (95, 382)  # window-relative, as tests/e2e/test_xkeys.py


@dataclass(frozen=True, slots=True)
class Typing:
    paced_ms: list[float]    # per key, one value per round
    unpaced_ms: list[float]
    submitted: str           # what the form submitted after the last (paced) round


def measure(senses: Senses, _tmp: Path) -> Typing:
    app, output = launch_sample_app(geometry="+300+180")
    keyboards = {True: XTestKeyboard(), False: _Unpaced()}
    try:
        time.sleep(FIRST_LAYOUT_S + 1.0)
        [form] = [w for w in senses.windows.list_windows() if w.title == "Sample Order Form"]
        _xdotool("mousemove", str(form.box.left + CUSTOMER_FIELD[0]), str(form.box.top + CUSTOMER_FIELD[1]),
                 "click", "1")  # no window manager: the focus follows the pointer, which stays there
        paced: list[float] = []
        unpaced: list[float] = []
        for round_ in range(ROUNDS):
            for pace, times in ((False, unpaced), (True, paced)) if round_ % 2 else ((True, paced), (False, unpaced)):
                keyboard = keyboards[pace]
                started = time.perf_counter()
                for char in TEXT:
                    keyboard.type_char(char, into=form.id)
                keyboard.await_taken()
                times.append((time.perf_counter() - started) * 1000 / len(TEXT))
                _xdotool("key", "--repeat", str(len(TEXT)), "BackSpace")
        keyboard = keyboards[True]
        for char in TEXT:
            keyboard.type_char(char, into=form.id)
        keyboard.await_taken()
        _xdotool("mousemove", str(form.box.left + SUBMIT_BUTTON[0]), str(form.box.top + SUBMIT_BUTTON[1]),
                 "click", "1")
        deadline = time.monotonic() + 5
        while not output and time.monotonic() < deadline:
            time.sleep(0.05)
        if not output:
            raise BenchError("typing bench: the form submitted nothing")
        return Typing(paced_ms=paced, unpaced_ms=unpaced, submitted=json.loads(output[-1])["customer"])
    finally:
        for keyboard in keyboards.values():
            keyboard.close()
        end_process(app)


def report(result: Typing) -> list[str]:
    paced, unpaced = median(result.paced_ms), median(result.unpaced_ms)
    arrived = "arrived whole" if result.submitted == TEXT else f"arrived as {result.submitted!r}"
    return [f"typing: {len(TEXT)} characters into a Tk field, {ROUNDS} rounds each (the form's submission: "
            f"{arrived})",
            f"ms per key     paced p50 {paced:.1f}   unpaced p50 {unpaced:.1f}   paced/unpaced {paced / unpaced:.2f}x"]


class _Unpaced(XTestKeyboard):
    """Typing as into a window that can't be pinged."""

    def _pingable(self, connection, window_id: int) -> bool:
        return False


def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, capture_output=True, timeout=15)
