"""`desktop-agent mcp`: safe computer use served to any agent over the Model Context Protocol (stdio).

`tools` (the six tools: their JSON schemas, and arguments -> typed calls), `elements` (element ids of
an observation, and whether an element is still there and looks the same), `confirm` (a policy's
`confirm` asked through the client's elicitation, or refused with the reason), `questions` (how the
question travels: an elicitation request, or `input_required` on a 2026-07-28 connection), `session`
(one MCP session = one run: each tool call as values), `replies` (values -> what a tool call
returns), `server` (the MCP server over stdio: the SDK, one worker thread for the engine), `command`
(the CLI subcommand, added through the `desktop_agent.commands` entry point). The SDK (`mcp`) is
imported by `server` and `questions` only.

May import: core, language, screen, perception, grounding, safety, act, durability, memory, run,
compose, cli.
"""
