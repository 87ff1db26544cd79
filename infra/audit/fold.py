"""The audit history's fold: the domain's own ``evolve``, with runs of plain setter events
merged into one ``dataclasses.replace``.

For the event types in ``SETTERS``, the domain's ``evolve(state, event)`` is exactly
``replace(state, **SETTERS[type(event)](event))`` for every state it accepts (see
``domain/opportunity.py`` and ``domain/account.py``): the new values come from the event
alone. The states are frozen dataclasses without ``__post_init__``, so ``replace`` only builds
a new instance from field values, and ``replace(replace(s, **a), **b)`` equals
``replace(s, **{**a, **b})``. A run of setter events therefore folds to the same state with
one ``replace`` instead of one per event (an account graded 5,000 times: one). Every other
event, and a setter before the stream's first event, goes through the domain's ``evolve``
in order. ``tests/audit/test_fold.py`` checks each setter against ``evolve`` and the whole
fold against ``infra.readside.queries.timeline.fold`` (the domain's plain fold) on the demo data.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from domain import account, opportunity
from domain.catalog import AGGREGATES
from domain.events import Event
from domain.stages import Stage
from infra.readside.queries.timeline import FOLDED

Changes = Callable[[Any], dict[str, Any]]

SETTERS: dict[type[Event], Changes] = {
    opportunity.OpportunityStageChanged:
        lambda e: {"stage": Stage(e.to_stage), "probability": e.probability},
    opportunity.OpportunityAmountChanged: lambda e: {"amount": e.amount},
    opportunity.OpportunityCloseDateChanged: lambda e: {"expected_close": e.expected_close},
    opportunity.OpportunityOwnerChanged: lambda e: {"owner_id": e.owner_id},
    opportunity.OpportunityHandOverAdvanced: lambda e: {"handover_status": e.status},
    account.AccountClassified: lambda e: {"segment": e.segment, "potential": e.potential},
    account.AccountGraded: lambda e: {"grade": e.grade},
    account.AccountOwnerChanged: lambda e: {"owner_id": e.owner_id},
    account.AccountHandOverAdvanced: lambda e: {"handover_status": e.status},
}


def fold(events: list[dict[str, Any]],
         decode: Callable[[str, dict[str, Any]], Event]) -> dict[str, tuple[str, Any]]:
    """stream id -> (stream type, state), as ``infra.readside.queries.timeline.fold`` gives: each
    stream folded over its unbroken run of versions 1, 2, ... in order."""
    streams: dict[str, list[Any]] = {}  # stream id -> [kind, state, version, pending changes]
    setters, evolvers = SETTERS, {kind: AGGREGATES[kind].evolve for kind in FOLDED}
    for e in events:
        kind = e["stream_type"]
        if kind not in evolvers:
            continue
        entry = streams.get(e["stream_id"])
        version = e["version"]
        if version != (entry[2] if entry is not None else 0) + 1:
            continue  # its predecessor is not known at this instant
        event = decode(e["type"], e["data"])
        setter = setters.get(type(event))
        if entry is None:
            entry = [kind, evolvers[kind](None, event), version, None]
            streams[e["stream_id"]] = entry
            continue
        if setter is not None:
            changes = setter(event)
            if entry[3] is None:
                entry[3] = changes
            else:
                entry[3].update(changes)
        else:
            state = entry[1] if entry[3] is None else replace(entry[1], **entry[3])
            entry[1], entry[3] = evolvers[kind](state, event), None
        entry[2] = version
    return {stream: (kind, state if pending is None else replace(state, **pending))
            for stream, (kind, state, _, pending) in streams.items()}
