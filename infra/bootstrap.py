"""Wiring, in one place: settings -> store -> command services and flows."""

from collections.abc import Sequence
from dataclasses import dataclass

from domain.pricing import PriceRules
from infra.audit.seal import Sealer
from infra.eventstore.store import EventStore
from infra.readside.read_models import ReadModels
from infra.service.accounts import Accounts
from infra.service.commands import CommandBus
from infra.service.directory import Directory
from infra.service.flows.conversion import ConversionFlow
from infra.service.flows.departure import DepartureFlow
from infra.service.flows.orders import OrderFlows
from infra.service.flows.runner import FlowRunner
from infra.service.leads import Leads
from infra.service.opportunities import Opportunities
from infra.service.reps import Reps
from infra.service.stock import StockItems
from infra.settings import Settings
from projections.base import Projection
from projections.catalog import ALL


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

    def close(self) -> None:
        self.bus.committer.close()
        self.store.close()


def bootstrap(settings: Settings | None = None, rules: PriceRules | None = None) -> Sales:
    settings = settings or Settings()
    rules = rules or PriceRules()
    store = EventStore(settings)
    bus = CommandBus(store)
    directory = Directory(store)
    reps = Reps(bus)
    leads = Leads(bus, reps, directory)
    accounts = Accounts(bus, reps)
    stock = StockItems(bus)
    opportunities = Opportunities(bus, reps, accounts, stock, rules)
    orders = OrderFlows(bus, stock, rules)
    conversion = ConversionFlow(bus, leads, accounts, opportunities)
    departure = DepartureFlow(bus, reps, directory)
    flows = FlowRunner(store, conversion, orders, departure)
    return Sales(settings, store, bus, directory, reps, leads, accounts, opportunities, stock,
                 orders, conversion, departure, flows)


def read_models(settings: Settings, projections: Sequence[Projection] = ALL,
                batch_size: int | None = None) -> ReadModels:
    """The read models of ``settings``' database, with the audit sealer following the log in
    the same loop (the read side itself knows nothing of audit)."""
    models = ReadModels(settings, projections, batch_size)
    models.companions = (Sealer(models.db),)
    return models
