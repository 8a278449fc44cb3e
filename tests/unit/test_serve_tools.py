"""The MCP tools' schemas and calls: what a client may send, and the clear error for what it may not."""
from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from desktop_agent.serve.tools import (
    TOOLS,
    ActElement,
    ActStep,
    BadCall,
    ElementAction,
    MemorySearch,
    Observe,
    Rollback,
    RunTask,
    parse_call,
)


def test_the_six_tools_have_valid_object_schemas():
    assert [t.name for t in TOOLS] == ["observe", "ground", "act", "run_task", "rollback", "memory_search"]
    for tool in TOOLS:
        for schema in (tool.input_schema, tool.output_schema):
            Draft202012Validator.check_schema(dict(schema))
            assert schema["type"] == "object"


@pytest.mark.parametrize(("name", "arguments", "call"), [
    ("observe", None, Observe()),
    ("observe", {"screenshot": True}, Observe(screenshot=True)),
    ("act", {"step": 'click "OK"'}, ActStep(step='click "OK"')),
    ("act", {"element": "o2.e5", "action": "type", "text": "Ada"},
     ActElement(element="o2.e5", action=ElementAction.TYPE, text="Ada")),
    ("act", {"element": "o2.e5", "action": "double-click"},
     ActElement(element="o2.e5", action=ElementAction.DOUBLE_CLICK)),
    ("run_task", {"steps": ['click "OK"'], "params": {"a": "b"}}, RunTask(steps=('click "OK"',), params={"a": "b"})),
    ("run_task", {"task_file": "order.yaml"}, RunTask(task_file=Path("order.yaml"))),
    ("rollback", {}, Rollback()),
    ("rollback", {"to_step": 3}, Rollback(to_step=3)),
    ("memory_search", {"query": "order form"}, MemorySearch(query="order form")),
])
def test_arguments_become_one_typed_call(name, arguments, call):
    assert parse_call(name, arguments) == call


@pytest.mark.parametrize(("name", "arguments", "message"), [
    ("click", {}, "unknown tool 'click'; the tools are: observe, ground, act"),
    ("act", {"step": 42}, "act: `step`: 42 is not of type 'string'"),
    ("act", {}, "give `step`"),
    ("act", {"step": 'click "OK"', "element": "o1.e1", "action": "click"}, "not both"),
    ("act", {"element": "o1.e1", "action": "type"}, "action 'type' needs `text`"),
    ("act", {"element": "o1.e1", "action": "click", "text": "x"}, "takes no `text`"),
    ("act", {"element": "o1.e1", "action": "launch"}, "`action`: 'launch' is not one of"),
    ("observe", {"screenshot": "yes"}, "`screenshot`: 'yes' is not of type 'boolean'"),
    ("observe", {"zoom": 2}, "Additional properties are not allowed ('zoom' was unexpected)"),
    ("run_task", {}, "either `steps` or `task_file`"),
    ("run_task", {"steps": ['click "OK"'], "task_file": "a.yaml"}, "either `steps` or `task_file`"),
    ("run_task", {"steps": [], }, "`steps`: [] should be non-empty"),
    ("rollback", {"to_step": 0}, "`to_step`: 0 is less than the minimum of 1"),
    ("ground", {}, "'target' is a required property"),
])
def test_a_bad_call_says_which_argument_and_why(name, arguments, message):
    with pytest.raises(BadCall) as caught:
        parse_call(name, arguments)
    assert message in str(caught.value)
    assert caught.value.unknown_tool == (name == "click")
