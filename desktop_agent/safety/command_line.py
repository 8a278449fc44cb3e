"""Command lines: which actions submit the pending line of a window that runs what it is given (a
terminal, a run dialog), what that line is, and whether the agent typed all of it.

A terminal runs its pending line when Enter (or ctrl+j, ctrl+m) reaches it, when typed text holds a
newline, or when the clipboard is pasted into it (ctrl+shift+v, shift+insert, a middle click: it runs
whatever the clipboard holds). `PendingLines` keeps, per window, what the agent typed there since its
last submission, and whether a key it can't account for (tab completion, history, an edit) has changed
the line since. `screen_line` reads a window's current line off the screen (its lowest row of text);
`shows_prompt_then` tells whether that line is a prompt followed by exactly what the agent typed.

Not guaranteed: the screen line is what OCR read; text before the agent's that ends like a prompt
(`$`, `#`, `%`, `>`, `❯`, `»` and a space) is taken for the prompt, and one cursor-like glyph at the
end of the line (`_`, `█` …) for the cursor.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from desktop_agent.core.actions import (
    Action,
    Click,
    KeyChord,
    KeyText,
    MouseButton,
    MouseClick,
    Operation,
    Press,
    TypeText,
)
from desktop_agent.core.values import Screen, Window, frozen, text_rows
from desktop_agent.safety.policy_fields import chord

SUBMIT_CHORDS = frozenset({chord(["enter"]), chord(["kp_enter"]), chord(["kpenter"]),
                           chord(["ctrl", "j"]), chord(["ctrl", "m"])})
PASTE_CHORDS = frozenset({chord(["ctrl", "shift", "v"]), chord(["shift", "insert"])})
_PROMPT_ENDS = "$#%>❯»"
_CURSORS = "_■█▌▐▮▯□"  # a terminal's cursor, as OCR reads it at the end of the line (never "|": a pipe)
_OCR_FOLD = str.maketrans({"I": "l", "1": "l", "|": "l", "i": "l", "0": "o", "O": "o"})


class Submits(enum.Enum):
    """How an action makes a window run its pending line."""

    KEY = "key"          # enter, ctrl+j, ctrl+m
    NEWLINE = "newline"  # typed text that holds a newline
    PASTE = "paste"      # the clipboard pasted in: it runs whatever it holds


def submits(action: Action) -> Submits | None:
    match action:
        case Press(keys=keys) if chord(keys) in SUBMIT_CHORDS:
            return Submits.KEY
        case Press(keys=keys) if chord(keys) in PASTE_CHORDS:
            return Submits.PASTE
        case TypeText(text=text) if "\n" in text or "\r" in text:
            return Submits.NEWLINE
        case Click(button=MouseButton.MIDDLE):
            return Submits.PASTE
    return None


@frozen
class CommandLine:
    """What an action is about to run in a window that runs its line."""

    lines: tuple[str, ...]    # as the agent typed them: the pending line, then each further complete line
    on_screen: str | None     # the window's current line as read just before (None: could not be read)
    typed_all: bool           # that line is a prompt and exactly what the agent typed, nothing else
    paste: bool = False       # the clipboard is pasted in, and runs whatever it holds

    def masked(self, mask: Callable[[str], str]) -> CommandLine:
        """This command line with `mask` applied to every text in it (secrets as •••)."""
        return replace(self, lines=tuple(mask(line) for line in self.lines),
                       on_screen=None if self.on_screen is None else mask(self.on_screen))

    @property
    def shown(self) -> str:
        """The lines as a person is shown them: one line, each submission marked with ⏎."""
        return " ⏎ ".join(self.lines) if any(self.lines) else "(an empty line)"


@dataclass(slots=True)
class _Pending:
    text: str = ""
    edited: bool = False  # changed by a key the agent can't account for since the last submission


@dataclass(slots=True)
class PendingLines:
    """What the agent typed into each window since that window's last submission."""

    _windows: dict[int, _Pending] = field(default_factory=dict)

    def command_line(self, action: Action, window_id: int, on_screen: str | None) -> CommandLine:
        """The line(s) `action` would submit in the window, judged against `on_screen`, the window's
        line as read before the action."""
        pending = self._windows.get(window_id, _Pending())
        lines: tuple[str, ...] = (pending.text,)
        if isinstance(action, TypeText) and submits(action) is Submits.NEWLINE:
            parts = _newlines(action.text).split("\n")
            lines = (pending.text + parts[0], *parts[1:-1])
        typed_all = (not pending.edited and on_screen is not None
                     and shows_prompt_then(on_screen, pending.text))
        return CommandLine(lines=lines, on_screen=on_screen, typed_all=typed_all,
                           paste=submits(action) is Submits.PASTE)

    def lost_track(self, window_id: int) -> None:
        """Something may have changed the window's line that the agent can't account for."""
        self._windows.setdefault(window_id, _Pending()).edited = True

    def performed(self, window_id: int, operation: Operation) -> None:
        """Account for an operation that went into the window."""
        pending = self._windows.setdefault(window_id, _Pending())
        match operation:
            case KeyText(text=text):
                text = _newlines(text)
                if "\n" in text:
                    pending.text, pending.edited = text.rsplit("\n", 1)[1], False
                else:
                    pending.text += text
            case KeyChord(keys=keys) if chord(keys) in SUBMIT_CHORDS:
                pending.text, pending.edited = "", False
            case KeyChord():
                pending.edited = True
            case MouseClick(button=MouseButton.MIDDLE):
                pending.edited = True


def screen_line(screen: Screen, window: Window) -> str | None:
    """The window's lowest row of text as read (items on the same row joined by a space), or None."""
    rows = text_rows([e for e in screen.elements if window.box.contains(e.box.center)
                      and e.window_id in (None, window.id)])
    return rows[-1][0] if rows else None


def shows_prompt_then(on_screen: str, typed: str) -> bool:
    """`on_screen` is a prompt and then exactly `typed` (OCR look-alikes l/1/I, O/0 tolerated, and a
    cursor after it)."""
    seen, want = " ".join(on_screen.split()), " ".join(typed.split())
    if seen and seen[-1] in _CURSORS and not want.endswith(seen[-1]):
        seen = seen[:-1].rstrip()  # appending one of these to the last word can't add shell syntax
    if want:
        if not _fold(seen).endswith(_fold(want)):
            return False
        before = seen[:len(seen) - len(want)]
        if not before.endswith(" "):  # "$ echo $ls" is not the prompt "$ echo $" and then "ls"
            return False
        seen = before
    prompt = seen.rstrip()
    return bool(prompt) and prompt[-1] in _PROMPT_ENDS


def _fold(text: str) -> str:
    return text.translate(_OCR_FOLD).lower()


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
