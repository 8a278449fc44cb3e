"""The desktop as the OS gives it: `capture` (mss frames, the blank-capture check), `coords` (the only
pixel <-> point conversion), `windows` (top-level X11 windows, the agent's own among them, the topmost at a
point), `clipboard` (xclip).

May import: core.
"""
