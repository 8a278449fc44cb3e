"""The nouns people use for the kinds of target: every noun and its plural parses to its role, a
misspelling gets "did you mean", and a word that is no kind of target says which kinds there are."""
from __future__ import annotations

import pytest

from desktop_agent.core.errors import TaskSyntaxError
from desktop_agent.core.values import Role, TargetSpec
from desktop_agent.language.steps import parse_target
from desktop_agent.language.vocabulary import ROLE_NOUNS, plural

NOUNS = [(noun, role) for role, nouns in ROLE_NOUNS.items() for noun in nouns]


@pytest.mark.parametrize(("noun", "role"), NOUNS)
def test_each_noun_and_its_plural_name_their_role(noun, role):
    assert parse_target(f'the "Documents" {noun}').role is role
    assert parse_target(f'the "Documents" {plural(noun)}').role is role


@pytest.mark.parametrize(("written", "role"), [
    ('the "Documents" place', Role.ITEM), ('the row "notes.txt"', Role.ITEM), ('the "DEL" key', Role.BUTTON),
    ('the "Landscape" radio button', Role.RADIO), ('the "General" tab', Role.TAB),
    ('the "Size" column header', Role.CELL), ('the "Sheet2" sheet tab', Role.TAB),
    ('the "Home" breadcrumb', Role.BUTTON), ('the "Volume" slider', Role.SLIDER)])
def test_targets_as_people_write_them(written, role):
    assert parse_target(written).role is role


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.TEXT])
def test_a_target_described_by_the_agent_reads_back_as_the_same_kind(role):
    described = TargetSpec(text="Documents", role=role).describe()
    assert parse_target(described).role is role


def test_a_misspelt_noun_gets_did_you_mean():
    with pytest.raises(TaskSyntaxError, match=r'(?s)"raido" is not a kind of target.*did you mean "radio"\?'):
        parse_target('the "Landscape" raido')


def test_a_word_that_is_no_kind_says_which_kinds_there_are_not_to_requote():
    with pytest.raises(TaskSyntaxError) as caught:
        parse_target('the "Landscape" gizmo')
    message = str(caught.value)
    assert '"gizmo" is not a kind of target' in message
    assert "button, field, checkbox, radio" in message and "item" in message
