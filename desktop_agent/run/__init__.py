"""Running a plan: `runner` (the loop, a generator of events), `open_run` (a run whose steps come one at
a time, each through the runner's own step), `finding` (looks, targets held still,
polling), `interactions` (per action: targets, operations, expectation), `verify` (settle and checks),
`inverse` (each action's inverse), `rollback` (checkpoints before a step, rollback after a failed check),
`trace` (events, screenshots, report), `to_task` (a finished run as a task).

May import: core, language, screen, perception, grounding, safety, act, durability, memory.
"""
