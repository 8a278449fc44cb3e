"""What survives a crash: `ledger` (intent before every side effect, outcome after; `owner`: which
process owns a run), `snapshots` (content-addressed workspace snapshots), `restore` (putting one back),
`resume` (an interrupted run's plan and where to carry on), `private_db` (how SQLite files are opened).

May import: core, language, safety.
"""
