"""Wiring, in one place: settings -> store -> command services and flows."""

from dataclasses import dataclass

from domain.pricing import PriceRules
from infra.accounts import Accounts
from infra.commands import CommandBus
from infra.directory import Directory
from infra.flows.conversion import ConversionFlow
from infra.flows.departure import DepartureFlow
from infra.flows.orders import OrderFlows
from infra.flows.runner import FlowRunner
from infra.leads import Leads
from infra.opportunities import Opportunities
from infra.reps import Reps
from infra.settings import Settings
from infra.stock import StockItems
from infra.store import EventStore


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
