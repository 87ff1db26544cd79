"""A deal's past, read from its account's timeline (``GET /v1/accounts/{id}/timeline``): its
own events and its interactions, and each event in words. (The stages it went through are
``GET /v1/opportunities/{id}/stages``, from the ``intervals`` read model.)

Pure functions over the timeline's answer, so they see exactly what the timeline shows the
caller (the deals and actors their role may see); the console's deal page draws them.
"""

from collections.abc import Iterable
from datetime import datetime

from projections.customer_timeline.answers import Timeline, TimelineEvent

OPENED, STAGE_CHANGED = "OpportunityOpened", "OpportunityStageChanged"
INTERACTION = "OpportunityInteractionLogged"


def deal_events(timeline: Timeline, opportunity_id: str) -> list[TimelineEvent]:
    """The deal's own events, in the timeline's (global) order."""
    return [e for e in timeline.events
            if e.stream_type == "Opportunity" and e.stream_id == opportunity_id]


def occurred(event: TimelineEvent) -> datetime:
    return datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00"))


def interactions(events: Iterable[TimelineEvent]) -> list[TimelineEvent]:
    """The calls, meetings, emails ... logged on the deal, newest first."""
    return sorted((e for e in events if e.type == INTERACTION), key=occurred, reverse=True)


def what_happened(event: TimelineEvent) -> str:
    """An event of the deal in words: ``Stage changed`` and, where the event says more, what."""
    name = event.type.removeprefix("Opportunity")
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    detail = _DETAILS.get(event.type, lambda data: "")(event.data)
    return f"{words[:1].upper()}{words[1:]}" + (f": {detail}" if detail else "")


def _words(code: object) -> str:
    return str(code).replace("_", " ")


_DETAILS = {
    OPENED: lambda d: f"{_words(d['stage'])}, {d['amount']} {d.get('currency', 'EUR')}",
    STAGE_CHANGED: lambda d: f"{_words(d['from_stage'])} → {_words(d['to_stage'])}",
    "OpportunityAmountChanged": lambda d: f"{d['previous_amount']} → {d['amount']}",
    "OpportunityCloseDateChanged": lambda d: f"expected close {d.get('expected_close', '')}",
    "OpportunityLost": lambda d: _words(d.get("reason") or ""),
    "OpportunityHandOverAdvanced": lambda d: _words(d["status"]),
    "OpportunityHandedOver": lambda d: f"{_words(d['tier'])} tier, {_words(d['action'])}, due {d['due']}",
    "OpportunityQuoteIssued": lambda d: f"{d['total']} {d['currency']}",
    INTERACTION: lambda d: " · ".join(str(x) for x in (_words(d["kind"]), d.get("notes"),
                                                       d.get("outcome")) if x),
    "OpportunityFollowUpScheduled": lambda d: f"due {d['due']}" + (
        f" · {d['note']}" if d.get("note") else ""),
    "OpportunityFollowUpCompleted": lambda d: d.get("outcome") or "",
}
