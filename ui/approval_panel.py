"""The approval panel: the step the agent proposes, why it asks, and the person's answer.

Guaranteed: exactly one `decided` per `ask()` — the first answer clears the panel, and everything after
it (a second click, a late `picked`) is ignored until the next ask. Enter approves and Esc stops while
the focus is inside the panel (ask takes it), so typing elsewhere in the app never answers; while a step
is being rewritten Enter confirms the rewrite and Esc cancels it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.core.actions import Action, action_name
from desktop_agent.core.errors import TaskSyntaxError
from desktop_agent.core.values import Decision, Point, TargetSpec
from desktop_agent.language.steps import parse_step
from desktop_agent.run import interactions
from desktop_agent.safety.approvals import Approval, Correction, Proposal
from desktop_agent.safety.command_line import CommandLine
from ui.style import label

VERDICT_COLOURS = {Decision.ALLOW: "#1a7f37", Decision.CONFIRM: "#9a6700", Decision.DENY: "#cf222e"}
_KEYS = "Enter approves · Esc stops the run"
_REWRITE_KEYS = "Enter uses the rewritten step · Esc goes back"
_MUTED = "#6e7781"
_ERROR = "#cf222e"
_OK = "#1a7f37"
_STYLE = f"""
QLabel#kicker {{ color: {_MUTED}; font-size: 8pt; font-weight: 600; letter-spacing: 1px; }}
QLabel#step {{ font-size: 13pt; font-weight: 600; }}
QLabel#key {{ color: {_MUTED}; }}
QLabel#command {{ font-family: monospace; background: #f6f8fa; border: 1px solid #d0d7de;
                 border-radius: 3px; padding: 3px 5px; }}
QLabel#hint {{ color: {_MUTED}; font-size: 8pt; }}
QLabel#idle {{ color: {_MUTED}; font-size: 11pt; }}
QLabel#confirm {{ background: #fff8c5; color: #7d4e00; border: 1px solid #d4a72c;
                  border-radius: 4px; padding: 6px 8px; font-weight: 600; }}
QLabel#picking {{ background: #ddf4ff; color: #0550ae; border: 1px solid #54aeff;
                  border-radius: 4px; padding: 6px 8px; }}
QPushButton {{ padding: 5px 14px; }}
QPushButton#approve {{ background: #1f883d; color: white; border: 1px solid #1a7f37;
                       border-radius: 5px; font-weight: 600; }}
