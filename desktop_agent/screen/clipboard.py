"""The X clipboard (CLIPBOARD selection) through xclip: read it into this process, put it back.

Used by the checkpoint of a step that may change the clipboard (a key press such as ctrl+c or ctrl+x),
so that a rollback can restore it. Guaranteed: the content stays in memory only — never written to a
file, a log or the trace (only its digest is traced). Not guaranteed: targets other than text (an
image on the clipboard is read and restored as UTF-8 text, i.e. not at all when it isn't text).
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess

_TIMEOUT_S = 1.0


def read_clipboard() -> bytes | None:
    """The clipboard's text; None when there is none (no window owns it) or no xclip to ask."""
    xclip = shutil.which("xclip")
    if xclip is None or not _owned():
        return None
    try:
        done = subprocess.run([xclip, "-o", "-selection", "clipboard", "-t", "UTF8_STRING"],
                              capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout if done.returncode == 0 else None


def _owned() -> bool:
    """Whether some window owns the clipboard: asked in-process, a fraction of the cost of xclip."""
    from Xlib import X, display, error  # lazily: it connects to the X server

    try:
        connection = display.Display()
    except (error.DisplayError, OSError):
        return False
    try:
        return connection.get_selection_owner(connection.intern_atom("CLIPBOARD")) != X.NONE
    finally:
        connection.close()


def write_clipboard(data: bytes) -> bool:
    """Own the clipboard with `data` (xclip serves it from the background); False without xclip."""
    xclip = shutil.which("xclip")
    if xclip is None:
        return False
    done = subprocess.run([xclip, "-i", "-selection", "clipboard"], input=data, capture_output=True,
                          timeout=_TIMEOUT_S, check=False)
    return done.returncode == 0


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()[:12]
