"""Re-make the grounding bench's screens: `python -m tests.bench.screens.capture [NAME ...]`.

Each screen is a real application shown alone on the X display in $DISPLAY (an Xvfb of 1280x800 with no
window manager, e.g. `Xvfb :61 -screen 0 1280x800x24`) and saved as NAME.png. The Qt and Tk windows
(qt_screens.py, tk_screens.py) also write NAME.truth.json: the boxes of their parts from the toolkit's own
geometry; boxes of the other applications' parts are measured by hand in targets.yaml. Not run by `make
bench`, which only reads the saved files."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.demo.display import end_process
from desktop_agent.screen.capture import Grabber

HERE = Path(__file__).parent
FILES = Path(tempfile.gettempdir()) / "bench-files"
PY = sys.executable


def commands() -> dict[str, list[str]]:
    toolkit = {name: [PY, str(HERE / "qt_screens.py"), name] for name in
               ("qt-mail", "qt-settings", "qt-files", "qt-packages", "qt-file-dialog", "qt-sheet", "qt-overlap",
                "qt-orders")}
    toolkit |= {name: ["python3", str(HERE / "tk_screens.py"), name] for name in
                ("tk-prefs", "tk-shipping", "tk-music", "tk-region", "tk-mixer")}
    return toolkit | {
        "yad-checklist": ["yad", "--list", "--checklist", "--title", "Components", "--geometry",
                          "520x360+200+150", "--column", "Install", "--column", "Component", "--column", "Size",
                          "TRUE", "Core files", "12 MB", "FALSE", "Documentation", "30 MB", "TRUE",
                          "Desktop shortcuts", "1 MB", "FALSE", "Language packs", "140 MB", "FALSE",
                          "Developer tools", "85 MB"],
        "yad-form": ["yad", "--form", "--title", "New contact", "--geometry", "460x300+300+200",
                     "--field", "First name", "--field", "Last name", "--field", "Phone",
                     "--field", "Favourite:CHK", "--field", "Group:CB", "", "", "", "FALSE",
                     "Family!Friends!Work"],
        "yad-file": ["yad", "--file", "--title", "Choose a file", "--geometry", "820x520+120+100",
                     "--filename", f"{FILES}/"],
        "yad-columns": ["yad", "--list", "--title", "Downloads", "--geometry", "600x300+250+180",
                        "--column", "File", "--column", "Size", "--column", "Status",
                        "ubuntu.iso", "4.7 GB", "Done", "song.ogg", "6 MB", "Paused", "paper.pdf", "900 KB",
                        "Queued", "movie.mkv", "1.2 GB", "Failed"],
        "yad-form2": ["yad", "--form", "--columns=2", "--title", "Account", "--geometry", "640x260+260+220",
                      "--field", "User", "--field", "Password:H", "--field", "Server", "--field", "Port:NUM",
                      "--field", "Use TLS:CHK", "--field", "Remember:CHK", "ada", "", "mail.example.org",
                      "993", "TRUE", "FALSE"],
        "xcalc": ["xcalc", "-geometry", "+400+150"],
        "xedit": ["xedit", "-geometry", "640x420+200+120"],
    }


def _make_files() -> None:
    FILES.mkdir(exist_ok=True)
    for name in ("accounts.csv", "cover-letter.odt", "garden.jpg", "readme.txt", "songs.m3u"):
        (FILES / name).write_text("x\n")
    (FILES / "Old mail").mkdir(exist_ok=True)


def capture(name: str, command: list[str], grabber: Grabber) -> None:
    truth = HERE / f"{name}.truth.json"
    truth.unlink(missing_ok=True)
    from_toolkit = name.startswith(("qt-", "tk-"))
    process = subprocess.Popen(command + ([str(truth)] if from_toolkit else []),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=FILES)
    try:
        deadline = time.monotonic() + 15
        while from_toolkit and not truth.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)
        image = np.ascontiguousarray(grabber.grab().image[..., :3])
        cv2.imwrite(str(HERE / f"{name}.png"), image)
    finally:
        end_process(process)


def main(names: list[str]) -> int:
    _make_files()
    wanted = commands()
    grabber = Grabber()
    for name in names or list(wanted):
        capture(name, wanted[name], grabber)
        print(f"captured {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
