"""Recorded actions -> steps a person can read and edit, with each target's fallback locator and crop.

A click becomes `click T` (T named by `naming.name_place` and checked to ground back to what was
clicked); a click on a field followed at once by typing becomes one `type "TEXT" into T`; other typing
is `type "TEXT"`; chords are `press ctrl+s`; drags `drag T to T`; wheel turns `scroll down 3 in T`.

Guaranteed: every step parses with `steps.parse_step` (given `params`); text typed into a field whose
label or text matches `secret_fields` (the policy's pattern) is replaced by `{secret:NAME}` and appears
nowhere in the Recording (a `params` entry with that value is listed in `withheld_params`, for the
writer to leave out); a typed value equal to a `params` value becomes `{name}`; each snapshot is
perceived at most once. Also masked: typing reached by Tab from a clicked field when the field Tab
moves to (reading order) is secret, and typing into a window whose title matches the pattern.
Not guaranteed: that other secret typing is recognised (a field reached some other way), or that a
secret shown in clear on screen stays out of a later step's crop.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.values import Element, Point, Role, Screen
from desktop_agent.grounding.locators import Locator
from desktop_agent.language.phrases import quote
from desktop_agent.language.steps import KNOWN_KEYS, parse_step, parse_target
from desktop_agent.recording.events import (
    RecordedAction,
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedScroll,
    RecordedTyping,
    Snapshot,
)
from desktop_agent.recording.naming import Place, name_place, spec_texts

Perceive = Callable[[Snapshot], Screen]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Recording:
    steps: tuple[str, ...]
    locators: tuple[Locator, ...]
    crops: dict[str, np.ndarray]  # file name in the assets folder -> BGR pixels
    secrets: tuple[str, ...]      # NAMEs of the {secret:NAME} placeholders used
    notes: tuple[str, ...]        # what a person should look at (a target found only by its picture)
    withheld_params: tuple[str, ...] = ()  # params whose value was typed into a secret field: never saved


def describe(actions: Sequence[RecordedAction], perceive: Perceive, *, secret_fields: re.Pattern[str],
             params: Mapping[str, str] = {}, assets: str = "assets") -> Recording:
    """The steps for `actions`. `assets` is the crops' folder relative to the task file (image targets
    name it); `perceive` gives the screen a snapshot shows."""
    book = _Book(perceive=perceive, secret_fields=secret_fields, params=dict(params), assets=assets)
    i = 0
    while i < len(actions):
        action, following = actions[i], actions[i + 1] if i + 1 < len(actions) else None
        i += 1
        match action:
            case RecordedClick(point=point, before=before, button=button, count=count):
                place = book.place(point, before)
                if (isinstance(following, RecordedTyping) and button is MouseButton.LEFT and count == 1
                        and _is_field(place.element)):
                    secret = book.secret_name(place.element, spec_texts(parse_target(place.phrase)))
                    book.add(f"type {book.typed(following.text, secret)} into {place.phrase}", place)
                    i += 1
                elif (button is MouseButton.LEFT and count == 1
                      and (ticked := _ticked(place.element, book.look(before),
                                             lambda: book.look_after(following))) is not None):
                    book.add(f"{'check' if ticked else 'uncheck'} {place.phrase}", place)  # a state
                else:
                    book.add(f"{_click_verb(button, count)} {place.phrase}", place)
                    if button is MouseButton.MIDDLE:
                        book.notes.append(f"step {len(book.steps)}: a middle click, recorded as a click")
                book.focus = (place.element, book.look(before)) if _is_field(place.element) else None
            case RecordedTyping(text=text, before=before):
                book.add(f"type {book.typed(text, book.untargeted_secret(before))}")
            case RecordedChord(keys=keys):
                book.press(keys)
            case RecordedScroll(point=point, clicks=clicks, before=before):
                if clicks == 0:
                    continue
                place = book.place(point, before)
                direction = "up" if clicks > 0 else "down"
                book.add(f"scroll {direction} {min(abs(clicks), 100)} in {place.phrase}", place)
            case RecordedDrag(start=start, end=end, before=before):
                source = book.place(start, before)
                destination = book.place(end, before, suffix="-to")
                book.add(f"drag {source.phrase} to {destination.phrase}", source, destination)
                book.focus = None
    for name in book.params:
        if name in book.withheld:
            book.notes.append(f"parameter {{{name}}}: its value was typed into a secret field, so it is "
                              "not saved; the step holds a {secret:...} placeholder")
        elif name not in book.used_params:
            book.notes.append(f"parameter {{{name}}}: its value was never typed")
    return Recording(steps=tuple(book.steps), locators=tuple(book.locators), crops=book.crops,
                     secrets=tuple(dict.fromkeys(book.secrets)), notes=tuple(book.notes),
                     withheld_params=tuple(sorted(book.withheld)))


@dataclass(slots=True, kw_only=True)
class _Book:
    """The recording being written: steps, locators, crops, and where the keyboard focus is thought to be."""

    perceive: Perceive
    secret_fields: re.Pattern[str]
    params: dict[str, str]
    assets: str
    steps: list[str] = field(default_factory=list)
    locators: list[Locator] = field(default_factory=list)
    crops: dict[str, np.ndarray] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)
    focus: tuple[Element | None, Screen] | None = None  # the field last clicked, on the screen it was seen
    screens: dict[Snapshot, Screen] = field(default_factory=dict)

    def look_after(self, following: RecordedAction | None) -> Screen | None:
        """The screen as the action after this one saw it before it happened (a chord keeps none)."""
        if following is None or isinstance(following, RecordedChord):
            return None
        return self.look(following.before)

    def look(self, snapshot: Snapshot) -> Screen:
        if snapshot not in self.screens:  # snapshots compare by identity
            self.screens[snapshot] = self.perceive(snapshot)
        return self.screens[snapshot]

    def place(self, point: Point, snapshot: Snapshot, *, suffix: str = "") -> Place:
        number = len(self.steps) + 1
        return name_place(point, snapshot, self.look(snapshot), step=number,
                          crop_name=f"step{number:03d}{suffix}.png", assets=self.assets)

    def add(self, step: str, *places: Place) -> None:
        parse_step(step, line=len(self.steps) + 1, source="<recording>", params=self.params)  # a bug if not
        self.steps.append(step)
        for place in places:
            crop_file = place.locator.crop
            assert crop_file is not None  # name_place always names the crop's file
            self.locators.append(place.locator)
            self.crops[crop_file] = place.crop
            self.crops[f"step{place.locator.step:03d}-before.png"] = place.before
            if place.note:
                self.notes.append(f"step {len(self.steps)}: {place.note}")

    def press(self, keys: tuple[str, ...]) -> None:
        unknown = [k for k in keys if k not in KNOWN_KEYS]
        if unknown or not keys:
            self.notes.append(f"a key press left out: no step names the key {'+'.join(keys) or '(none)'}")
            return
        self.add(f"press {'+'.join(keys)}")
        if self.focus is not None and keys in (("tab",), ("shift", "tab")):  # other keys keep the focus
            element, screen = self.focus
            self.focus = (_next_field(screen, element, back=keys[0] == "shift"), screen)

    def typed(self, text: str, secret: str | None) -> str:
        """The quoted text of a type step: a secret placeholder, a parameter, or the text itself."""
        if secret is not None:
            self.secrets.append(secret)
            self.withheld.update(n for n, value in self.params.items() if value == text)
            return f'"{{secret:{secret}}}"'
        name = next((n for n, value in self.params.items() if value == text), None)
        if name is not None:
            self.used_params.add(name)
            return f'"{{{name}}}"'
        return quote(text)

    def secret_name(self, element: Element | None, names: Sequence[str] = ()) -> str | None:
        """NAME for `{secret:NAME}` when the field's label or text, or one of `names` (the words that
        name it), matches the policy's secret-fields pattern; None otherwise."""
        texts = [element.label, element.text] if element is not None else []
        hit = next((t for t in [*texts, *names] if t and self.secret_fields.search(t)), None)
        return None if hit is None else _slug(hit)

    def untargeted_secret(self, before: Snapshot) -> str | None:
        """Typing with no field clicked just before: secret when Tab led into a secret field or the
        focused window's title matches the pattern."""
        if self.focus is not None and (name := self.secret_name(self.focus[0])) is not None:
            return name
        title = before.focused.title if before.focused is not None else ""
        hit = self.secret_fields.search(title)
        return None if hit is None else _slug(hit.group())


