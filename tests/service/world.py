"""Given events -> command -> expected events and answers: the shape of every service test.

    svc = Service()                                   # the command side on memory://
    svc.given(stock_item_id("S-1"), StockItemRegistered(...), StockReceived(10))
    answer = svc.sales.orders.place(ctx(), account_id=acme, lines=[("S-1", 4)])
    assert svc.then() == [(order_id, OrderPlaced(...)), (sku_stream, StockReserved(...)), ...]

The services are the composition root's (``Sales``), on the in-memory event store
(``infra.eventstore.memory``): the same command path, caches, flows and duplicate-key claims
as on a server, without one. Only this module builds them, so that a change in how the
command side is put together touches this file, not the tests.
"""

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID, uuid4

from domain.account import AccountOpened
from domain.events import Event
from domain.rep import RepHired
from domain.stock_item import StockItemRegistered, StockReceived
from infra.bootstrap import Sales, bootstrap
from infra.eventstore.codec import Metadata
from infra.eventstore.ids import stock_item_id
from infra.eventstore.store import RecordedEvent
from tests.conftest import FIXED_NOW

MEMORY = "memory://"


def open_sales() -> Sales:
    """The command side of sfa-core on a new, empty in-memory store."""
    from infra.settings import Settings

    return bootstrap(Settings(database_url=MEMORY))


class Service:
    """The command side on its own in-memory store, with the given/then of its events."""

    def __init__(self) -> None:
        self.sales = open_sales()
        self._seen = 0

    def close(self) -> None:
        self.sales.close()

    # --- given ---------------------------------------------------------------------------
    def given(self, stream_id: UUID | str, *events: Event,
              claims: Iterable[tuple[str, str]] = ()) -> str:
        """Stores ``events`` at the end of the stream as if earlier commands had (with the
        duplicate keys they claimed); returns the stream id as the services spell it."""
        stream = UUID(str(stream_id))
        version = len(self.sales.store.read_stream(stream))
        self.sales.store.append([RecordedEvent(stream, version + n, event, _meta())
                                 for n, event in enumerate(events, start=1)], tuple(claims))
        self._seen = self.sales.store.max_position()
        return str(stream)

    def rep(self, name: str = "Ann", *, role: str = "rep", region: str = "north",
            team: str = "north", manager_id: str | None = None) -> str:
        rep_id = str(uuid4())
        return self.given(rep_id, RepHired(rep_id, name, f"{name.lower()}@example.com", role,
                                           team, region, manager_id))

    def team(self) -> tuple[str, list[str]]:
        """A manager and two reps under them, all in the north."""
        manager = self.rep("Mia", role="manager")
        return manager, [self.rep(name, manager_id=manager) for name in ("Rob", "Sam")]

    def account(self, owner_id: str, name: str = "Acme", region: str = "north") -> str:
        account_id = str(uuid4())
        return self.given(account_id, AccountOpened(account_id, name, None, None, region,
                                                    owner_id))

    def stock(self, sku: str = "S-1", on_hand: int = 10, price: str = "100") -> str:
        return self.given(stock_item_id(sku), StockItemRegistered(sku, sku, "", Decimal(price), 0),
                          *([StockReceived(on_hand)] if on_hand else []))

    # --- then ----------------------------------------------------------------------------
    def then(self) -> list[Event]:
        """The events stored since the last ``given`` or ``then``, in the store's order."""
        return [event for _, event in self.then_in_streams()]

    def then_in_streams(self) -> list[tuple[str, Event]]:
        """``then`` with each event's stream id."""
        store = self.sales.store
        stored = [store.decode(n) for n in store.notifications(self._seen, limit=10_000)]
        self._seen = store.max_position()
        return [(str(r.originator_id), r.event) for r in stored]

    def stream(self, stream_id: UUID | str) -> list[Event]:
        """Every event of one stream."""
        return [r.event for r in self.sales.store.read_stream(UUID(str(stream_id)))]


def _meta() -> Metadata:
    return Metadata(str(uuid4()), FIXED_NOW.isoformat(), "given", "given", "given")
