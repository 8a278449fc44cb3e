"""Each fault against the real Fault Form on Xvfb (see cases.py): the run must end recovered, or stopped
with a report, with no action outside the allowed window and no workspace byte lost — but for the one input
on its way as the application itself opened a modal, where the case allows it (a key only if reported)."""
from __future__ import annotations

import pytest

from tests.faults.cases import CASES, FaultCase, FaultRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("case", CASES, ids=[c.name.replace(" ", "-") for c in CASES])
def test_fault_ends_recovered_or_stopped_with_nothing_outside_and_nothing_lost(
        case: FaultCase, desktop, monkeypatch, fault_rows) -> None:
    measured = FaultRun(desktop, case, monkeypatch).measure()
    fault_rows.append((case, measured))

    assert measured.fault_happened, f"the fault was never injected: {measured.detail}"
    assert measured.outcome == case.expected.value, measured.detail
    in_flight = 0
    if case.one_input_in_flight and (measured.keys_outside == 0 or measured.keys_reported):
        in_flight = 1  # a click, or a key the run reported
    assert measured.outside_actions - in_flight <= 0, f"{measured.outside_actions} action(s) reached other windows"
    assert measured.bytes_lost == 0, f"{measured.bytes_lost} workspace byte(s) not restored"
