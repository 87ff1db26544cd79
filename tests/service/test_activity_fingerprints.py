"""Interactions and follow-ups are one set of commands for leads and accounts now
(``domain.activities``), but a command stored under an Idempotency-Key keeps the fingerprint it
was stored with before (``LogLeadInteraction(...)``, ``ScheduleAccountFollowUp(...)``, ...): a
retry whose key is taken over from a process that died during an upgrade must match it.

The expected texts are how the earlier classes (c27898f: one per aggregate) printed themselves."""

import hashlib
from datetime import date

from tests.conftest import ctx
from tests.service.world import Service

TODAY = ctx().now.date()


def _printed(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stored_hash(svc: Service, stream_id: str, key: str) -> str | None:
    from uuid import UUID

    return next(r.meta.request_hash for r in svc.sales.store.read_stream(UUID(stream_id))
                if r.meta.idempotency_key == key)


def test_lead_activities_keep_the_fingerprints_of_the_lead_commands(svc: Service):
    lead = svc.sales.leads.capture(ctx(), person="Ann", company="Acme", email="a@acme.io",
                                   channel="web_form").stream_id
    lead_id = str(lead)
    leads = svc.sales.leads
    leads.log_interaction(ctx(idempotency_key="k1"), lead_id, interaction_id="i-1", kind="call",
                          notes="asked for a demo")
    leads.schedule_follow_up(ctx(idempotency_key="k2"), lead_id, follow_up_id="f-1",
                             due=date(2099, 1, 2), note="send the offer")
    leads.complete_follow_up(ctx(idempotency_key="k3"), lead_id, follow_up_id="f-1",
                             outcome="sent")

    assert [_stored_hash(svc, lead_id, k) for k in ("k1", "k2", "k3")] == [
        _printed("LogLeadInteraction(interaction_id='i-1', kind='call', "
                 "notes='asked for a demo', outcome=None)"),
        _printed(f"ScheduleLeadFollowUp(follow_up_id='f-1', due=datetime.date(2099, 1, 2), "
                 f"today={TODAY!r}, note='send the offer')"),
        _printed("CompleteLeadFollowUp(follow_up_id='f-1', outcome='sent')"),
    ]


def test_account_activities_keep_the_fingerprints_of_the_account_commands(svc: Service):
    account_id = svc.account(svc.rep())
    accounts = svc.sales.accounts
    accounts.log_interaction(ctx(idempotency_key="k1"), account_id, interaction_id="i-1",
                             kind="meeting", outcome="won over")
    accounts.schedule_follow_up(ctx(idempotency_key="k2"), account_id, follow_up_id="f-1",
                                due=date(2099, 1, 2))
    accounts.complete_follow_up(ctx(idempotency_key="k3"), account_id, follow_up_id="f-1")

    assert [_stored_hash(svc, account_id, k) for k in ("k1", "k2", "k3")] == [
        _printed("LogAccountInteraction(interaction_id='i-1', kind='meeting', notes='', "
                 "outcome='won over', contact_id=None)"),
        _printed(f"ScheduleAccountFollowUp(follow_up_id='f-1', due=datetime.date(2099, 1, 2), "
                 f"today={TODAY!r}, note='')"),
        _printed("CompleteAccountFollowUp(follow_up_id='f-1', outcome=None)"),
    ]


def test_a_conversion_in_the_default_currency_keeps_the_fingerprint_it_had_before_currencies(
        svc: Service):
    from domain.lead import LeadConverted

    lead_id = str(svc.sales.leads.capture(ctx(), person="Ann", company="Acme", email="a@acme.io",
                                          channel="web_form").stream_id)
    rep = svc.sales.reps.hire(ctx(), name="Rita", email="rita@x.io", role="rep", team="north",
                              region="north").stream_id
    svc.sales.leads.assign(ctx(), lead_id, rep_id=str(rep))
    svc.sales.conversion.convert(ctx(idempotency_key="k-conv"), lead_id,
                                 opportunity_name="Acme deal", expected_close=date(2099, 3, 31))

    from uuid import UUID

    converted = next(r.event for r in svc.sales.store.read_stream(UUID(lead_id))
                     if isinstance(r.event, LeadConverted))
    before_currencies = (  # ConvertLead as 835f7a1 printed it: no currency field yet
        f"ConvertLead(account_id={converted.account_id!r}, contact_id={converted.contact_id!r}, "
        f"opportunity_id={converted.opportunity_id!r}, joined_existing_account=False, "
        f"opportunity_name='Acme deal', amount={converted.amount!r}, "
        "expected_close=datetime.date(2099, 3, 31))")
    assert _stored_hash(svc, lead_id, "k-conv") == _printed(before_currencies)


def test_a_field_added_later_counts_in_the_fingerprint_once_it_leaves_its_default():
    from decimal import Decimal

    from domain.lead import ConvertLead
    from infra.service.context import request_hash

    euros = ConvertLead("a", "c", "o", False, "deal", Decimal(1), date(2099, 1, 1))
    dollars = ConvertLead("a", "c", "o", False, "deal", Decimal(1), date(2099, 1, 1), "USD")
    assert request_hash(euros) == _printed(repr(euros).replace(", currency='EUR'", ""))
    assert request_hash(dollars) == _printed(repr(dollars)) != request_hash(euros)
