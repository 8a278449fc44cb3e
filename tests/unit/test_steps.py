from pathlib import Path

import pytest

from desktop_agent.core.actions import (
    Check,
    Click,
    Drag,
    Expect,
    Launch,
    MouseButton,
    Press,
    Scroll,
    ScrollDirection,
    Select,
    Step,
    TypeText,
    WaitFor,
)
from desktop_agent.core.errors import AgentError, TaskSyntaxError
from desktop_agent.core.values import Anchor, Point, Relation, Role, TargetSpec
from desktop_agent.language.steps import (
    KNOWN_KEYS,
    load_task,
    parse_step,
    parse_steps,
    parse_target,
    plan_from_steps,
)

T = TargetSpec
B, F, CB, CO = Role.BUTTON, Role.FIELD, Role.CHECKBOX, Role.COMBO


def at(relation, **anchor):
    return Anchor(relation=relation, target=T(**anchor))


CLICKS = [
    ('click "Submit order"', Click(target=T(text="Submit order"))),
    ("click 'OK'", Click(target=T(text="OK"))),
    ("click OK", Click(target=T(text="OK"))),
    ("click Submit order", Click(target=T(text="Submit order"))),
    ("Click the OK button", Click(target=T(text="OK", role=B))),
    ("CLICK the OK button.", Click(target=T(text="OK", role=B))),
    ("click on the OK button", Click(target=T(text="OK", role=B))),
    ('then click "OK".', Click(target=T(text="OK"))),
    ("Please click OK", Click(target=T(text="OK"))),
    ("and click an OK button", Click(target=T(text="OK", role=B))),
    ("click Edit", Click(target=T(text="Edit"))),  # a lone role word is text ...
    ("click the button", Click(target=T(role=B))),  # ... unless an article makes it a role
    ("click First name field", Click(target=T(text="First name", role=F))),
    ("click Log in", Click(target=T(text="Log in"))),
    ("click Sign in with Google", Click(target=T(text="Sign in with Google"))),
    ("click Game over", Click(target=T(text="Game over"))),
    ('double-click "a.txt"', Click(target=T(text="a.txt"), count=2)),
    ('double click the "a.txt" icon', Click(target=T(text="a.txt", role=Role.ICON), count=2)),
    ('right-click "a.txt"', Click(target=T(text="a.txt"), button=MouseButton.RIGHT)),
    ("Right click Trash", Click(target=T(text="Trash"), button=MouseButton.RIGHT)),
]

