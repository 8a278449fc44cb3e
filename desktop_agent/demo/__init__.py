"""`make demo`: the sample app (a Tk order form), its task, and the virtual display helper.

May import: core, accessibility, language, screen, perception, grounding, safety, act, durability, memory, recording,
run, compose, cli.
"""
