"""The step language and task files: `vocabulary` (the words of targets), `phrases` (target phrases),
`steps` (step lines -> actions, whole tasks parsed before the first action), `task_file` (the YAML file:
parameters, policy, workspace, assets).

May import: core."""
