"""`desktop-agent mcp`: safe computer use served to any agent over the Model Context Protocol (stdio, or
streamable HTTP on 127.0.0.1 with a bearer token).

`tools` (the six tools: their JSON schemas, and arguments -> typed calls), `elements` (element ids of
an observation, and whether an element is still there and looks the same), `confirm` (a policy's
`confirm` asked through the client's elicitation, else the desktop app, else refused with the reason),
`questions` (how the question travels: an elicitation request, or `input_required` on a 2026-07-28
connection), `session` (one MCP session = one run: each tool call as values, its events to a watcher),
`opening` (what a serving session is given and how its run is opened), `replies` (values -> what a
tool call returns), `server` (the SDK's server: one worker thread for the engine, how a session ends),
`stdio` and `http` (the two transports; http: uvicorn, loopback only, the bearer token), `command` (the
CLI subcommand, added through the `desktop_agent.commands` entry point). The SDK (`mcp`) is imported by
`server`, `questions`, `stdio` and `http` only; nothing here imports Qt.

May import: core, language, screen, perception, grounding, safety, act, durability, memory, run,
compose, cli.
"""
