"""Runners on a scripted desktop (tests/unit/fakes.FakeDesktop), built the way compose.build_runner builds
real ones, so the app and its worker run the real engine loop without an X server."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from desktop_agent.compose import AgentConfig
from desktop_agent.core.values import Element, Frame, Rect, Role, Screen, Window
from desktop_agent.run.runner import Runner
from desktop_agent.run.trace import Trace
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken
from tests.unit.fakes import FakeDesktop

WINDOW = Window(id=1, title="Orders", wm_class="Orders", box=Rect(left=100, top=100, width=400, height=300),
                pid=1)
OK = Element(role=Role.BUTTON, box=Rect(left=200, top=300, width=80, height=30), text="OK", window_id=1)
DELETE = Element(role=Role.BUTTON, box=Rect(left=300, top=300, width=80, height=30), text="Delete",
                 window_id=1)


def screen(*elements: Element, shade: int = 200) -> Screen:
    image = np.full((600, 800, 3), 40, np.uint8)
    image[100:400, 100:500] = shade  # the window; a different shade is a visible change
    return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                  elements=tuple(elements), windows=(WINDOW,))


def changing_screens(count: int = 6) -> list[Screen]:
    """OK and Delete on a window whose shade changes after every operation (so clicks verify)."""
    return [screen(OK, DELETE, shade=230 - 30 * n) for n in range(count)]


class FakeRuns:
    """A runner factory (`Callable[[AgentConfig], Runner]`) on one FakeDesktop; remembers every config
    it was given."""

    def __init__(self, desktop: FakeDesktop | None = None) -> None:
        self.desktop = desktop or FakeDesktop(changing_screens())
        self.configs: list[AgentConfig] = []

    def __call__(self, config: AgentConfig) -> Runner:
        self.configs.append(config)
        stop = StopToken()
        trace = Trace.create(config.trace_root, config.run_name)
        guard = Guard(policy=config.policy, actuator=self.desktop.actuator,
                      audit=AuditLog(trace.folder / "audit.jsonl"), stop=stop, approver=config.approver,
                      approve_every_step=config.approve_every_step, own_pids=frozenset({999}))
        options = replace(config.options, find_timeout_s=0.2, settle_timeout_s=0.3)
        return Runner(senses=self.desktop, guard=guard, stop=stop, trace=trace, options=options)

    @property
    def operations(self) -> list:
        return self.desktop.actuator.operations


def config(tmp_path: Path, **fields) -> AgentConfig:
    return AgentConfig(policy=load_policy(None), trace_root=tmp_path / "traces", run_name="test", **fields)
