"""The audit history's fold (``infra.audit.fold``) is the domain's own: each setter equals
``evolve``, and on the demo data every folded state equals the plain fold and what the store
loads up to that version."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain import account, opportunity
from domain.catalog import AGGREGATES
from infra.audit.fold import SETTERS, fold
from infra.audit.history import AuditHistory, current_event
from infra.audit.tables import LINKS
from infra.demo import load_demo
from infra.readside.queries import timeline
from infra.settings import Settings
from infra.sql.database import Database

SAMPLES = {
    opportunity.OpportunityStageChanged: opportunity.OpportunityStageChanged(
        "prospecting", "proposal", 40),
    opportunity.OpportunityAmountChanged: opportunity.OpportunityAmountChanged(
        Decimal("12.50"), Decimal(10)),
    opportunity.OpportunityCloseDateChanged: opportunity.OpportunityCloseDateChanged(
        date(2027, 3, 1), date(2027, 1, 31)),
    opportunity.OpportunityOwnerChanged: opportunity.OpportunityOwnerChanged("rep-2", "rep-1"),
    opportunity.OpportunityHandOverAdvanced: opportunity.OpportunityHandOverAdvanced("accepted"),
    account.AccountClassified: account.AccountClassified("enterprise", "high"),
    account.AccountGraded: account.AccountGraded("A"),
    account.AccountOwnerChanged: account.AccountOwnerChanged("rep-2", "rep-1"),
    account.AccountHandOverAdvanced: account.AccountHandOverAdvanced("accepted"),
}


def _opened(kind):
    if kind == "Opportunity":
        return opportunity.evolve(None, opportunity.OpportunityOpened(
            "o1", "a1", "rep-1", "Deal", Decimal(10), "EUR",
            date(2027, 1, 31), ("Gateway",), "prospecting", 10, None))
    return account.evolve(None, account.AccountOpened("a1", "Acme", "software", 50, "north",
                                                      "rep-1"))


@pytest.mark.parametrize("event_type", list(SETTERS), ids=lambda t: t.__name__)
def test_each_setter_is_what_evolve_does(event_type):
    sample = SAMPLES.get(event_type)
    if sample is None:  # a setter needs a sample here, so that it is checked
        pytest.fail(f"no sample for {event_type.__name__}")
    kind = event_type.stream_type
    state = _opened(kind)
    assert AGGREGATES[kind].evolve(state, sample) == replace(state, **SETTERS[event_type](sample))


def test_runs_of_setters_fold_as_the_domain_does():
    events, version = [], 0
    stream = [opportunity.OpportunityOpened("o1", "a1", "rep-1", "Deal", Decimal(10), "EUR",
                                            date(2027, 1, 31), (),
                                            "prospecting", 10, None)]
    stream += [SAMPLES[t] for t in SETTERS if t.stream_type == "Opportunity"] * 3
    stream.insert(3, opportunity.OpportunityQuoteIssued("q1", (), Decimal(5), date(2027, 2, 1)))  # not a setter
    for event in stream:
        version += 1
        events.append({"stream_type": "Opportunity", "stream_id": "o1", "version": version,
                       "type": type(event).__name__, "data": event})
    events.append({**events[-1], "version": version + 2})  # a gap: not applied
    identity = lambda _, event: event  # noqa: E731
    assert fold(events, identity) == timeline.fold(events, identity)
    for n in range(len(events)):
        assert fold(events[:n], identity) == timeline.fold(events[:n], identity), n


@pytest.fixture
def demo(sales):
    load_demo(sales, scale="small")
    return sales


def test_on_the_demo_data_the_fold_is_the_domains_and_the_stores(demo, database_url):
    db = Database(Settings(database_url=database_url))
    conn = db.connect()
    try:
        history = AuditHistory(db, conn)
        history.events(str(UUID(int=0)))  # creates the index tables
        accounts = [a for (a,) in conn.execute(
            f"SELECT DISTINCT account_id FROM {LINKS}").fetchall()]
        if not accounts:  # not sealed: the links are in the unsealed tail
            accounts = [str(k) for k in _account_ids(demo)]
        assert accounts
        checked = 0
        for account_id in accounts:
            events = history.events(account_id)
            instants = sorted({e["occurred_at"] for e in events})
            for as_of in (None, *instants[:: max(1, len(instants) // 4)]):
                shown = events if as_of is None else [e for e in events if e["occurred_at"] <= as_of]
                fast = fold(shown, current_event)
                assert fast == timeline.fold(shown, current_event)
                last = {}
                for e in shown:
                    if e["stream_id"] in fast:
                        last[e["stream_id"]] = max(last.get(e["stream_id"], 0), e["version"])
                for stream_id, (kind, state) in fast.items():
                    loaded = demo.store.load(AGGREGATES[kind], UUID(stream_id), last[stream_id])
                    assert loaded.state == state, (kind, stream_id)
                    checked += 1
        assert checked > 100
    finally:
        conn.close()


def _account_ids(sales):
    return {UUID(str(n.originator_id)) for n in sales.store.notifications(0, 1_000_000,
                                                                      topics=["AccountOpened"])}

