"""The main window: the task and policy on the left, what the agent sees and proposes in the middle, the
run's steps on the right; Run / Pause / Stop / Record in the toolbar, the Run menu, the tray menu and on
application-wide shortcuts.

Runners come from an injected factory (`compose.build_runner` in the app, a scripted desktop in tests);
`RunControl` runs them in a worker thread and feeds the widgets; the Memory tab lists the tasks runs have
recorded (loading or re-running one asks first about unsaved edits); Record (`RecordControl`) records a
task by doing it once and opens it in the editor. A run asks for the secrets its task names that the
keyring lacks (`secret_prompt`). "Serve agents" lets MCP clients drive the desktop instead
(RunControl.serve; the URL and token are shown once in `serve_dialog`), their steps in the same views and
approval panel (`screen_pane`). Guaranteed: closing the window during a run or a recording stops it and
waits for its thread. The window never raises itself to ask: it would cover the application the agent is
about to act on (a tray message and the taskbar alert point at it instead).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSignalBlocker, QSize, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStyle,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
)

from desktop_agent.compose import RunGiven, build_perceiver
from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError, TaskSyntaxError
from desktop_agent.safety.approvals import Proposal
from ui.approval_panel import ApprovalPanel
from ui.editor import TaskEditor
from ui.live_view import LiveView
from ui.memory_panel import MemoryPanel, Remembered
from ui.policy_view import PolicyView
from ui.record_control import PerceiverFactory, RecordControl, RecorderFactory, input_recorder
from ui.rollback import WorkspaceRollback
from ui.run_control import BrakesFactory, RunControl, RunnerFactory
from ui.screen_pane import ScreenPane
from ui.secret_prompt import fill_for_run
from ui.serve_dialog import EndpointDialog
from ui.settings import Mode, SettingsDialog, hotkey_label, load_settings, save_settings
from ui.style import STATE_COLOURS, STYLE, app_icon, label, record_icon
from ui.task_files import TaskFiles
from ui.timeline import Timeline

if TYPE_CHECKING:
    from desktop_agent.serve.http import Endpoint

MODE_TIP = "How the next run treats its steps"
SERVES_AUTONOMOUS = ("Serving agents runs their steps as Autonomous does (a confirm asks the agent's client or "
                     "the approval panel)")
PAUSE_WHILE_SERVING = ("Pause holds a task run between its steps; an agent sends its steps one at a time, so "
                       "while serving there is nothing to hold: Stop ends serving")


class MainWindow(QMainWindow):
    def __init__(self, *, factory: RunnerFactory, brakes: BrakesFactory, store: QSettings,
                 tray: bool | None = None, memory_path: Path | None = None,
                 recorder: RecorderFactory = input_recorder, perceiver: PerceiverFactory = build_perceiver) -> None:
        """`tray`: whether to use a system tray icon (default: when the platform has a tray);
        `memory_path`: the memory the Memory tab shows (default: the one runs record themselves in);
        `recorder`, `perceiver`: what Record listens with and names the steps with."""
        super().__init__()
        self._store = store
        self.settings = load_settings(store)
        self.editor, self.policy_view = TaskEditor(), PolicyView()
        self.files = TaskFiles(editor=self.editor, store=store, window=self)
        self.memory_panel = MemoryPanel(memory_path)
        self.live_view, self.approval, self.timeline = LiveView(), ApprovalPanel(), Timeline()
        self.control = RunControl(factory=factory, brakes=brakes, live_view=self.live_view,
                                  approval=self.approval, timeline=self.timeline, parent=self)
        self.recorder = RecordControl(window=self, secret_fields=lambda: self.policy_view.policy().secret_fields,
                                      recorder=recorder, perceiver=perceiver, parent=self)
        self.rollback = WorkspaceRollback(self)
        self.setWindowIcon(app_icon())
        self.setStyleSheet(STYLE)
        self._build_actions()
        self._build_layout()
        self._build_status()
        self._tray = self._build_tray() if (QSystemTrayIcon.isSystemTrayAvailable() if tray is None
                                            else tray) else None
        self._tray_note.setVisible(self._tray is None)
        self._show_hotkey()
        self._connect()
        self.policy_view.load(self.settings.policy_file)
        self.mode = self.settings.mode
        self._set_running(False)
        self._set_state("idle", "Idle")
        self._update_title()
        self.resize(self._default_size())

    @property
    def mode(self) -> Mode:
        return self._mode_box.currentData()

    @mode.setter
    def mode(self, mode: Mode) -> None:
        self._mode_box.setCurrentIndex(list(Mode).index(mode))

    def start_run(self) -> bool:
        """Run the task in the current mode with the applied policy; False (the reason on the status
        bar) when it can't start."""
        if self.control.running or self.recorder.busy:
            return False
        try:
            plan = self.editor.plan()
        except TaskSyntaxError as exc:
            return self._refuse(f"The task has a problem: {exc.message} (line {exc.location.line})")
        if plan.policy is not None and plan.policy != self.policy_view.path:
            self.policy_view.load(plan.policy)  # the task's own policy, as on the command line
            if self.policy_view.path != plan.policy:
                self._tabs.setCurrentWidget(self.policy_view)
                return self._refuse(f"The task's policy {plan.policy} can't be used")
        try:
            if not self.mode.dry_run:  # nothing is typed in a dry run, so no secret is needed
                plan = fill_for_run(plan, self)
        except AgentError as exc:
            return self._refuse(f"Not started: {exc}")
        try:
            self.control.start(plan, mode=self.mode, policy=self.policy_view.policy(),
                               trace_root=self.settings.trace_root, hotkey=self.settings.hotkey,
                               base_dir=self.files.folder, given=self._given(plan))
        except (AgentError, OSError) as exc:
            return self._refuse(f"Cannot start the run: {exc}")
        return True

    def serve_agents(self, on: bool) -> bool:
        """Start serving agents over MCP with the applied policy (or stop); False (the reason on the
        status bar) when it can't start."""
        if not on:
            if self.control.serving:
                self.control.stop()
            return True
        if self.control.running or self.recorder.busy:
            self._serve.setChecked(False)
            return self._refuse("Serving agents needs the agent to be idle")
        if self.mode is not Mode.AUTONOMOUS:  # an agent's steps act, and each is asked only where a confirm is
            self._serve.setChecked(False)
            return self._refuse(SERVES_AUTONOMOUS + f": choose Autonomous to serve ({self.mode.label} is for task "
                                "runs)")
        try:
            self.control.serve(policy=self.policy_view.policy(), trace_root=self.settings.trace_root,
                               base_dir=self.files.folder, hotkey=self.settings.hotkey)
        except (AgentError, OSError) as exc:
            self._serve.setChecked(False)
            return self._refuse(f"Cannot serve agents: {exc}")
        return True

    @Slot(object)
    def _show_endpoint(self, endpoint: Endpoint) -> None:
        self.endpoint_dialog = EndpointDialog(endpoint, self)
        self.endpoint_dialog.open()

    def _given(self, plan: Plan) -> RunGiven:
        """How this run was given, for resuming it: the task file when the editor holds it as saved,
        else the steps as they are in the editor."""
        saved = self.editor.path if not self.editor.modified else None
        return RunGiven(task=saved, steps=tuple(step.text for step in plan.steps), params=plan.params)

    # ------------------------------------------------------------ run signals
    @Slot(object)
    def _on_approval(self, proposal: Proposal) -> None:
        QApplication.alert(self)
        if self._tray is not None:
            self._tray.showMessage("Desktop Agent is waiting for you", proposal.request.step_text,
                                   QSystemTrayIcon.MessageIcon.Information, 4000)

    @Slot(str)
    def _on_crash(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Run failed", "The run ended with an error.",
                          QMessageBox.StandardButton.Close, self)
        box.setDetailedText(message)
        box.open()

    # ------------------------------------------------------------ window
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.may_discard_edits():
            event.ignore()
            return
        self.control.close()
        self.recorder.close()
        self.memory_panel.consolidation.close()
        self._store.setValue("window/geometry", self.saveGeometry())
        if self._tray is not None:
            self._tray.hide()
        super().closeEvent(event)

    def _refuse(self, message: str) -> bool:
        self.statusBar().showMessage(message, 10000)
        return False

    @Slot(bool)
    def _set_running(self, running: bool) -> None:
        serving = self.control.serving
        self._run.setEnabled(not running and self.editor.valid)
        self._pause.setEnabled(running and not serving)
        self._stop.setEnabled(running)
        self._serve.setEnabled(serving or not running)
        if not running:
            self._pause.setChecked(False)
            with QSignalBlocker(self._serve):
                self._serve.setChecked(False)
        self._mode_box.setEnabled(not running)
        self._pause.setToolTip(PAUSE_WHILE_SERVING if serving else self._pause_tip)
        self._mode_box.setToolTip(SERVES_AUTONOMOUS if serving else MODE_TIP)
        self.memory_panel.set_running(running)
        for action in (self._open, self._save, self._save_as, self._settings_action, self._record):
            action.setEnabled(not running)
        self.editor.set_read_only(running)
        self.policy_view.set_read_only(running)
        self._acting.setText("● Serving agents" if serving else "● The agent is acting")
        self._acting.setVisible(running)
        self._approval_frame.setVisible(running and (serving or not self.mode.dry_run))  # a dry run asks nothing
        if running:
            self._show_hotkey()  # a problem reported by the last run's brakes is that run's
        if self._tray is not None:
            self._tray.setVisible(running)

    @Slot(str, str)
    def _set_state(self, kind: str, text: str) -> None:
        colour = STATE_COLOURS[kind]
        self._state.setText(text)
        self._state.setStyleSheet(f"color: white; background: {colour}; border-radius: 9px; "
                                  "padding: 2px 10px; font-weight: 600;")

    def _update_title(self) -> None:
        path = self.editor.path
        name = path.name if path else "Untitled task"
        self.setWindowTitle(f"{name}{' *' if self.editor.modified else ''} — Desktop Agent")

    def _default_size(self) -> QSize:
        available = self.screen().availableGeometry().size() if self.screen() else QSize(1600, 1000)
        return QSize(min(1480, int(available.width() * 0.92)), min(920, int(available.height() * 0.9)))

    # ------------------------------------------------------------ tasks, recording and settings
    def open_task(self, path: Path) -> None:
        self.files.open(path)

    @Slot(object)
    def _load_remembered(self, task: Remembered) -> bool:
        """A task from the memory in the editor, as a new unsaved task; False if the person kept theirs."""
        if not self.files.may_discard_edits():
            return False
        self.editor.set_task(name=task.name, steps=task.steps, params=task.params)
        self._tabs.setCurrentWidget(self.editor)
        self._update_title()
        return True

    def _record_task(self) -> None:
        if not self.control.running and self.files.may_discard_edits():
            self.recorder.record(self.files.folder)

    @Slot(bool)
    def _set_recording(self, recording: bool) -> None:
        """While recording, nothing else starts and the editor waits for the recorded task."""
        for action in (self._open, self._save, self._save_as, self._settings_action, self._record, self._serve):
            action.setEnabled(not recording)
        self._run.setEnabled(not recording and self.editor.valid)
        self._mode_box.setEnabled(not recording)
        self.editor.set_read_only(recording)
        self.memory_panel.set_running(recording)

    def _edit_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        old, self.settings = self.settings, dialog.settings()
        save_settings(self._store, self.settings)
        if self.settings.policy_file != old.policy_file:
            self.policy_view.load(self.settings.policy_file)
        self._show_hotkey()

    def _show_hotkey(self) -> None:
        hotkey = hotkey_label(self.settings.hotkey)
        self._hotkey_label.setText(f"Stop: Shift+F5 · {hotkey} anywhere · pointer into a corner")
        if self._tray is not None:
            self._tray.setToolTip(f"Desktop Agent is acting — {hotkey} stops it")

    # ------------------------------------------------------------ building
    def _action(self, text: str, slot, keys: tuple = (), icon: QStyle.StandardPixmap | None = None,
                tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        shortcut = f" ({action.shortcut().toString()})" if keys else ""
        action.setToolTip(f"{tip or text}{shortcut}")
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self) -> None:
        pix = QStyle.StandardPixmap
        self._open = self._action("Open…", self.files.ask_open, (QKeySequence.StandardKey.Open,),
                                  pix.SP_DialogOpenButton, "Open a task file")
        self._save = self._action("Save", lambda: self.files.save(), (QKeySequence.StandardKey.Save,),
                                  pix.SP_DialogSaveButton, "Save the task")
        self._save_as = self._action("Save as…", lambda: self.files.save(ask=True),
                                     (QKeySequence.StandardKey.SaveAs,))
        self._run = self._action("Run", lambda: self.start_run(), ("F5", "Ctrl+R"), pix.SP_MediaPlay,
                                 "Run the task in the chosen mode")
        self._pause = self._action("Pause", self.control.pause, ("F6",), pix.SP_MediaPause,
                                   "Hold the run after the current step", checkable=True)
        self._pause_tip = self._pause.toolTip()
        self._stop = self._action("Stop", self.control.stop, ("Shift+F5",), pix.SP_MediaStop,
                                  "Stop the run now")
        self._record = self._action("Record…", self._record_task,
                                    tip="Record a task by doing it once: choose its file, do the task, "
                                        "then stop")
        self._record.setIcon(record_icon())
        self._serve = self._action("Serve agents", self.serve_agents,
                                   tip="Let MCP clients on this computer (an agent that plans) use the desktop: "
                                       "streamable HTTP on 127.0.0.1 with a token shown once; every step they "
                                       "send is guarded, verified and shown here", checkable=True)
        self._serve.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon))
        self._overlay = self._action("Overlay", self.live_view.set_overlay_visible, ("Ctrl+L",),
                                     tip="Outline what perception found", checkable=True)
        self._overlay.setChecked(True)
        self._zoom_in = self._action("Zoom in", self.live_view.zoom_in, (QKeySequence.StandardKey.ZoomIn,))
        self._zoom_out = self._action("Zoom out", self.live_view.zoom_out,
                                      (QKeySequence.StandardKey.ZoomOut,))
        self._fit = self._action("Fit", self.live_view.fit, ("Ctrl+0",), tip="Fit the screen in the view")
        self._settings_action = self._action("Settings…", self._edit_settings, ("Ctrl+,",))
        quit_app = self._action("Quit", self.close, (QKeySequence.StandardKey.Quit,))
        self._mode_box = QComboBox()
        for mode in Mode:
            self._mode_box.addItem(mode.label, mode)
            self._mode_box.setItemData(self._mode_box.count() - 1, mode.hint, Qt.ItemDataRole.ToolTipRole)
        self._mode_box.setToolTip(MODE_TIP)
        menus = self.menuBar()
        for title, actions in (("&File", (self._open, self._save, self._save_as, None,
                                          self._settings_action, None, quit_app)),
                               ("&Run", (self._run, self._pause, self._stop, None, self._record, None,
                                         self._serve, None, self.rollback.action)),
                               ("&View", (self._overlay, None, self._zoom_in, self._zoom_out, self._fit))):
            menu = menus.addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        toolbar = QToolBar("Run")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self._open)
        toolbar.addAction(self._save)
        toolbar.addSeparator()
        toolbar.addWidget(label("Mode ", "muted"))
        toolbar.addWidget(self._mode_box)
        toolbar.addSeparator()
        for action, name in ((self._run, "run"), (self._pause, "pause"), (self._stop, "stop"),
                             (self._record, "record"), (self._serve, "serve")):
            toolbar.addAction(action)
            toolbar.widgetForAction(action).setObjectName(name)
        self.addToolBar(toolbar)

    def _build_layout(self) -> None:
        self._tabs = QTabWidget()
        self._tabs.setDocumentMode(True)
        self._tabs.addTab(self.editor, "Task")
        self._tabs.addTab(self.policy_view, "Policy")
        self._tabs.addTab(self.memory_panel, "Memory")
        centre = ScreenPane(self.live_view, self.approval, (self._overlay, self._zoom_out, self._zoom_in, self._fit))
        self._caption, self._approval_frame = centre.caption, centre.approval_frame
        main = QSplitter(Qt.Orientation.Horizontal)
        for pane in (self._tabs, centre, self.timeline):
            main.addWidget(pane)
        main.setStretchFactor(1, 1)
        main.setChildrenCollapsible(False)
        main.setSizes([500, 540, 400])
        self.setCentralWidget(main)

    def _build_status(self) -> None:
        bar = self.statusBar()
        self._acting = QLabel("● The agent is acting")
        self._acting.setStyleSheet("color: #cf222e; font-weight: 600;")
        self._hotkey_label = label("", "muted")
        self._tray_note = label("No system tray", "muted")
        self._tray_note.setToolTip("There is no system tray: only this window shows when the agent acts")
        self._state = QLabel()
        for widget in (self._acting, self._hotkey_label, self._tray_note, self._state):
            bar.addPermanentWidget(widget)

    def _build_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(app_icon(acting=True), self)
        menu = QMenu(self)
        menu.addAction("Show window", self.showNormal)
        menu.addAction(self._pause)
        menu.addAction(self._stop)
        tray.setContextMenu(menu)
        return tray

    def _connect(self) -> None:
        control = self.control
        control.stateChanged.connect(self._set_state)
        control.runningChanged.connect(self._set_running)
        control.approvalRequested.connect(self._on_approval)
        control.brakesProblem.connect(lambda problem: self._hotkey_label.setText(
            f"Stop hotkey unavailable: {problem}"))
        control.crashed.connect(self._on_crash)
        control.screenShown.connect(self._caption.setText)
        control.endpointReady.connect(self._show_endpoint)
        control.runFinished.connect(self.rollback.set_run)
        control.runFinished.connect(lambda _: self.memory_panel.refresh())
        control.runFinished.connect(lambda _: self.memory_panel.consolidation.schedule())
        self.memory_panel.loadRequested.connect(self._load_remembered)
        self.memory_panel.runRequested.connect(lambda task: self._load_remembered(task) and self.start_run())
        self.recorder.busyChanged.connect(self._set_recording)
        self.recorder.recorded.connect(lambda path, _: self.open_task(path))
        self.recorder.status.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.timeline.stepSelected.connect(self._show_step)
        self.editor.validityChanged.connect(
            lambda valid: self._run.setEnabled(valid and not self.control.running))
        self.editor.modifiedChanged.connect(lambda _: self._update_title())
        self.files.pathChanged.connect(self._update_title)

    @Slot(int)
    def _show_step(self, index: int) -> None:
        """After a run, a step's saved screenshot in the big view (during a run it follows the run)."""
        view = self.timeline.details(index)
        shot = view.after or view.before if view else None
        if shot is not None and not self.control.running:
            self.live_view.show_image(shot)
            self._caption.setText(f"step {index + 1}, {'after' if view.after else 'as proposed'}")
