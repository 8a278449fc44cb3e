"""Top-level windows of the X11 desktop, bottom to top, through python-xlib.

Works with and without a window manager: a client window is the root child itself (no WM) or the
descendant that carries WM_STATE / a title (reparenting WM). Only viewable windows are listed.
Other platforms need their own adapter with the same `list_windows()` signature.
"""
from __future__ import annotations

import threading

from desktop_agent.core.errors import CaptureError
from desktop_agent.core.values import Point, Rect, Window


class WindowLister:
    """One Xlib connection per thread (Xlib is not thread-safe), opened lazily."""

    def __init__(self, *, display: str | None = None) -> None:
        self._display_name = display
        self._local = threading.local()

    def _display(self):
        display = getattr(self._local, "display", None)
        if display is None:
            from Xlib import display as xdisplay  # lazy: no X connection at import

            try:
                display = xdisplay.Display(self._display_name)
            except Exception as exc:
                raise CaptureError(f"cannot connect to the X display: {exc}") from exc
            self._local.display = display
        return display

    def list_windows(self) -> tuple[Window, ...]:
        display = self._display()
        root = display.screen().root
        atoms = self._atoms()
        windows = []
        for child in root.query_tree().children:
            try:
                window = _describe(child, root, atoms)
            except Exception:  # the window vanished while we looked at it
                continue
            if window is not None:
                windows.append(window)
        return tuple(windows)

    def focused_window(self, *, follow_pointer: bool = True) -> Window | None:
        """The listed window that keyboard input goes to: the X input focus, or — when focus follows the
        pointer (PointerRoot, as with no window manager) — the top-level window under the pointer (None
        then, without `follow_pointer`: no window holds the input on its own). Only that window is
        described, so this is cheap enough to ask before every key."""
        from Xlib.error import XError

        display = self._display()
        try:
            top = _focus_top_level(display, follow_pointer=follow_pointer)
            return None if top is None else _describe(top, display.screen().root, self._atoms())
        except XError:  # the window vanished while we looked at it
            return None

    def focused_window_id(self) -> int | None:
        """The id of `focused_window()` (following the pointer), without describing it: a few requests
        fewer, for a check before every key."""
        return focused_client_id(self._display())

    def _atoms(self) -> _Atoms:
        atoms = getattr(self._local, "atoms", None)
        if atoms is None:
            atoms = self._local.atoms = _Atoms(self._display())
        return atoms

    def give_focus(self, window_id: int) -> None:
        """Move the keyboard focus to the window `window_id` (as `Window.id`), as a window manager does
        when its window is clicked; a window that has gone meanwhile is left alone."""
        from Xlib import X
        from Xlib.error import XError

        display = self._display()
        try:
            display.create_resource_object("window", window_id).set_input_focus(X.RevertToPointerRoot,
                                                                                X.CurrentTime)
            display.sync()
        except XError:
            pass

    def pointer(self) -> Point:
        reply = self._display().screen().root.query_pointer()
        return Point(x=reply.root_x, y=reply.root_y)

    def close(self) -> None:
        display = getattr(self._local, "display", None)
        if display is not None:
            display.close()
            self._local.display = self._local.atoms = None


def focused_client_id(display) -> int | None:
    """The id (as `Window.id`) of the window keys typed now reach, asked on the caller's own Xlib
    `display`: under a server grab on it, no other client can move the focus before the next request."""
    from Xlib.error import XError

    try:
        top = _focus_top_level(display, follow_pointer=True)
        return None if top is None else (_client_of(top, _Atoms(display)) or top).id
    except XError:
        return None


def _focus_top_level(display, *, follow_pointer: bool):
    """The root child holding the keyboard focus (see `WindowLister.focused_window`), or None."""
    root = display.screen().root
    focus = display.get_input_focus().focus
    if isinstance(focus, int) or focus.id == root.id:  # PointerRoot or None
        if not follow_pointer:
            return None
        top = root.query_pointer().child
        return None if isinstance(top, int) or not top.id else top  # None: over the bare root window
    top = focus
    while (parent := top.query_tree().parent) and parent.id != root.id:
        top = parent
    return top


class _Atoms:
    def __init__(self, display) -> None:  # get_atom: cached per connection after its first request
        self.net_wm_name = display.get_atom("_NET_WM_NAME")
        self.utf8 = display.get_atom("UTF8_STRING")
        self.net_wm_pid = display.get_atom("_NET_WM_PID")
        self.wm_state = display.get_atom("WM_STATE")


def _describe(frame, root, atoms: _Atoms) -> Window | None:
    from Xlib import X

    attrs = frame.get_attributes()
    if attrs.map_state != X.IsViewable or attrs.win_class == X.InputOnly:
        return None
    geometry = frame.get_geometry()
    if geometry.width <= 1 or geometry.height <= 1:
        return None
    position = frame.translate_coords(root, 0, 0)
    client = _client_of(frame, atoms) or frame
    title = _title(client, atoms)
    wm_class = client.get_wm_class() or ("", "")
    pid = client.get_full_property(atoms.net_wm_pid, 0)
    owner = client.get_wm_transient_for()
    return Window(id=client.id, title=title, wm_class=wm_class[1] if len(wm_class) > 1 else wm_class[0],
                  box=Rect(left=-position.x, top=-position.y, width=geometry.width,
                           height=geometry.height),
                  pid=int(pid.value[0]) if pid is not None and len(pid.value) else None,
                  owner=owner.id if owner is not None else None, popup=bool(attrs.override_redirect))


def _client_of(window, atoms: _Atoms, depth: int = 2):
    if window.get_full_property(atoms.wm_state, 0) is not None or window.get_wm_name():
        return window
    if depth == 0:
        return None
    for child in window.query_tree().children:
        found = _client_of(child, atoms, depth - 1)
        if found is not None:
            return found
    return None


def _title(window, atoms: _Atoms) -> str:
    prop = window.get_full_property(atoms.net_wm_name, atoms.utf8)
    if prop is not None and prop.value:
        value = prop.value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    name = window.get_wm_name()
    if isinstance(name, bytes):
        return name.decode("latin-1")
    return name or ""
