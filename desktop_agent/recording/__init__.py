"""Recording a person doing a task once and turning it into readable steps with fallback locators.

`listener` captures real input (pynput; X RECORD on X11) with the screen as it was before each press;
`synthesize` merges raw input into recorded actions; `describe` turns them into steps, with `naming`
naming each target in the step language (checked to ground uniquely) and keeping its fallback locators;
`writer` saves the task file and its assets folder; `session` does both for what was recorded, leaving
out the agent's own windows (the `record` command and the app use it).

May import: core, language, screen, perception, grounding, safety.
"""
