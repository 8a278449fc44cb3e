"""desktop_agent: a local, offline desktop computer-use agent (the engine; it never imports Qt).

Its packages, each allowed to import only those before it that its `__init__` names ("May import:";
tests/unit/test_layering.py enforces it): core, language, screen, perception, grounding, safety, act,
durability, memory, recording, run; then `compose` (the composition root), cli and demo.

Its version is pyproject.toml's, read from the installed metadata (`desktop-agent --version`).
"""
