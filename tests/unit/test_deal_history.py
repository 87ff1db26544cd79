"""A deal's stages over time and its events in words, from timeline events (pure)."""

from datetime import UTC, datetime
from typing import Any

from api.deal_history import interactions, stage_intervals, what_happened
from projections.customer_timeline.answers import TimelineEvent

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def event(name: str, day: int, **data: Any) -> TimelineEvent:
    return TimelineEvent(position=day, event_id=None, stream_type="Opportunity", stream_id="d",
                         version=day, type=f"Opportunity{name}",
                         occurred_at=f"2026-11-{day:02d}T09:00:00Z", actor="rep-1",
                         correlation_id=None, causation_id=None, data=data)


def moved(day: int, before: str, after: str) -> TimelineEvent:
    return event("StageChanged", day, from_stage=before, to_stage=after, probability=0)


OPENED = event("Opened", 2, stage="prospecting", amount="10000", currency="EUR")


def test_each_stage_from_its_entry_to_the_next_one_and_the_last_up_to_now():
    found = stage_intervals([OPENED, event("AmountChanged", 3, amount="5", previous_amount="4"),
                             moved(4, "prospecting", "qualification"),
                             moved(9, "qualification", "proposal")], NOW)

    assert [(s.stage, s.entered.day, s.left and s.left.day, s.days) for s in found] == [
        ("prospecting", 2, 4, 2), ("qualification", 4, 9, 5), ("proposal", 9, None, 24)]


def test_a_closed_deal_does_not_age_in_its_last_stage():
    found = stage_intervals([OPENED, moved(20, "prospecting", "closed_lost")], NOW)

    assert [(s.stage, s.left and s.left.day, s.days) for s in found] == [
        ("prospecting", 20, 18), ("closed_lost", None, None)]


def test_no_events_no_stages():
    assert stage_intervals([], NOW) == []


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
