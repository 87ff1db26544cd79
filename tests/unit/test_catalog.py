"""The catalog: every aggregate and event type by name, and how old event shapes upcast."""

import dataclasses
import inspect
from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest

from domain import account, lead, opportunity, order, rep, stock_item
from domain.catalog import AGGREGATES, EVENT_TYPES, upcast
from domain.events import Event
from domain.opportunity import OpportunityOpened

MODULES = (rep, lead, account, opportunity, order, stock_item)


def events_defined_in(module: ModuleType) -> set[type[Event]]:
    """Concrete event classes written in ``module`` (its ``...Event`` base left out)."""
    return {
        cls for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Event) and cls.__module__ == module.__name__
        and cls.stream_type == module.STREAM and not cls.__name__.endswith("Event")
    }


def test_every_aggregate_is_registered_under_its_stream_name() -> None:
    assert sorted(AGGREGATES) == ["Account", "Lead", "Opportunity", "Order", "Rep", "StockItem"]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.STREAM)
def test_an_aggregate_entry_holds_its_module_decide_and_evolve(module: ModuleType) -> None:
    entry = AGGREGATES[module.STREAM]
    assert (entry.name, entry.evolve) == (module.STREAM, module.evolve)
    assert entry.decide.__wrapped__ is module.decide  # type: ignore[attr-defined]  # storable_only


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.STREAM)
def test_an_aggregate_entry_lists_every_event_of_its_module(module: ModuleType) -> None:
    assert set(AGGREGATES[module.STREAM].event_types) == events_defined_in(module)


EXPECTED_EVENTS = {
    "Rep": {"RepHired", "RepMoved", "RepQuotaSet", "RepCommissionPlanSet", "RepDeparted"},
    "Lead": {"LeadCaptured", "LeadScored", "LeadEngagementRecorded", "LeadAssigned",
             "LeadInteractionLogged", "LeadFollowUpScheduled", "LeadFollowUpCompleted",
             "LeadQualified", "LeadDisqualified", "LeadConverted", "LeadHandedOver",
             "LeadHandOverAdvanced"},
    "Account": {"AccountOpened", "ContactAdded", "ContactChanged", "ContactRemoved",
                "AccountClassified", "AccountGraded", "AccountInteractionLogged",
                "AccountFollowUpScheduled", "AccountFollowUpCompleted", "AccountOwnerChanged",
                "AccountHandedOver", "AccountHandOverAdvanced"},
    "Opportunity": {"OpportunityOpened", "OpportunityEvaluated", "OpportunityStageChanged",
                    "OpportunityAmountChanged", "OpportunityCloseDateChanged",
                    "OpportunityQuoteIssued", "OpportunityWon", "OpportunityLost",
                    "OpportunityOwnerChanged", "OpportunityHandedOver",
                    "OpportunityHandOverAdvanced"},
    "Order": {"OrderPlaced", "OrderReserved", "OrderBackOrdered", "OrderRejected",
              "OrderConfirmed", "OrderShipped", "OrderInvoiced", "OrderPaid", "OrderCancelled"},
    "StockItem": {"StockItemRegistered", "StockReceived", "StockReserved",
                  "StockReservationReleased", "StockShipped", "StockAdjusted",
                  "StockPriceChanged"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_EVENTS))
def test_catalog_lists_the_events_of_each_aggregate_by_name(name: str) -> None:
    assert {cls.type_name() for cls in AGGREGATES[name].event_types} == EXPECTED_EVENTS[name]


def test_event_type_names_are_unique_across_aggregates() -> None:
    names = [cls.type_name() for entry in AGGREGATES.values() for cls in entry.event_types]
    assert len(names) == len(set(names)) == len(EVENT_TYPES)


def test_event_types_map_each_name_back_to_its_class() -> None:
    assert all(cls.type_name() == name for name, cls in EVENT_TYPES.items())
    assert EVENT_TYPES["StockReserved"] is stock_item.StockReserved
    assert EVENT_TYPES["LeadConverted"] is lead.LeadConverted


def test_every_event_is_frozen_and_belongs_to_a_registered_stream() -> None:
    for cls in EVENT_TYPES.values():
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert dataclasses.is_dataclass(cls) and params.frozen, cls
        assert cls.stream_type in AGGREGATES, cls


def test_every_event_above_version_1_has_an_upcaster_for_each_step() -> None:
    for cls in EVENT_TYPES.values():
        for version in range(1, cls.schema_version):
            assert callable(getattr(cls, f"upcast_v{version}_v{version + 1}", None)), cls


# --- upcasting -------------------------------------------------------------------------------

V1_OPENED = {
    "opportunity_id": "opp-1", "account_id": "acc-1", "owner_id": "rep-1",
    "name": "Acme CRM roll-out", "amount": Decimal("25000"), "expected_close": date(2026, 6, 30),
    "products": ("SKU-1",), "stage": "prospecting", "probability": 10, "source_lead_id": None,
}


def test_opportunity_opened_is_at_schema_version_2() -> None:
    assert OpportunityOpened.schema_version == 2


def test_a_v1_opportunity_opened_is_upcast_to_euro() -> None:
    data = upcast(OpportunityOpened, dict(V1_OPENED), 1)
    assert data == {**V1_OPENED, "currency": "EUR"}
    assert OpportunityOpened(**data) == OpportunityOpened(
        "opp-1", "acc-1", "rep-1", "Acme CRM roll-out", Decimal("25000"), "EUR",
        date(2026, 6, 30), ("SKU-1",), "prospecting", 10, None)


def test_upcasting_leaves_the_stored_v1_data_untouched() -> None:
    stored = dict(V1_OPENED)
    upcast(OpportunityOpened, stored, 1)
    assert stored == V1_OPENED


def test_current_version_data_is_not_changed_by_upcasting() -> None:
    current = {**V1_OPENED, "currency": "USD"}
    assert upcast(OpportunityOpened, current, 2) == current
    assert upcast(rep.RepDeparted, {"effective_date": date(2026, 3, 31), "successor_id": "rep-2"},
                  1) == {"effective_date": date(2026, 3, 31), "successor_id": "rep-2"}