def _click_verb(button: MouseButton, count: int) -> str:
    if button is MouseButton.RIGHT:
        return "right-click"
    return "double-click" if count >= 2 else "click"


def _ticked(clicked: Element | None, before: Screen, after: Callable[[], Screen | None]) -> bool | None:
    """Whether a click on a checkbox (or its label) left it ticked: as the screen after the click shows
    it when that shows it toggled, else the opposite of before; None when no tick state is known."""
    box = _checkbox_of(clicked, before)
    if box is None or box.checked is None:
        return None
    seen = after()
    now = _checkbox_at(box, seen) if seen is not None else None
    return now.checked if now is not None and now.checked is not None and now.checked != box.checked \
        else not box.checked


def _checkbox_of(element: Element | None, screen: Screen) -> Element | None:
    if element is None or element.role is Role.CHECKBOX:
        return element
    if element.role is not Role.TEXT or not element.text:
        return None
    return next((e for e in screen.elements if e.role is Role.CHECKBOX and e.window_id == element.window_id
                 and e.label == element.text), None)


def _checkbox_at(box: Element, screen: Screen) -> Element | None:
    return next((e for e in screen.elements if e.role is Role.CHECKBOX and e.box.iou(box.box) >= 0.5), None)


def _is_field(element: Element | None) -> bool:
    return element is not None and element.role is Role.FIELD


def _next_field(screen: Screen, element: Element | None, *, back: bool) -> Element | None:
    """The field Tab moves to from `element`: the next (or previous) in reading order in its window."""
    if element is None:
        return None
    fields = sorted((e for e in screen.elements if e.role is Role.FIELD and e.window_id == element.window_id),
                    key=lambda e: (e.box.top, e.box.left))
    index = next((i for i, e in enumerate(fields) if e is element), None)
    if index is None:
        return None
    index += -1 if back else 1
    return fields[index] if 0 <= index < len(fields) else None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "secret"
