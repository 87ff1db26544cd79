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
