"""What the desktop app needs from the system before Qt starts, said in one line when it is missing.

Qt aborts the whole process with a long message when it can't open its platform plugin (no display,
missing xcb libraries); `display_problem` finds those cases first. Imports no Qt.
"""
from __future__ import annotations

import ctypes.util
import os
from collections.abc import Callable, Mapping

# The libraries Qt's xcb platform plugin loads, with the Debian/Ubuntu package of each.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0", "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0", "xcb-keysyms": "libxcb-keysyms1", "xcb-randr": "libxcb-randr0",
    "xcb-render-util": "libxcb-render-util0", "xcb-shape": "libxcb-shape0",
    "xcb-xinerama": "libxcb-xinerama0", "xcb-xkb": "libxcb-xkb1", "EGL": "libegl1", "GL": "libgl1",
}


def display_problem(env: Mapping[str, str] = os.environ,
                    find_library: Callable[[str], str | None] = ctypes.util.find_library) -> str | None:
    """Why the app can't open a window here, or None. Only the X11 (xcb) platform is checked; another
    one chosen with QT_QPA_PLATFORM (offscreen, wayland) is left to Qt."""
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not env.get("DISPLAY"):
        return ("no display to open the app on: DISPLAY is not set (start it on a desktop, or set DISPLAY "
                "to an X server such as Xvfb)")
    missing = [package for library, package in XCB_LIBRARIES.items() if find_library(library) is None]
    if missing:
        return (f"the app needs system libraries that are missing: install them with "
                f"`sudo apt-get install {' '.join(missing)}` (or run installer/install.sh)")
    return None
