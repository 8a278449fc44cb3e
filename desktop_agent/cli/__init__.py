"""`desktop-agent`: `main` (the parser and the run/replay/ground/audit/runs/rollback commands), `resume`,
`memory`, `record` (record and parametrize) and `reporting` (the terminal log, the --json object, the
terminal approver). Other packages add subcommands through the `desktop_agent.commands` entry points.

May import: core, language, screen, perception, grounding, safety, act, durability, memory, recording,
run, compose.
"""
