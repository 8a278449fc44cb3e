"""GTK 4 renderer of the element detector's data: `python -m models.training.widget_gtk SPECS.json FOLDER`.

GTK 4 is reachable only from Debian's /usr/bin/python3 (PyGObject), so each window of SPECS.json is built
there by widget_gtk_app.py, in a fresh process per window (a theme's or font's settings never leak into
the next). That process answers with the window's X id and its elements as GTK measured them; this
side waits for the window to be viewable, captures it once it holds still and writes FOLDER/NAME.png
and NAME.json (widget_capture.write_sample).
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

from desktop_agent.core.values import Rect
from desktop_agent.demo.display import end_process
from desktop_agent.screen.capture import Grabber
from desktop_agent.screen.windows import WindowLister
from models.training.widget_capture import settled_image, write_sample
from models.training.widget_spec import Truth, WindowSpec

GTK_PYTHON = "/usr/bin/python3"  # Debian's interpreter, the one with GTK 4's PyGObject
_APP = Path(__file__).with_name("widget_gtk_app.py")
_ANSWER_TIMEOUT_S = 20.0  # a cold GTK start on a busy 2-core machine takes about a second
_MAP_TIMEOUT_S = 5.0


class GtkSideError(RuntimeError):
    """The GTK side did not answer, or its window never became viewable."""


def _answer(app: subprocess.Popen) -> dict:
    assert app.stdout is not None
    ready, _, _ = select.select([app.stdout], [], [], _ANSWER_TIMEOUT_S)
    line = app.stdout.readline() if ready else ""
    if not line:
        raise GtkSideError(f"the GTK side gave no answer within {_ANSWER_TIMEOUT_S} s "
                           f"(exit code {app.poll()})")
    return json.loads(line)


def _viewable(windows: WindowLister, xid: int) -> Rect:
    """The screen box of X window `xid` once it is viewable."""
    deadline = time.monotonic() + _MAP_TIMEOUT_S
    while time.monotonic() < deadline:
        found = next((w.box for w in windows.list_windows() if w.id == xid), None)
        if found is not None:
            return found
        time.sleep(0.01)
    raise GtkSideError(f"the GTK window {xid:#x} was not viewable within {_MAP_TIMEOUT_S} s")


def render(spec: WindowSpec, folder: Path, grabber: Grabber, windows: WindowLister) -> None:
    started = time.perf_counter()
    with subprocess.Popen([GTK_PYTHON, str(_APP)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "GDK_BACKEND": "x11", "GTK_A11Y": "none"}) as app:
        assert app.stdin is not None
        try:
            app.stdin.write(json.dumps(spec.to_json()) + "\n")
            app.stdin.flush()
            answer = _answer(app)
            surface = _viewable(windows, answer["xid"])
            x, y, width, height = answer["content"]
            region = Rect(left=surface.left + x, top=surface.top + y, width=width, height=height)
            image = settled_image(grabber, region, lambda: None)
        finally:
            app.stdin.close()  # the GTK side quits when its stdin closes
            try:
                app.wait(timeout=_MAP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                end_process(app)
    truths = [Truth(**{**e, "box": tuple(e["box"]), "indicator": e["indicator"] and tuple(e["indicator"])})
              for e in answer["elements"]]
    write_sample(folder, spec, image, truths, time.perf_counter() - started)

def main(argv: list[str]) -> int:
    specs = [WindowSpec.from_json(s) for s in json.loads(Path(argv[0]).read_text())]
    grabber, windows = Grabber(), WindowLister()
    for spec in specs:
        render(spec, Path(argv[1]), grabber, windows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
