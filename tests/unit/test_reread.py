"""The incremental perceiver with the real text model on a real application's window (xedit, the
Athena text editor, saved from Xvfb): a line typed where the caret stood reads back whole, as a full
read of the same window does."""
from pathlib import Path

import cv2

from desktop_agent.compose import build_perceiver
from desktop_agent.core.values import Frame, Rect, Window

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
WINDOW = Window(id=1, title="xedit", wm_class="Xedit", box=Rect(left=0, top=0, width=702, height=502))


def frame(name: str) -> Frame:
    image = cv2.imread(str(SCREENS / name))
    return Frame(image=image, region=Rect(left=0, top=0, width=image.shape[1], height=image.shape[0]))


def test_a_line_typed_at_the_left_margin_reads_back_whole_on_a_partial_reread():
    perceiver = build_perceiver()
    perceiver.perceive(frame("xedit_empty.png"), [WINDOW])
    typed = perceiver.perceive(frame("xedit_typed.png"), [WINDOW])
    assert perceiver.last_stats.partial == 1  # only what changed was read again
    assert "Dear Ada, the order shipped." in [e.text for e in typed.elements]
