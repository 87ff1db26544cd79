"""Tokens as events, when the two writes are cut apart (SQLite and PostgreSQL): a crash
between the event and the row of a new token, or between a revocation's row and its event,
and tokens made by a version before tokens were events — ``reconcile`` (run at start-up)
records what is missing, at the instants the token table knows, so that the events never
show less access than there was; run again, it records nothing."""

from datetime import datetime
from uuid import UUID

from domain import token
from infra.bootstrap import Sales
from infra.service.commands import CommandContext
from infra.service.tokens import TOKEN, stream_of


def _topics(sales: Sales, token_id: str) -> list[str]:
    return [type(r.event).__name__ for r in sales.bus.history(stream_of(token_id))]


def _occurred(sales: Sales, token_id: str) -> list[datetime]:
    return [datetime.fromisoformat(str(r.meta.occurred_at))
            for r in sales.bus.history(stream_of(token_id))]


def test_reconcile_closes_every_gap_between_the_table_and_the_events(sales: Sales):
    tokens = sales.tokens
    whole = tokens.create("admin").split("_")[1]
    ghost = "0badc0ffee01"  # the event was stored, the process died before the row
    sales.bus.handle(TOKEN, stream_of(ghost), token.IssueToken(ghost, "auditor"),
                     CommandContext(actor="tester"))
    half_revoked = tokens.create("integrator").split("_")[1]
    tokens.store.revoke(half_revoked)  # the row disabled, the process died before the event
    old = tokens.store.create("auditor").split("_")[1]  # made before tokens were events
    old_revoked = tokens.store.create("admin").split("_")[1]
    tokens.store.revoke(old_revoked)
    rows = {r["token_id"]: r for r in tokens.list()}

    recorded = tokens.reconcile()

    assert recorded == 5
    assert _topics(sales, whole) == ["TokenIssued"]
    assert _topics(sales, ghost) == ["TokenIssued", "TokenRevoked"]
    assert _topics(sales, half_revoked) == ["TokenIssued", "TokenRevoked"]
    assert _topics(sales, old) == ["TokenIssued"]
    assert _topics(sales, old_revoked) == ["TokenIssued", "TokenRevoked"]
    assert _occurred(sales, old_revoked) == [  # at the instants the table keeps
        datetime.fromisoformat(rows[old_revoked]["created_at"]),
        datetime.fromisoformat(rows[old_revoked]["revoked_at"])]
    assert tokens.reconcile() == 0
    assert isinstance(stream_of(whole), UUID)


def test_a_revoked_token_stops_at_once_and_is_recorded(sales: Sales):
    secret = sales.tokens.create("rep", "2d9f8ae8-372c-48df-95e7-008663e3c030", label="phone")
    token_id = secret.split("_")[1]
    assert sales.tokens.verify(secret) is not None

    sales.tokens.revoke(token_id, actor="cli")

    assert sales.tokens.verify(secret) is None
    history = sales.bus.history(stream_of(token_id))
    assert [type(r.event).__name__ for r in history] == ["TokenIssued", "TokenRevoked"]
    assert history[0].event == token.TokenIssued(token_id, "rep",
                                                 "2d9f8ae8-372c-48df-95e7-008663e3c030", "phone")
    assert history[1].meta.actor == "cli"
