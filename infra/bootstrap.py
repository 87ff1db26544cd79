"""The composition root: everything a process needs is built here, once, and handed out.

The API (``api.app``), the workers (projector, relay, audit) and the CLI each make one
``Root`` and take their objects from it, nowhere else. A ``Root`` holds one ``Database``
(one pool of connections per process) for the event store, and one for the read models when
``SFA_READ_DATABASE_URL`` names another database (``read_db``, else the same), and builds on
first use, once, what the process asks for: the command side (``Sales``: settings -> store
-> command services and flows), tokens, the idempotency store, the registry's view for
queries (``serving``) and a monitor for health and metrics. Read models for a follower are
made new each time (each holds a connection of its own for its thread). ``bootstrap`` and
``read_models`` are the same wiring for a caller that needs only that piece (tests,
benchmarks).
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar, cast

from domain.pricing import PriceRules
from infra.access.idempotency import IdempotencyStore
from infra.audit.seal import Sealer
from infra.eventstore.store import EventStore
from infra.readside.monitor import Monitor
from infra.readside.read_models import ReadModels
from infra.readside.serving import Serving
from infra.service.accounts import Accounts
from infra.service.campaigns import Campaigns
from infra.service.commands import CommandBus
from infra.service.directory import Directory
from infra.service.flows.conversion import ConversionFlow
from infra.service.flows.departure import DepartureFlow
from infra.service.flows.orders import OrderFlows
from infra.service.flows.runner import FlowRunner
from infra.service.leads import Leads
from infra.service.opportunities import Opportunities
from infra.service.policies import Policies
from infra.service.prices import Prices
from infra.service.reps import Reps
from infra.service.stock import StockItems
from infra.service.tokens import Tokens
from infra.settings import Settings
from infra.sql.database import Database
from infra.stream.relay import Relay, RelayConfig
from projections.base import Projection
from projections.catalog import ALL

T = TypeVar("T")


@dataclass
class Sales:
    """The command side of sfa-core: one service per aggregate, plus the flows."""

    settings: Settings
    store: EventStore
    bus: CommandBus
    directory: Directory
    reps: Reps
    leads: Leads
    accounts: Accounts
    opportunities: Opportunities
    stock: StockItems
    orders: OrderFlows
    conversion: ConversionFlow
    departure: DepartureFlow
    flows: FlowRunner
    prices: Prices
    campaigns: Campaigns
    policies: Policies
    tokens: Tokens

    def close(self) -> None:
        self.bus.committer.close()
        self.store.close()


def bootstrap(settings: Settings | None = None, rules: PriceRules | None = None,
              db: Database | None = None) -> Sales:
    settings = settings or Settings()
    rules = rules or PriceRules()
    db = db or Database(settings)
    store = EventStore(settings, db)
    bus = CommandBus(store)
    directory = Directory(store)
    reps = Reps(bus)
    leads = Leads(bus, reps, directory)
    accounts = Accounts(bus, reps)
    stock = StockItems(bus)
    prices = Prices(bus, rules)
    opportunities = Opportunities(bus, reps, accounts, stock, prices)
    orders = OrderFlows(bus, stock, prices)
    conversion = ConversionFlow(bus, leads, accounts, opportunities)
    departure = DepartureFlow(bus, reps, directory)
    flows = FlowRunner(store, db, conversion, orders, departure)
    return Sales(settings, store, bus, directory, reps, leads, accounts, opportunities, stock,
                 orders, conversion, departure, flows, prices, Campaigns(bus), Policies(bus),
                 Tokens(db, bus))


def event_store(settings: Settings) -> EventStore:
    """The event store alone (its tables are made in a new database), for a caller that
    needs no more (tests, benchmarks); the caller closes it."""
    return EventStore(settings, Database(settings))


def read_models(settings: Settings, projections: Sequence[Projection] = ALL,
                batch_size: int | None = None, db: Database | None = None,
                read_db: Database | None = None) -> ReadModels:
    """The read models of ``settings`` (in the read database, ``read_db``, which is the
    store's, ``db``, unless ``SFA_READ_DATABASE_URL`` names another), with the audit sealer
    following the log in the same loop (the read side itself knows nothing of audit)."""
    log = db or Database(settings)
    models = ReadModels(read_db or read_database(settings, log), projections, batch_size,
                        log=log)
    models.companions = (Sealer(log),)
    return models


def read_database(settings: Settings, store: Database) -> Database:
    """The database of the read models: the store's own unless ``SFA_READ_DATABASE_URL``
    names another."""
    return Database(settings.read_side()) if settings.separate_read_side else store


class Root:
    """What one process uses, built once on first use (thread-safe) and closed together."""

    def __init__(self, settings: Settings | None = None, rules: PriceRules | None = None) -> None:
        self.settings = settings or Settings()
        self.rules = rules
        self.db = Database(self.settings)  # the event store's; connects on first use
        self.read_db = read_database(self.settings, self.db)  # the read models'
        self._built: dict[str, object] = {}
        self._lock = threading.RLock()  # a piece may be built of others

    def _once(self, name: str, build: Callable[[], T]) -> T:
        found = self._built.get(name)  # built already: no lock (every request asks)
        if found is not None:
            return cast(T, found)
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return cast(T, self._built[name])

    @property
    def sales(self) -> Sales:
        """The command side (opens the event store: its tables are made in a new database)."""
        return self._once("sales", lambda: bootstrap(self.settings, self.rules, self.db))

    @property
    def tokens(self) -> Tokens:
        """Verifies requests from the token table; creates and revokes through the store too
        (the command side: the store opens on first use)."""
        return self.sales.tokens

    @property
    def idempotency(self) -> IdempotencyStore:
        return self._once("idempotency", lambda: IdempotencyStore(self.db))

    @property
    def serving(self) -> Serving:
        """Which read models serve and how far they are: asked before every query."""
        return self._once("serving", lambda: Serving(self.read_db))

    @property
    def monitor(self) -> Monitor:
        """One read-models handle for health and metrics, lent to one thread at a time."""
        return self._once("monitor", lambda: Monitor(self.read_models))

    def read_models(self, projections: Sequence[Projection] = ALL,
                    batch_size: int | None = None) -> ReadModels:
        """New read models (a connection of their own: one thread's) with the audit sealer
        as companion; the caller closes them."""
        return read_models(self.settings, projections, batch_size, self.db, self.read_db)

    def relay(self, config: RelayConfig) -> Relay:
        """A relay to Kafka (a connection of its own); the caller closes it."""
        return Relay(self.db, config)

    def create_store(self) -> None:
        """Makes the event store's tables in a new database, for a process that only reads
        the log (the relay): nothing to publish yet, rather than no table."""
        if "sales" not in self._built:
            EventStore(self.settings, self.db).close()

    def close(self) -> None:
        with self._lock:
            built, self._built = self._built, {}
        if "monitor" in built:
            cast(Monitor, built["monitor"]).close()
        if "sales" in built:
            cast(Sales, built["sales"]).close()
        if self.read_db is not self.db:
            self.read_db.close()
        self.db.close()

    async def aclose(self) -> None:
        """``close`` for the API's shutdown: the command side's event-loop connections first."""
        sales = self._built.get("sales")
        if sales is not None:
            await cast(Sales, sales).bus.committer.aclose()
        self.close()

    def __enter__(self) -> "Root":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
