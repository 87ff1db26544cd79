"""A deal's interactions and its events in words, from timeline events (pure)."""

from typing import Any

from api.deal_history import interactions, what_happened
from projections.customer_timeline.answers import TimelineEvent


def event(name: str, day: int, **data: Any) -> TimelineEvent:
    return TimelineEvent(position=day, event_id=None, stream_type="Opportunity", stream_id="d",
                         version=day, type=f"Opportunity{name}",
                         occurred_at=f"2026-11-{day:02d}T09:00:00Z", actor="rep-1",
                         correlation_id=None, causation_id=None, data=data)


def moved(day: int, before: str, after: str) -> TimelineEvent:
    return event("StageChanged", day, from_stage=before, to_stage=after, probability=0)


OPENED = event("Opened", 2, stage="prospecting", amount="10000", currency="EUR")


def test_events_in_words_and_interactions_newest_first():
    call = event("InteractionLogged", 5, interaction_id="i", kind="call", notes="Hi",
                 outcome=None)
    meeting = event("InteractionLogged", 7, interaction_id="j", kind="meeting", notes="",
                    outcome="won them over")

    assert [what_happened(e) for e in (OPENED, moved(4, "proposal", "closed_won"), call,
                                       event("HandOverAdvanced", 8, status="introduced"),
                                       event("Won", 9, amount="1", currency="EUR"),
                                       event("HandedOver", 9, tier="upper", action="introduce",
                                             due="2026-12-01", from_rep_id="a", to_rep_id="b",
                                             actor_id="b"))] == [
        "Opened: prospecting, 10000 EUR", "Stage changed: proposal → closed won",
        "Interaction logged: call · Hi", "Hand over advanced: introduced", "Won",
        "Handed over: upper tier, introduce, due 2026-12-01"]
    assert interactions([OPENED, call, meeting]) == [meeting, call]