ORDINALS_AND_RELATIONS = [
    ('the 2nd "Edit" button', T(text="Edit", role=B, ordinal=2)),
    ('the second "Edit" button', T(text="Edit", role=B, ordinal=2)),
    ('third "Edit"', T(text="Edit", ordinal=3)),
    ("the 11th link", T(role=Role.LINK, ordinal=11)),
    ('the last "Edit" button', T(text="Edit", role=B, ordinal=-1)),
    ("the last tab", T(role=Role.TAB, ordinal=-1)),
    ('the field right of "Name"', T(role=F, anchor=at(Relation.RIGHT_OF, text="Name"))),
    ('the field to the right of "Name"', T(role=F, anchor=at(Relation.RIGHT_OF, text="Name"))),
    ('the field left of "Name"', T(role=F, anchor=at(Relation.LEFT_OF, text="Name"))),
    ('the field to the left of "Name"', T(role=F, anchor=at(Relation.LEFT_OF, text="Name"))),
    ('the checkbox below the "Options" label', T(role=CB, anchor=at(Relation.BELOW, text="Options", role=Role.TEXT))),
    ('"OK" under "Total"', T(text="OK", anchor=at(Relation.BELOW, text="Total"))),
    ('"OK" beneath "Total"', T(text="OK", anchor=at(Relation.BELOW, text="Total"))),
    ('the button above "Total"', T(role=B, anchor=at(Relation.ABOVE, text="Total"))),
    ('the button over the "Total" field', T(role=B, anchor=at(Relation.ABOVE, text="Total", role=F))),
    ('the icon near "Trash"', T(role=Role.ICON, anchor=at(Relation.NEAR, text="Trash"))),
    ('"x" next to "Trash"', T(text="x", anchor=at(Relation.NEAR, text="Trash"))),
    ('"x" beside the Trash icon', T(text="x", anchor=at(Relation.NEAR, text="Trash", role=Role.ICON))),
    ('"Edit" in window "Notes"', T(text="Edit", anchor=at(Relation.INSIDE, text="Notes", role=Role.WINDOW))),
    ('"Edit" inside the window "Notes"',
     T(text="Edit", anchor=at(Relation.INSIDE, text="Notes", role=Role.WINDOW))),
    ('"Edit" inside the window titled "Notes"',
     T(text="Edit", anchor=at(Relation.INSIDE, text="Notes", role=Role.WINDOW))),
    ('"Edit" inside the region titled "Toolbar"', T(text="Edit", anchor=at(Relation.INSIDE, text="Toolbar"))),
    ('"OK" in the "Save" dialog', T(text="OK", anchor=at(Relation.INSIDE, text="Save", role=Role.WINDOW))),
    ('Save in the "File" menu', T(text="Save", anchor=at(Relation.INSIDE, text="File", role=Role.MENU))),
    ("OK below the Cancel button", T(text="OK", anchor=at(Relation.BELOW, text="Cancel", role=B))),
    ('the 2nd field below the "Name" field in window "Form"',
     T(role=F, ordinal=2, anchor=Anchor(relation=Relation.BELOW, target=T(
         text="Name", role=F, anchor=at(Relation.INSIDE, text="Form", role=Role.WINDOW))))),
    ("image:icons/save.png", T(image=Path("icons/save.png"))),
    ('"image:icons/my save.png"', T(image=Path("icons/my save.png"))),
    ('image:"icons/my save.png"', T(image=Path("icons/my save.png"))),
    ("at 120,340", T(point=Point(x=120, y=340))),
    ("at (120, 340)", T(point=Point(x=120, y=340))),
    ("at x=120 y=340", T(point=Point(x=120, y=340))),
    ("at -5,10", T(point=Point(x=-5, y=10))),
]

ROLE_ALIASES = [
    ("button", B), ("field", F), ("text field", F), ("textbox", F), ("text box", F), ("input", F),
    ("entry", F), ("box", F), ("edit", F), ("checkbox", CB), ("check box", CB), ("combo", CO),
    ("combobox", CO), ("combo box", CO), ("dropdown", CO), ("drop-down", CO), ("list", CO),
    ("menu", Role.MENU), ("menu item", Role.MENU), ("tab", Role.TAB), ("link", Role.LINK),
    ("icon", Role.ICON), ("Button", B),
]

