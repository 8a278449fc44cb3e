"""Whether an action may happen: `policy` (pure: request -> verdict; `policy_fields`, `command_policy`,
`command_line`, `shell_line` for its parts), `guard` (the single chokepoint every action passes),
`approvals` (what a person is asked and answers), `audit` (hash-chained log), `stop` (stop token, hotkey,
corner watch), `vault` (secrets: filled, never written).

May import: core, language, screen.
"""
