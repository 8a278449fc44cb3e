"""What the agent remembers: `store` (tasks, runs, steps; FTS5 search) with its `schema`, `blobs` and
`redact`; `places` and `feedback` (places found, proposals rejected, corrections); `recall` (memory in
grounding); `skills` (consolidation), `transfer` (export/import), `remembered` (`run --remembered`).

May import: core, language, screen, perception, grounding, safety, durability.
"""