ACTIONS = [
    ('type "hello"', TypeText(text="hello")),
    ('type "hello" into the "Name" field', TypeText(text="hello", target=T(text="Name", role=F))),
    ("type 'hello' in Name", TypeText(text="hello", target=T(text="Name"))),
    ('Type "Ada" Into the Name Field.', TypeText(text="Ada", target=T(text="Name", role=F))),
    ('type "x" into the field right of "Name"',
     TypeText(text="x", target=T(role=F, anchor=at(Relation.RIGHT_OF, text="Name")))),
    ('enter "x" into the "Name" field', TypeText(text="x", target=T(text="Name", role=F))),
    ('fill the "Name" field with "Ada"', TypeText(text="Ada", target=T(text="Name", role=F))),
    (r'type "say \"hi\"\n\tbye"', TypeText(text='say "hi"\n\tbye')),
    (r"type 'it\'s'", TypeText(text="it's")),
    (r'type "C:\temp\x"', TypeText(text="C:\temp\\x")),
    ("type 'Don't save'", TypeText(text="Don't save")),  # a quote closes only before a space or the end
    ("press ctrl+s", Press(keys=("ctrl", "s"))),
    ("press Ctrl+Shift+Tab", Press(keys=("ctrl", "shift", "tab"))),
    ("press Enter", Press(keys=("enter",))),
    ("press tab.", Press(keys=("tab",))),
    ("hit Return", Press(keys=("enter",))),
    ("key esc", Press(keys=("escape",))),
    ("press control+del", Press(keys=("ctrl", "delete"))),
    ("press cmd+Q", Press(keys=("super", "q"))),
    ("press win", Press(keys=("super",))),
    ("press pgdn", Press(keys=("pagedown",))),
    ("press ctrl + s", Press(keys=("ctrl", "s"))),
    ("press the Enter key", Press(keys=("enter",))),
    ("press page down", Press(keys=("pagedown",))),
    ("press ctrl++", Press(keys=("ctrl", "+"))),
    ("press .", Press(keys=(".",))),
    ("press ctrl+.", Press(keys=("ctrl", "."))),
    ("press F5.", Press(keys=("f5",))),
    ('press "alt+f4"', Press(keys=("alt", "f4"))),
    ('check "Remember me"', Check(target=T(text="Remember me"))),
    ('tick the "Remember me" checkbox', Check(target=T(text="Remember me", role=CB))),
    ('uncheck "Remember me"', Check(target=T(text="Remember me"), checked=False)),
    ("untick Remember me", Check(target=T(text="Remember me"), checked=False)),
    ('select "Express" in the "Shipping" combo',
     Select(option="Express", target=T(text="Shipping", role=CO))),
    ('choose "Express" from "Shipping"', Select(option="Express", target=T(text="Shipping"))),
    ('select the "Express" option from the Shipping dropdown',
     Select(option="Express", target=T(text="Shipping", role=CO))),
    ("scroll down", Scroll(direction=ScrollDirection.DOWN)),
    ("scroll up 10", Scroll(direction=ScrollDirection.UP, amount=10)),
    ('scroll down 5 in the "Results" list',
     Scroll(direction=ScrollDirection.DOWN, amount=5, target=T(text="Results", role=CO))),
    ('scroll down over "Results"', Scroll(direction=ScrollDirection.DOWN, target=T(text="Results"))),
    ('scroll up 2 times over the "Results" list',
     Scroll(direction=ScrollDirection.UP, amount=2, target=T(text="Results", role=CO))),
    ('drag "a.txt" to the "Trash" icon',
     Drag(source=T(text="a.txt"), destination=T(text="Trash", role=Role.ICON))),
    ('drag the "x" icon onto the field right of "Name"',
     Drag(source=T(text="x", role=Role.ICON),
          destination=T(role=F, anchor=at(Relation.RIGHT_OF, text="Name")))),
    ('drag "x" to the right of "y" to "Trash"',
     Drag(source=T(text="x", anchor=at(Relation.RIGHT_OF, text="y")), destination=T(text="Trash"))),
    ('wait for "Saved"', WaitFor(target=T(text="Saved"))),
    ('wait for "Saved" to appear up to 5 s', WaitFor(target=T(text="Saved"), timeout_s=5.0)),
    ('wait for "Saving" to disappear', WaitFor(target=T(text="Saving"), appear=False)),
    ('wait for "Saving" to vanish up to 30 seconds',
     WaitFor(target=T(text="Saving"), appear=False, timeout_s=30)),
    ('wait for the "Busy" icon to be gone within 2 min',
     WaitFor(target=T(text="Busy", role=Role.ICON), appear=False, timeout_s=120)),
    ('wait until "Saved" appears', WaitFor(target=T(text="Saved"))),
    ('wait until "Saving" disappears up to 1.5 sec',
     WaitFor(target=T(text="Saving"), appear=False, timeout_s=1.5)),
    ('wait for "Saved" up to 500ms', WaitFor(target=T(text="Saved"), timeout_s=0.5)),
    ('wait up to 5s for "Saved"', WaitFor(target=T(text="Saved"), timeout_s=5.0)),
    ('expect "Saved"', Expect(target=T(text="Saved"))),
    ('expect "Saved" to be visible', Expect(target=T(text="Saved"))),
    ('assert "Saved" is visible', Expect(target=T(text="Saved"))),
    ('verify that the "OK" button is visible', Expect(target=T(text="OK", role=B))),
    ('launch "gedit /tmp/notes.txt"', Launch(argv=("gedit", "/tmp/notes.txt"))),
    ("""open "xdg-open 'my file.txt'" """, Launch(argv=("xdg-open", "my file.txt"))),
    ('start "xterm -e top; rm -rf x"', Launch(argv=("xterm", "-e", "top;", "rm", "-rf", "x"))),
]


