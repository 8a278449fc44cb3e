"""The values every part shares: geometry, frames, elements, targets, verdicts and results (`values`),
the step language's actions and the OS operations (`actions`), the exception tree (`errors`), the run's
event types (`events`) and JSON conversion (`jsonable`). Data only: nothing here does I/O.

May import: nothing of the engine.
"""
