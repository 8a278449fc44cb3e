"""An icon-only Tk toolbar operated by what its icons mean (`click "Save"`, `click the "Undo" icon`):
no text and no template, the icon reader names the buttons (perception/icon_names.py) — checked by
what the application printed.

This checks the pipeline: found by meaning, clicked with real input, the effect seen. Its icons
(tests/apps/icons/LICENCE.md) are from themes the reader was trained on, or (undo) a folder of one left
out of training, not from the held-out Tango, whose save, open and undo the reader misreads; how well it
reads an unseen theme is the manifest's number (models/icon-reader.yaml, tests/unit/test_icons.py).
"""
from __future__ import annotations

import sys

ALLOW_ALL = "version: 1\ndefault: allow\n"


def test_icon_only_buttons_are_clicked_by_their_meaning(desktop, tmp_path):
    app = desktop.launch([sys.executable, "-m", "tests.apps.icon_toolbar", "--relief", "flat",
                          "--geometry", "420x240+420+220"], title="Icon toolbar", name="icon_toolbar")
    (tmp_path / "allow.yaml").write_text(ALLOW_ALL)
    steps = ['click "Save"', 'click the "Undo" icon', 'click "Open"', 'click the "search" icon']
    run = desktop.agent("run", "--json", "--policy", str(tmp_path / "allow.yaml"),
                        *[arg for step in steps for arg in ("--step", step)])
    assert [s["status"] for s in run.json["steps"]] == ["succeeded"] * len(steps), run.stderr
    app.wait_for_output(lambda out: out.count("pressed") == len(steps))
    assert [e["action"] for e in app.events()] == ["save", "undo", "open", "search"]


def test_a_meaning_the_toolbar_lacks_is_not_found(desktop, tmp_path):
    app = desktop.launch([sys.executable, "-m", "tests.apps.icon_toolbar", "--relief", "flat",
                          "--geometry", "420x240+420+220"], title="Icon toolbar", name="icon_toolbar")
    (tmp_path / "allow.yaml").write_text(ALLOW_ALL)
    run = desktop.agent("run", "--json", "--policy", str(tmp_path / "allow.yaml"), "--step", 'click "Paste"')
    assert run.code == 1
    [step] = run.json["steps"]
    assert step["status"] == "failed" and step["target"] is None, step
    assert "Paste" in step["error"]
    app.assert_quiet()
