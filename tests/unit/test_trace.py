from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.actions import Click, Step
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.core.results import RunStatus, StepResult, StepStatus, Timings
from desktop_agent.core.values import Decision, Frame, Point, Rect, Role, Target, TargetSpec, Verdict
from desktop_agent.run.trace import CANDIDATE_BGR, TARGET_BGR, Trace

GREY = (90, 90, 90)


def _frame(width: int = 300, height: int = 200, *, region: Rect, scale: float) -> Frame:
    image = np.full((height, width, 3), GREY, dtype=np.uint8)
    return Frame(image=image, region=region, scale=scale)


def _step(line: int, text: str) -> Step:
    return Step(line=line, text=text, action=Click(target=TargetSpec(text="OK")))


def test_events_are_one_json_object_per_line(tmp_path: Path) -> None:
    trace = Trace(tmp_path / "run")
    trace.event("start", task="demo", role=Role.BUTTON, path=Path("/x/y.png"))
    trace.event("target", box=Rect(left=1, top=2, width=3, height=4), scores=(0.5, 1.0))
    lines = (tmp_path / "run" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["kind"] == "start" and first["task"] == "demo"
    assert first["role"] == "button" and first["path"] == "/x/y.png"
    assert second["box"] == {"type": "Rect", "left": 1, "top": 2, "width": 3, "height": 4}
    assert second["scores"] == [0.5, 1.0]
    assert "time" in second


def test_to_jsonable_summarises_arrays_instead_of_dumping_pixels() -> None:
    frame = _frame(region=Rect(left=0, top=0, width=300, height=200), scale=1.0)
    converted = to_jsonable(frame)
    assert converted["image"] == {"type": "ndarray", "shape": [200, 300, 3], "dtype": "uint8"}
    assert converted["region"]["width"] == 300


def test_create_makes_unique_slugged_folders(tmp_path: Path) -> None:
    first = Trace.create(tmp_path, "Fill the Order form!")
    second = Trace.create(tmp_path, "Fill the Order form!")
    assert first.folder != second.folder
    assert first.folder.name.endswith("-fill-the-order-form")
    assert (second.folder / "events.jsonl").is_file()


def test_annotation_maps_screen_points_to_image_pixels(tmp_path: Path) -> None:
    # 150x100 points at (1000, 500), captured at 2 pixels per point.
    frame = _frame(region=Rect(left=1000, top=500, width=150, height=100), scale=2.0)
    target = Target(box=Rect(left=1020, top=530, width=40, height=20),
                    point=Point(x=1040, y=540), strategy="test", why="fixture")
    candidate = Rect(left=1100, top=520, width=30, height=30)
    path = Trace(tmp_path).save_annotated(frame, label="click OK", target=target,
                                          candidates=[candidate], name="step 1")
    shot = cv2.imread(str(path))
    top = shot.shape[0] - 200  # the caption bar sits above the frame
    body = shot[top:]
    # Target box in pixels: left 40, top 60, right 120 (exclusive), bottom 100 (exclusive).
    assert tuple(body[80, 40]) == TARGET_BGR  # left edge
    assert tuple(body[80, 119]) == TARGET_BGR  # right edge
    assert tuple(body[60, 70]) == TARGET_BGR  # top edge
    assert tuple(body[80, 80]) == TARGET_BGR  # click point (80, 80)
    assert tuple(body[65, 50]) == GREY  # inside the box, away from the marks
    assert tuple(body[10, 10]) == GREY  # where an unmapped box would start
    assert tuple(body[60, 200]) == CANDIDATE_BGR  # candidate's left edge at x 200, y 40..100
    assert tuple(shot[top // 2, 2]) != GREY  # caption bar


def test_wide_frames_are_downscaled(tmp_path: Path) -> None:
    frame = _frame(3200, 1000, region=Rect(left=0, top=0, width=3200, height=1000), scale=1.0)
    path = Trace(tmp_path).save_annotated(frame, label="wide", target=None, name="wide")
    assert cv2.imread(str(path)).shape[1] == 1600


def test_report_escapes_text_and_links_existing_shots(tmp_path: Path) -> None:
    trace = Trace(tmp_path / "run")
    frame = _frame(region=Rect(left=0, top=0, width=300, height=200), scale=1.0)
    shot = trace.save_annotated(frame, label="one", target=None, name="step-1")
    results = [
        StepResult(step=_step(1, 'click "OK" <script>alert(1)</script>'),
                   status=StepStatus.SUCCEEDED, screenshot=shot, verified=True,
                   verdict=Verdict(decision=Decision.ALLOW, reason="fine"),
                   timings=Timings(capture_ms=10, act_ms=5)),
        StepResult(step=_step(2, "click <b>Cancel</b>"), status=StepStatus.FAILED,
                   error="target <not> found", screenshot=tmp_path / "missing.png"),
    ]
    path = trace.write_report(title="Order <demo>", status=RunStatus.FAILED, results=results)
    page = path.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "click &lt;b&gt;Cancel&lt;/b&gt;" in page
    assert "target &lt;not&gt; found" in page
    assert "Order &lt;demo&gt;" in page
    assert 'class="badge big failed"' in page
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources == ["shots/step-1.png"]
    assert all((path.parent / urllib.parse.unquote(src)).is_file() for src in sources)
