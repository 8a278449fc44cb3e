"""The accessibility sense: what each thing on screen *is*, from the platform's accessibility tree.
`nodes` (typed values, any platform), `atspi/` (Linux AT-SPI2: `bus`, `constants`, `reader`, `session`).

May import: core.
"""
