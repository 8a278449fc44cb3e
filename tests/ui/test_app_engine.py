"""The app's engine: every run of the app gets its own runner on one set of senses, so the models load
once and a run's perceiver starts from what the last one saw."""
from __future__ import annotations

from desktop_agent.compose import AgentConfig
from desktop_agent.safety.policy import load_policy
from ui.app import Engine


def test_the_apps_runs_get_their_own_runners_on_one_set_of_senses(tmp_path):
    engine = Engine()
    config = AgentConfig(policy=load_policy(None), trace_root=tmp_path / "traces", run_name="a run",
                         memory_path=tmp_path / "memory.sqlite3")
    first, second = engine.build_runner(config), engine.build_runner(config)
    assert first is not second and first.trace.folder != second.trace.folder
    assert first.senses is second.senses
