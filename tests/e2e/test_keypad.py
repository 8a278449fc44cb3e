"""A calculator-like Tk keypad operated by its glyphs: buttons labelled with one digit or one operator
sign, found by a direct read of their inside (perception/glyphs.py) — checked by what the keypad printed."""
from __future__ import annotations

import sys

ALLOW_ALL = "version: 1\ndefault: allow\n"


def test_a_keypad_is_operated_by_its_single_glyph_buttons(desktop, tmp_path):
    app = desktop.launch([sys.executable, "-m", "tests.apps.keypad", "--geometry", "+420+220"],
                         title="Keypad", name="keypad")
    keys = ["7", "-", "(", ".", ",", "=", ")", "0"]
    (tmp_path / "allow.yaml").write_text(ALLOW_ALL)
    run = desktop.agent("run", "--json", "--policy", str(tmp_path / "allow.yaml"),
                        *[arg for key in keys for arg in ("--step", f'click the "{key}" button')])
    assert [s["status"] for s in run.json["steps"]] == ["succeeded"] * len(keys), run.stderr
    app.wait_for_output(lambda out: out.count("pressed") == len(keys))
    assert [e["key"] for e in app.events()] == keys
    assert app.events()[-1]["display"] == "".join(keys)