@pytest.mark.parametrize(("text", "action"), CLICKS + ACTIONS)
def test_step_forms(text, action):
    assert parse_step(text, line=7) == Step(line=7, text=text.strip(), action=action)


@pytest.mark.parametrize(("phrase", "target"), ORDINALS_AND_RELATIONS)
def test_target_phrases(phrase, target):
    assert parse_step(f"click {phrase}").action == Click(target=target)
    assert parse_target(phrase) == target


@pytest.mark.parametrize(("alias", "role"), ROLE_ALIASES)
def test_role_aliases(alias, role):
    assert parse_step(f'click the "X" {alias}').action == Click(target=T(text="X", role=role))


def test_empty_target_phrase_is_an_error():
    with pytest.raises(TaskSyntaxError) as info:
        parse_target("  ")
    assert (info.value.message, info.value.location.source) == ("empty target", "<target>")


def test_known_keys_cover_names_aliases_and_characters():
    assert {"enter", "esc", "escape", "win", "super", "f12", "a", "0", "/", "pagedown"} <= KNOWN_KEYS
    assert all(key == key.lower() for key in KNOWN_KEYS)


# ---------------------------------------------------------------- parameters
def test_params_fill_quoted_text_and_keep_secrets_and_braces():
    step = parse_step('type "Hi {name}, {{x}} {secret:PW}" into the "{field}" field',
                      params={"name": "Ada", "field": "Name"})
    assert step.action == TypeText(text="Hi Ada, {x} {secret:PW}", target=T(text="Name", role=F))


def test_param_with_spaces_stays_one_launch_argument():
    step = parse_step('launch "gedit {file}"', params={"file": "my notes.txt"})
    assert step.action == Launch(argv=("gedit", "my notes.txt"))


def test_unquoted_braces_are_not_parameters():
    assert parse_step("click {name}").action == Click(target=T(text="{name}"))


# ---------------------------------------------------------------- errors
ERRORS = [
    # text, message, column, suggestion
    ('clik "OK"', 'unknown verb "clik"', 1, 'did you mean "click"?'),
    ('click "Submit', "unterminated quote", 7, "close the quote"),
    ("click", "click needs a target", 6, 'name it: "OK", the "Name" field, image:icon.png or at 120,340'),
    ('type "x" into', "type into needs a target", 14,
     'name it: "OK", the "Name" field, image:icon.png or at 120,340'),
    ("press ctrl+entr", 'unknown key "entr"', 12, 'did you mean "enter"?'),
    ("press ctrl s", 'press takes one chord, got "ctrl s"', 7, 'join the keys with "+", e.g. ctrl+s'),
    ("press ctrl+", "missing key after +", 12, "write a chord like ctrl+s"),
    ("scroll down 5x", 'bad number "5x"', 13,
     'write the number of clicks in digits: scroll down 5 in "Results"'),
    ('wait for "x" up to 5q', 'bad number "5q"', 20, "write a time like: up to 5 s"),
    ("scroll dwn", "scroll needs a direction", 8, 'did you mean "down"?'),
    ('drag "a.txt"', "drag needs a destination", 13, 'write: drag "a.txt" to the "Trash" icon'),
    ('type "hi {nme}"', "unknown parameter {nme}", 10,
     "did you mean {name}? known parameters: name; write {{ and }} for literal braces"),
    ("type hello", "type needs quoted text", 6, 'put the text in quotes: type "hello" into the "Name" field'),
    ('click "OK" buton', '"buton" is not a kind of target', 12, 'did you mean "button"?'),
    ('click "a" "b"', "a target names one text or image", 11, "put all of the text in one pair of quotes"),
    ('click "OK" at 1,2', "a target names one of text, image or point", 7, ""),
    ("click the 0th button", "ordinals start at 1", 7, ""),
    ("click at 12", 'bad point "12"', 10, "write a point as at 120,340"),
    ("scroll down 0", "scroll amount must be 1..100, got 0", 13, ""),
    ('wait for "x" up to 11 min', "wait timeout must be in (0, 600] s, got 660.0", 20, ""),
    ('wait "x"', 'wait needs "for" or "until"', 6, 'write: wait for "Saved" to appear up to 5 s'),
    ('type ""', "type needs non-empty text", 6, ""),
    ('click ""', "empty text", 7, 'put the text to find between the quotes: "OK"'),
    ("launch gedit", "launch needs one quoted command line", 8, 'write: launch "gedit notes.txt"'),
    ('select "Express"', "select needs a list to choose from", 17,
     'write: select "Express" in the "Shipping" combo'),
    ('fill the "Name" field', 'fill needs: fill <target> with "text"', 22,
     'write: fill the "Name" field with "Ada"'),
    ('expect "Saved" is not visible', "expect only checks that something is visible", 19,
     'to check that it went away, write: wait for "Saving" to disappear'),
    ("", "not a step: the line is blank or a comment", 1, 'write a step such as click "OK"'),
]


