"""desktop_agent: a local, offline desktop computer-use agent (engine; never imports Qt)."""

__version__ = "0.1.0"
