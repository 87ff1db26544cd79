"""Deal interval queries: a deal's intervals as recorded, and the stages it went through."""

from datetime import datetime
from typing import Any

from domain.stages import Stage, is_open
from projections.base import Reader
from projections.deal_intervals.projection import DEALS


class DealIntervalQueries:
    def __init__(self, read: Reader) -> None:
        self.read = read

    def intervals(self, opportunity_id: str) -> list[dict[str, Any]]:
        """Every interval of the deal, oldest first (none for a deal never opened)."""
        found = self.read.rows(f"SELECT {', '.join(DEALS.column_names)} FROM {DEALS.name} "
                               "WHERE opportunity_id = ? ORDER BY seq", (opportunity_id,))
        return [{c.name: self.read.value(c.type, row[c.name]) for c in DEALS.columns}
                for row in found]

    def stages(self, opportunity_id: str, now: datetime) -> list[dict[str, Any]]:
        """The stages the deal went through, in order: when it entered each, when it left
        (null while it is there), and the whole days it spent there (until ``now`` while
        it is still in an open stage; null in a closed one, which it never leaves)."""
        entered: list[tuple[str, datetime]] = []
        for interval in self.intervals(opportunity_id):
            if not entered or entered[-1][0] != interval["stage"]:
                entered.append((interval["stage"], interval["valid_from"]))
        stages = []
        for index, (stage, since) in enumerate(entered):
            left = entered[index + 1][1] if index + 1 < len(entered) else None
            until = left if left is not None else (now if is_open(Stage(stage)) else None)
            stages.append({"stage": stage, "entered_at": since, "left_at": left,
                           "days": None if until is None else (until - since).days})
        return stages