@pytest.mark.parametrize(("text", "message", "column", "suggestion"), ERRORS)
def test_errors_point_at_the_token(text, message, column, suggestion):
    with pytest.raises(TaskSyntaxError) as info:
        parse_step(text, line=3, source="t.yaml", params={"name": "Ada"})
    error = info.value
    assert (error.message, error.location.line, error.location.column, error.suggestion) == \
        (message, 3, column, suggestion)
    assert (error.location.source, error.location.text) == ("t.yaml", text)


def test_unknown_verb_without_close_match_lists_verbs():
    with pytest.raises(TaskSyntaxError) as info:
        parse_step("xyzzy OK")
    assert info.value.suggestion.startswith("start the step with a verb: check, clear, click, double-click")


def test_unknown_param_without_params_says_so():
    with pytest.raises(TaskSyntaxError) as info:
        parse_step('type "{who}"')
    assert info.value.suggestion.startswith("no parameters are defined")


def test_error_text_shows_a_caret_under_the_token():
    with pytest.raises(TaskSyntaxError) as info:
        parse_step("press ctrl+entr")
    assert str(info.value).splitlines() == [
        "<step>:1:12: unknown key \"entr\"", "    press ctrl+entr", "               ^",
        '  hint: did you mean "enter"?']


def test_parse_steps_skips_blanks_and_comments_and_keeps_line_numbers():
    steps = parse_steps(["click OK", "", "  # a comment", "press enter"], first_line=10)
    assert [(s.line, s.text) for s in steps] == [(10, "click OK"), (13, "press enter")]


def test_parse_steps_reports_the_first_bad_line():
    with pytest.raises(TaskSyntaxError) as info:
        parse_steps(["click OK", "# fine", "clik Cancel", "presss x"], source="cli")
    assert (info.value.location.source, info.value.location.line) == ("cli", 3)


def test_plan_from_steps():
    plan = plan_from_steps(['type "{who}"', "press enter"], params={"who": "Ada"})
    assert plan.name == "ad-hoc" and plan.params == {"who": "Ada"}
    assert [s.action for s in plan.steps] == [TypeText(text="Ada"), Press(keys=("enter",))]
    with pytest.raises(TaskSyntaxError) as info:
        plan_from_steps(["# nothing"])
    assert info.value.message == "no steps given"


