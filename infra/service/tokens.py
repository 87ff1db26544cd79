"""Tokens as the product issues them: each creation and revocation is also an event of the
store (``domain.token``), so who could see what, when, is answered from the events; the
secret's hash stays in the token table (``infra.access.tokens``), which verifies requests.

The two writes are not one transaction (the table may live apart from the store), so they
are ordered to never under-state access: creation records ``TokenIssued`` before the row (a
crash between leaves an event for a token that never worked), revocation disables the row
before recording ``TokenRevoked`` (a crash between leaves a revoked token the events still
call valid). ``reconcile``, run at start-up, closes both gaps: it revokes, in the events,
what the table does not hold or holds revoked.
"""

import logging
import secrets
import threading
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import token
from domain.catalog import AGGREGATES
from infra.access.tokens import Principal, TokenStore
from infra.eventstore import codec
from infra.eventstore.ids import new_stream_id
from infra.service.commands import CommandBus, CommandContext
from infra.sql.database import Database

log = logging.getLogger(__name__)
TOKEN = AGGREGATES[token.STREAM]
TOPICS = ("TokenIssued", "TokenRevoked")


def stream_of(token_id: str) -> UUID:
    return new_stream_id(token.STREAM, token_id)


class Tokens:
    def __init__(self, db: Database, bus: CommandBus) -> None:
        self.db, self.bus = db, bus
        self._store: TokenStore | None = None
        self._lock = threading.Lock()  # one table object: its cache of verified tokens

    @property
    def store(self) -> TokenStore:
        """The token table, made on first use (a store kept in memory has none)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = TokenStore(self.db)
        return self._store

    def create(self, role: str, rep_id: str | None = None, label: str | None = None,
               actor: str = "system:tokens", ctx: CommandContext | None = None,
               token_id: str | None = None) -> str:
        """A new token for ``role`` (and a rep, for rep and manager): ``sfa_<id>_<secret>``
        (``ctx``: its actor and instant, default ``actor`` now; ``token_id``: chosen, as the
        demo does to stay the same for a seed, else random)."""
        ctx = ctx or CommandContext(actor=actor)
        token_id = token_id or secrets.token_hex(6)
        self.bus.handle(TOKEN, stream_of(token_id),
                        token.IssueToken(token_id, role, rep_id, label), ctx)
        return self.store.create(role, rep_id, label, token_id=token_id, created_at=ctx.now)

    def revoke(self, token_id: str, actor: str = "system:tokens") -> None:
        """Stops the token at once (``NotFoundError``: no active token of that id)."""
        self.store.revoke(token_id)
        self._record_revoked(token_id, CommandContext(actor=actor))

    def _record_revoked(self, token_id: str, ctx: CommandContext) -> None:
        if self.bus.load(TOKEN, stream_of(token_id)).state is not None:
            self.bus.handle(TOKEN, stream_of(token_id), token.RevokeToken(), ctx)

    def reconcile(self) -> int:
        """Brings the events in line with the table after a crash between the two writes,
        and records the tokens made before tokens were events (at their creation and
        revocation instants); returns how many events it recorded."""
        issued, revoked = self._in_events()
        recorded = 0
        for row in self.store.list():
            token_id = row["token_id"]
            if token_id not in issued:
                self.bus.handle(TOKEN, stream_of(token_id),
                                token.IssueToken(token_id, row["role"], row["rep_id"],
                                                 row["label"]),
                                _at("system:tokens", row["created_at"]))
                recorded += 1
            if row["revoked_at"] and token_id not in revoked:
                self._record_revoked(token_id, _at("system:tokens", row["revoked_at"]))
                recorded += 1
            issued.discard(token_id)
        for token_id in issued - revoked:  # an event for a token never stored: never worked
            self._record_revoked(token_id, CommandContext(actor="system:tokens"))
            recorded += 1
        if recorded:
            log.info("recorded %d token events the store lacked", recorded)
        return recorded

    def _in_events(self) -> tuple[set[str], set[str]]:
        issued: dict[str, str] = {}  # stream id -> token id
        revoked: set[str] = set()
        position = 0
        while batch := self.bus.store.notifications(position, 1000, TOPICS):
            for n in batch:
                if n.topic == "TokenIssued":
                    issued[str(n.originator_id)] = codec.decode_body(n.state)["data"]["token_id"]
                else:
                    revoked.add(str(n.originator_id))
            position = batch[-1].id
        return set(issued.values()), {issued[s] for s in revoked if s in issued}

    # --- reading: the table ----------------------------------------------------------------
    def remembered(self, secret: str) -> Principal | None:
        return self.store.remembered(secret)

    def verify(self, secret: str) -> Principal | None:
        return self.store.verify(secret)

    def list(self) -> list[dict[str, Any]]:
        return self.store.list()


def _at(actor: str, instant: str) -> CommandContext:
    return CommandContext(actor=actor, now=datetime.fromisoformat(instant))
