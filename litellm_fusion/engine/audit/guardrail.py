"""The guardrail: a cheaper arm stops answering while its audited disagreement with the top arm is too high.

`max_disagreement` is a limit on the disagreement rate (1 - agreement, undecided audits left out). The arm trips
when the LOWER bound of the rate's 95% Wilson interval is above the limit (the data say, with 95% confidence, that
it disagrees more often than allowed), and is let go when the UPPER bound is at or below the limit (confident it is
back under). Between the two it keeps its state: that gap is the hysteresis, so an estimate sitting near the limit
does not flap, and an arm with too few audits to say either keeps its state (a new arm starts untripped).
"""

from __future__ import annotations

from dataclasses import dataclass

from .estimate import Tally


@dataclass(frozen=True)
class GuardChange:
    tripped: bool  # the new state
    reason: str


class Guardrail:
    def __init__(self, limit: float, tripped: bool = False) -> None:
        self.limit = limit
        self.tripped = tripped
        self.reason = ""
        self.changed_at: float | None = None

    def evaluate(self, tally: Tally, now: float) -> GuardChange | None:
        """The state after seeing `tally` (the arm's windowed counts); the change, if the state changed."""
        found = tally.disagreement()
        if found is None:
            return None
        what = f"disagreement {found.text()}"
        if not self.tripped and found.low > self.limit:
            self.tripped, self.changed_at = True, now
            self.reason = f"{what}: lower bound above max_disagreement {self.limit:g}"
            return GuardChange(True, self.reason)
        if self.tripped and found.high <= self.limit:
            self.tripped, self.changed_at = False, now
            self.reason = f"{what}: upper bound at or below max_disagreement {self.limit:g}"
            return GuardChange(False, self.reason)
        if self.tripped:
            self.reason = f"{what}: tripped until the upper bound is at or below {self.limit:g}"
        return None