# ---------------------------------------------------------------- task files
def write(tmp_path, text, name="task.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def syntax_error(path, **kwargs):
    with pytest.raises(TaskSyntaxError) as info:
        load_task(path, **kwargs)
    return info.value


def test_load_valid_task(tmp_path):
    path = write(tmp_path, """\
# a comment line
name: Save a note
policy: policies/strict.yaml
workspace: [notes, /abs/dir]
params:
  who: Ada
  port: 8080
steps:
  - click "New"
  - type "Hi {who} on {port}" into the "Body" field   # trailing comment
  - "# disabled step"
  - 'press ctrl+s'
""")
    plan = load_task(path)
    assert plan.name == "Save a note"
    assert plan.policy == tmp_path / "policies/strict.yaml"
    assert plan.workspace == (tmp_path / "notes", Path("/abs/dir"))
    assert plan.params == {"who": "Ada", "port": "8080"}
    assert plan.steps == (
        Step(line=9, text='click "New"', action=Click(target=T(text="New"))),
        Step(line=10, text='type "Hi {who} on {port}" into the "Body" field',
             action=TypeText(text="Hi Ada on 8080", target=T(text="Body", role=F))),
        Step(line=12, text="press ctrl+s", action=Press(keys=("ctrl", "s"))),
    )


def test_load_task_params_argument_overrides_the_file(tmp_path):
    path = write(tmp_path, 'name: t\nparams: {who: Ada}\nsteps:\n  - type "{who}"\n')
    assert load_task(path, params={"who": "Bob"}).steps[0].action == TypeText(text="Bob")


def test_step_error_reports_its_file_line_and_column(tmp_path):
    path = write(tmp_path, 'name: t\nsteps:\n  - click "OK"\n  - press ctrl+entr\n')
    error = syntax_error(path)
    loc = error.location
    assert (loc.source, loc.line, loc.column, loc.text) == (str(path), 4, 16, "  - press ctrl+entr")
    assert error.suggestion == 'did you mean "enter"?'


def test_quoted_yaml_step_columns_skip_the_quote(tmp_path):
    path = write(tmp_path, "name: t\nsteps:\n  - 'clik \"OK\"'\n")
    assert (syntax_error(path).location.line, syntax_error(path).location.column) == (3, 6)


def test_escaped_yaml_step_columns_count_within_the_step(tmp_path):
    path = write(tmp_path, 'name: t\nsteps:\n  - "type \\"x\\" intoo \\"Name\\""\n')
    loc = syntax_error(path).location
    assert (loc.line, loc.column, loc.text) == (3, 10, 'type "x" intoo "Name"')


def test_yaml_syntax_error_has_its_line(tmp_path):
    path = write(tmp_path, 'name: t\nsteps:\n  - click "OK"\n  - [unclosed\n')
    error = syntax_error(path)
    assert error.message.startswith("YAML syntax error")
    assert error.location.line == 5


def test_yaml_syntax_error_mid_file(tmp_path):
    path = write(tmp_path, 'name: t\nsteps:\n  - click "OK"\n bad: indent\n')
    error = syntax_error(path)
    assert error.message.startswith("YAML syntax error") and error.location.line == 4


@pytest.mark.parametrize(("text", "message", "line", "column", "suggestion"), [
    ("steps: [click OK]\n", 'missing key "name"', 1, 1, "add it, e.g. name: Save a note"),
    ("name: t\n", 'missing key "steps"', 1, 1, 'add it, e.g. steps: [click "OK"]'),
    ("name: t\nsteps: click OK\n", '"steps" must be a non-empty list of strings', 2, 8,
     'put each step on its own line starting with "- "'),
    ("name: t\nsteps: []\n", '"steps" must be a non-empty list of strings', 2, 8,
     'put each step on its own line starting with "- "'),
    ("name: t\nstep: [click OK]\n", 'unknown key "step"', 2, 1, 'did you mean "steps"?'),
    ("name: t\nsteps: [click OK]\ncolour: red\n", 'unknown key "colour"', 3, 1,
     "known keys: name, steps, policy, workspace, params, assets"),
    ("name: [a]\nsteps: [click OK]\n", '"name" must be a string', 1, 7, ""),
    ("name: t\nsteps:\n  - click: OK\n", "a step must be a string", 3, 5,
     'quote the whole step if it contains ": "'),
    ("name: t\nsteps: ['# off']\n", '"steps" has only blank or comment lines', 2, 8, ""),
    ("name: t\nsteps: [click OK]\nparams: [a]\n", '"params" must be a mapping of name: value', 3, 9, ""),
    ("name: t\nsteps: [click OK]\nparams: {a: [1]}\n", 'parameter "a" needs a text value', 3, 13, ""),
    ("name: t\nsteps: [click OK]\nworkspace: here\n", '"workspace" must be a list of paths', 3, 12,
     'put each path on its own line starting with "- "'),
    ("name: t\nsteps: [click OK]\nname: u\n", 'duplicate key "name"', 3, 1, ""),
    ("- click OK\n", "a task file is a mapping with name: and steps:", 1, 1, ""),
    ("", "the task file is empty", 1, 1, "write name: and steps: keys"),
])
def test_task_file_errors(tmp_path, text, message, line, column, suggestion):
    error = syntax_error(write(tmp_path, text))
    assert (error.message, error.location.line, error.location.column, error.suggestion) == \
        (message, line, column, suggestion)


def test_missing_task_file_is_an_agent_error(tmp_path):
    with pytest.raises(AgentError) as info:
        load_task(tmp_path / "nope.yaml")
    assert not isinstance(info.value, TaskSyntaxError)
    assert info.value.message == f"cannot read task file {tmp_path / 'nope.yaml'}: No such file or directory"


def test_an_unknown_parameter_on_the_command_line_is_bad_input(tmp_path):
    task = tmp_path / "order.yaml"
    task.write_text('name: order\nsteps:\n  - type "{customer}" into the "Name" field\n'
                    "params:\n  customer: Ada\n")
    with pytest.raises(AgentError, match=r"unknown parameter 'custmer'.*did you mean \"customer\"") as caught:
        load_task(task, params={"custmer": "Grace"})
    assert "its parameters: customer" in str(caught.value)
    assert load_task(task, params={"customer": "Grace"}).params == {"customer": "Grace"}
    with pytest.raises(AgentError, match="unknown parameter 'nme' for the --step lines"):
        plan_from_steps(['type "{name}"'], params={"nme": "x"})
    assert plan_from_steps(['type "{name}"'], params={"name": "x"}).params == {"name": "x"}


@pytest.mark.parametrize("text, message, column", [
    ("click the field right of", "right of needs a target", 25),
    ("click right of", "right of needs a target", 15),
    ('type "x" into the field below', "below needs a target", 30),
    ('click "Name" below', "below needs a target", 19),
])
def test_a_relation_with_nothing_after_it_is_refused_before_anything_runs(text, message, column):
    with pytest.raises(TaskSyntaxError, match=message) as caught:
        parse_step(text)
    assert caught.value.location.column == column


@pytest.mark.parametrize("text", ["click Log in", "click Sign in", "click Zoom in"])
def test_a_relation_word_ending_plain_words_stays_text(text):
    assert parse_step(text).action.target.text == text.removeprefix("click ")


@pytest.mark.parametrize("text, hint", [
    ('wait for "X" up to 5 hours', "write the time in ms, s or min"),
    ('wait for "X" up to 5 secnds', 'did you mean "seconds"?'),
])
def test_a_time_unit_that_does_not_work_says_which_do(text, hint):
    with pytest.raises(TaskSyntaxError, match="unknown time unit") as caught:
        parse_step(text)
    assert hint in caught.value.suggestion and "quotes" not in caught.value.suggestion


@pytest.mark.parametrize("text, seconds", [('wait for "X" up to 5 to appear', 5.0),
                                           ('wait for "X" up to 300 milliseconds', 0.3)])
def test_times_that_work_still_parse(text, seconds):
    assert parse_step(text).action.timeout_s == seconds


def test_a_quote_left_open_is_pointed_at_not_what_follows():
    with pytest.raises(TaskSyntaxError, match='the quote here is not closed before "Email" begins') as caught:
        parse_step('type "x into the "Email" field')
    assert caught.value.location.column == 6  # the opening quote, not "field" at column 26
    assert parse_step('click "Don\'t save"').action.target.text == "Don't save"


def test_an_over_indented_step_is_not_merged_into_the_one_above(tmp_path):
    task = tmp_path / "t.yaml"
    task.write_text('name: t\nsteps:\n  - type "a" into "Email"\n    - click "OK"\n')
    with pytest.raises(TaskSyntaxError, match="indented more than the one on line 3") as caught:
        load_task(task)
    assert (caught.value.location.line, caught.value.location.column) == (4, 5)
    task.write_text('name: t\nsteps:\n  - type "a" into "Email"\n  - click "OK"\n')
    assert [s.text for s in load_task(task).steps] == ['type "a" into "Email"', 'click "OK"']
