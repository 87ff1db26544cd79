"""Read models get the domain's events: the fast decoding gives what the codec's does."""

import json
from decimal import Decimal

from bench.dataset import generate
from domain.catalog import EVENT_TYPES
from domain.opportunity import OpportunityOpened
from infra.eventstore.codec import decode as codec_decode
from projections.base import EventRecord, decode
from projections.catalog import ALL


def test_every_stored_event_decodes_as_the_codec_decodes_it() -> None:
    rows = [row for chunk in generate(4_000) for row in chunk]
    seen = set()
    for _, _, topic, state in rows:
        event, _ = codec_decode(topic, state)
        assert decode(topic, json.loads(state)["data"]) == event
        seen.add(topic)
    read = set().union(*(p.topics for p in ALL))
    assert len(seen & read) >= 20  # the dataset covers most of what the models read


def test_fields_get_the_types_the_domain_declares() -> None:
    opened = decode("OpportunityOpened", {
        "opportunity_id": "o-1", "account_id": "a-1", "owner_id": "r-1", "name": "Deal",
        "amount": "1200.50", "currency": "EUR", "expected_close": "2026-03-31",
        "products": ["SKU-1"], "stage": "prospecting", "probability": 10,
        "source_lead_id": None})
    assert isinstance(opened, OpportunityOpened)
    assert opened.amount == Decimal("1200.50")
    assert opened.expected_close.isoformat() == "2026-03-31"
    assert opened.products == ("SKU-1",)


def test_a_record_decodes_once_for_every_model_that_reads_it() -> None:
    record = EventRecord(1, "s-1", 1, "OpportunityStageChanged",
                         {"from_stage": "prospecting", "to_stage": "proposal",
                          "probability": 50}, {"occurred_at": "2026-01-01T00:00:00+00:00"})
    assert record.event is record.event
    assert record.event == EVENT_TYPES["OpportunityStageChanged"](
        from_stage="prospecting", to_stage="proposal", probability=50)


def test_a_models_topics_are_the_events_it_has_handlers_for() -> None:
    for projection in ALL:
        assert set(projection.topics) == set(projection.handlers)
        assert set(projection.topics) <= set(EVENT_TYPES)
