"""The PySide6 desktop app over the engine. Imports desktop_agent; desktop_agent never imports this."""