QPushButton#approve:disabled {{ background: #94d3a2; border-color: #94d3a2; }}
QPushButton#stop {{ color: {_ERROR}; }}
QPushButton#stop:disabled {{ color: #e6a0a4; }}
"""


class ApprovalPanel(QWidget):
    decided = Signal(object)   # Approval.APPROVE | SKIP | QUIT, or a Correction (point or step text)
    pickRequested = Signal()   # the window turns LiveView pick mode on, then calls picked(x, y)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(_STYLE)
        self._proposal: Proposal | None = None
        self._pages = QStackedWidget()
        self._idle = label("Waiting for the next step…", "idle")
        self._idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._pages.addWidget(self._idle)
        scroll = QScrollArea()  # long reasons scroll instead of squeezing the buttons
        scroll.setWidget(self._build_details())
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._pages.addWidget(scroll)
        self._approve = _button("Approve", "approve", "Do this step (Enter)")
        self._skip = _button("Skip", "skip", "Leave this step out and go on with the next")
        self._edit = _button("Edit", "edit", "Correct the target or the step")
        self._stop = _button("Stop", "stop", "Stop the whole run (Esc)")
        menu = QMenu(self._edit)
        self.pick_action = menu.addAction("Pick on screenshot", self._request_pick)
        self.rewrite_action = menu.addAction("Rewrite step…", self._start_rewrite)
        self._edit.setMenu(menu)
        self._approve.clicked.connect(lambda: self._decide(Approval.APPROVE))
        self._skip.clicked.connect(lambda: self._decide(Approval.SKIP))
        self._stop.clicked.connect(lambda: self._decide(Approval.QUIT))
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for button in (self._approve, self._skip, self._edit):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self._stop)
        self._rewrite = self._build_rewrite()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(10)
        layout.addWidget(self._pages, 1)
        layout.addWidget(self._rewrite)
        layout.addLayout(buttons)
        self._keys = label(_KEYS, "hint")
        layout.addWidget(self._keys)
        self._shortcuts = [self._shortcut(key, lambda: self._decide(Approval.APPROVE))
                           for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)]
        self._shortcuts.append(self._shortcut(Qt.Key.Key_Escape, lambda: self._decide(Approval.QUIT)))
        self.clear()

    # ------------------------------------------------------------ API
    @property
    def asking(self) -> bool:
        return self._proposal is not None

    def ask(self, proposal: Proposal) -> None:
        """Show `proposal` and wait for one answer. Asking again before an answer replaces it."""
        self._proposal = proposal
        request, verdict = proposal.request, proposal.verdict
        self._step.setText(proposal.shown_step_text or "(unnamed step)")
        self._confirm.setVisible(verdict.decision is Decision.CONFIRM)
        self._action.setText(action_name(request.action))
        target = request.target
        if target is None:
            self._target.setText("none (this step acts where the keyboard focus is)")
            self._why.setText("")
        else:
            self._target.setText(f"{target.strategy} · at {target.point.x}, {target.point.y}")
            self._why.setText(target.why)
        self._why.setVisible(bool(self._why.text()))
        self._window.setText(request.window.title if request.window else "—")
        self._show_command(request.command)
        colour = VERDICT_COLOURS[verdict.decision]
        self._badge.setText(verdict.decision.value.upper())
        self._badge.setStyleSheet(f"background: {colour}; color: white; border-radius: 3px; "
                                  "padding: 1px 7px; font-size: 8pt; font-weight: 700;")
        self._verdict.setText(verdict.reason + (f"  ({verdict.rule})" if verdict.rule else ""))
        self._asking_why.setText(proposal.reason_for_asking)
        self.pick_action.setEnabled(_can_retarget(request.action))
        self._picking.hide()
        self._end_rewrite()
        self._pages.setCurrentIndex(1)
        self._set_enabled(True)
        self._approve.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_command(self, command: CommandLine | None) -> None:
        """The exact line a terminal (or run dialog) will run, and what the screen shows if the agent
        did not type all of it."""
        text = ""
        if command is not None:
            text = command.shown + ("\n(and whatever the clipboard holds)" if command.paste else "")
            if not command.typed_all:
                seen = command.on_screen if command.on_screen is not None else "(could not be read)"
                text += f"\n⚠ on screen: {seen} — the agent did not type all of this line"
        self._command.setText(text)
        self._command.setVisible(bool(text))
        self._command_key.setVisible(bool(text))

    def picked(self, x: int, y: int) -> None:
        """Completes an edit-by-click with the screen point the person picked."""
        self._decide(Correction(point=Point(x=x, y=y)))

    def clear(self) -> None:
        self._proposal = None
        self._pages.setCurrentIndex(0)
        self._picking.hide()
        self._end_rewrite()
        self._set_enabled(False)

    # ------------------------------------------------------------ answers
    def _decide(self, answer: Approval | Correction) -> None:
        if self._proposal is None:
            return
        self.clear()  # before emitting: a slot may ask the next question right away
        self.decided.emit(answer)

    def _request_pick(self) -> None:
        if self._proposal is not None:
            self._end_rewrite()
            self._picking.show()
            self.pickRequested.emit()

    def _start_rewrite(self) -> None:
        if self._proposal is None:
            return
        self._picking.hide()
        self._editor.setText(self._proposal.shown_step_text)  # a secret must be typed again
        self._rewrite.show()
        self._keys.setText(_REWRITE_KEYS)
        self._set_shortcuts(False)
        self._validate()
        self._editor.setFocus(Qt.FocusReason.OtherFocusReason)
        self._editor.selectAll()

    def _end_rewrite(self) -> None:
        if self._rewrite.isVisibleTo(self):
            self._rewrite.hide()
            self._keys.setText(_KEYS)
            if self._proposal is not None:
                self._approve.setFocus(Qt.FocusReason.OtherFocusReason)
        self._set_shortcuts(self._proposal is not None)

    def _validate(self) -> bool:
        """Parse the rewritten step as the runner will; show the first problem with its column."""
        text = self._editor.text().strip()
        try:
            parse_step(text, source="rewrite")
        except TaskSyntaxError as exc:
            hint = f" — {exc.suggestion}" if exc.suggestion else ""
            self._problem.setText(f"Column {exc.location.column}: {exc.message}{hint}")
            self._problem.setStyleSheet(f"color: {_ERROR};")
            self._use.setEnabled(False)
            return False
        self._problem.setText("✓ Valid step")
        self._problem.setStyleSheet(f"color: {_OK};")
        self._use.setEnabled(True)
        return True

    def _confirm_rewrite(self) -> None:
        if self._rewrite.isVisibleTo(self) and self._validate():
            self._decide(Correction(step_text=self._editor.text().strip()))

    # ------------------------------------------------------------ building
    def _build_details(self) -> QWidget:
        page = QWidget()
        self._badge = label("", "badge")
        self._step = label("", "step", wrap=True)
        self._step.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._confirm = label("⚠  The policy asks you to confirm this step", "confirm", wrap=True)
        self._picking = label("Click the right element on the screenshot…", "picking", wrap=True)
        self._action, self._target, self._why = label("", wrap=True), label("", wrap=True), label("", "key", wrap=True)
        self._window, self._verdict, self._asking_why = label("", wrap=True), label("", wrap=True), label("", wrap=True)
        self._command = label("", "command", wrap=True)
        self._command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._command_key = label("Runs", "key")
        header = QHBoxLayout()
        header.addWidget(label("PROPOSED STEP", "kicker"))
        header.addStretch(1)
        header.addWidget(self._badge)
        facts = QGridLayout()
        facts.setHorizontalSpacing(12)
        facts.setVerticalSpacing(6)
        facts.setColumnStretch(1, 1)
        rows = (("Action", self._action), ("Target", self._target), ("", self._why),
                ("Window", self._window), (self._command_key, self._command), ("Policy", self._verdict),
                ("Asking", self._asking_why))
        for row, (name, value) in enumerate(rows):
            key = name if isinstance(name, QLabel) else label(name, "key")
            facts.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop)
            facts.addWidget(value, row, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #d0d7de;")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self._step)
        layout.addWidget(self._confirm)
        layout.addWidget(line)
        layout.addLayout(facts)
        layout.addWidget(self._picking)
        layout.addStretch(1)
        return page

    def _build_rewrite(self) -> QWidget:
        box = QWidget()
        self._editor = QLineEdit()
        self._editor.setObjectName("rewrite")
        self._editor.setPlaceholderText('e.g. click the "Submit order" button')
        self._editor.textChanged.connect(self._validate)
        self._editor.returnPressed.connect(self._confirm_rewrite)
        self._use = _button("Use this step", "use", "Run the rewritten step instead (Enter)")
        self._use.clicked.connect(self._confirm_rewrite)
        cancel = _button("Cancel", "cancel", "Back to the proposal (Esc)")
        cancel.clicked.connect(self._end_rewrite)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self._editor)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(self._end_rewrite)
        self._problem = label("", "problem", wrap=True)
        self._problem.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self._problem, 1)
        row.addWidget(self._use, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(cancel, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(label("REWRITE THE STEP", "kicker"))
        layout.addWidget(self._editor)
        layout.addLayout(row)
        box.hide()
        return box

    def _shortcut(self, key: Qt.Key, slot) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    def _set_shortcuts(self, on: bool) -> None:
        for shortcut in self._shortcuts:
            shortcut.setEnabled(on)

    def _set_enabled(self, on: bool) -> None:
        for button in (self._approve, self._skip, self._edit, self._stop):
            button.setEnabled(on)
        self._set_shortcuts(on and not self._rewrite.isVisibleTo(self))


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return button


def _can_retarget(action: Action) -> bool:
    """Whether a picked point can replace the step's target (the engine decides, not the panel)."""
    try:
        interactions.retarget(action, TargetSpec(point=Point(x=0, y=0)))
    except ValueError:
        return False
    return True
