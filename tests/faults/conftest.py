"""Collects one row per fault case and prints them as a table at the end of the session (`make faults`,
and `make test`, which runs these too)."""
from __future__ import annotations

import pytest

from tests.faults.cases import FaultCase, Measurement

ROWS = pytest.StashKey[list[tuple[FaultCase, Measurement]]]()
HEADER = ("fault", "expected", "outcome", "outside", "bytes lost", "seconds")


@pytest.fixture
def fault_rows(request: pytest.FixtureRequest) -> list[tuple[FaultCase, Measurement]]:
    """Where a fault test puts its case and what it measured, for the table."""
    return request.config.stash.setdefault(ROWS, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    rows = config.stash.get(ROWS, [])
    if not rows:
        return
    table = [HEADER] + [(case.name, case.expected.value, m.outcome, str(m.outside_actions),
                         str(m.bytes_lost), f"{m.seconds:.1f}") for case, m in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    terminalreporter.write_sep("=", "fault injection")
    for row in table:
        terminalreporter.write_line("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for case, measured in rows:
        terminalreporter.write_line(f"{case.name}: {measured.detail}")
