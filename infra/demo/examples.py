"""Example records of the demo: the ids the API document's examples name (``api/examples.py``).

The demo's story leaves its records in whatever state chance gave them. The examples need
records in known states instead, so that every example of ``/docs`` works on a freshly loaded
demo: an open lead, an account with a contact, an open deal, each with a follow-up still to
do and, since their rep is the one who departs, a hand-over still pending; and one order in
each state a command starts from. Their ids follow from the seed (an id derived from each
record's Idempotency-Key), so ``DemoExamples.for_seed`` names them without reading the store.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain import account, lead, opportunity, order, rep
from infra.demo.story import Story
from infra.eventstore.ids import derived_id, new_stream_id

FOLLOW_UP = "example-follow-up"
SKU = "SKU-002"  # the Gateway
REGION = "north"  # the first team's region: its price list is in euros
ORDER_STATES = ("reserved", "confirmed", "shipped", "invoiced")
ORDER_LINES = ((SKU, 2), ("SKU-004", 5))
INVOICED = Decimal("100.00")  # the invoiced order's first invoice: room for more, and to pay


def _key(seed: int, name: str) -> str:
    return f"demo-{seed}-{name}"


@dataclass(frozen=True)
class DemoExamples:
    """The demo records the examples act on, for one seed."""

    manager: str  # the first team's manager
    departed: str  # the first team's first rep: leaves at the end of the story
    successor: str  # takes over the departed rep's records (and the examples below)
    colleague: str  # another rep of the first team
    other_manager: str  # the second team's manager
    leaving: str  # the second team's first rep: has given notice, the plan under review
    leaving_successor: str  # a colleague of theirs, to split the plan with
    leaving_deal: str  # an open deal of theirs
    lead: str
    account: str
    contact: str
    opportunity: str
    orders: dict[str, str]  # state -> order id

    @classmethod
    def for_seed(cls, seed: int = 42) -> "DemoExamples":
        def rep_id(name: str) -> str:
            return str(new_stream_id(rep.STREAM, _key(seed, name)))

        account_id = str(new_stream_id(account.STREAM, _key(seed, "example-account")))
        return cls(
            manager=rep_id("manager-0"), departed=rep_id("rep-0-0"), successor=rep_id("rep-0-1"),
            colleague=rep_id("rep-0-2"), other_manager=rep_id("manager-1"),
            leaving=rep_id("rep-1-0"), leaving_successor=rep_id("rep-1-1"),
            leaving_deal=str(new_stream_id(opportunity.STREAM, _key(seed, "example-leaving"))),
            lead=str(new_stream_id(lead.STREAM, _key(seed, "example-lead"))),
            account=account_id, contact=str(derived_id(account_id, "example-contact")),
            opportunity=str(new_stream_id(opportunity.STREAM, _key(seed, "example-opportunity"))),
            orders={state: str(new_stream_id(order.STREAM, _key(seed, f"example-order-{state}")))
                    for state in ORDER_STATES})

    @property
    def records(self) -> frozenset[str]:
        return frozenset({self.lead, self.account, self.opportunity, *self.orders.values()})


def add_examples(story: Story) -> DemoExamples:
    """Creates the example records, owned by the rep who will depart (so that the departure
    hands them over), with a follow-up each still to do."""
    ids = DemoExamples.for_seed(story.seed)
    _lead(story, ids)
    _account(story, ids)
    _opportunity(story, ids)
    if len(story.teams) > 1:
        _leaving_deal(story, ids)
    for state in ORDER_STATES:
        _order(story, ids, state)
    return ids


def _follow_up(story: Story) -> dict[str, object]:
    return {"follow_up_id": FOLLOW_UP, "due": story.clock.now.date() + timedelta(days=21),
            "note": "agree on the next step"}


def _lead(story: Story, ids: DemoExamples) -> None:
    leads = story.sales.leads
    captured = leads.capture(
        story.ctx("web", "example-lead"), person="Marta Vogel", company="Vogel Robotik GmbH",
        email="marta.vogel@vogel-robotik.example", channel="web_form", region=REGION,
        industry="manufacturing", company_size=120, owner_id=ids.departed)
    assert str(captured.stream_id) == ids.lead, "the example lead's id is derived from its key"
    leads.schedule_follow_up(story.ctx(ids.departed), ids.lead, **_follow_up(story))  # type: ignore[arg-type]


def _account(story: Story, ids: DemoExamples) -> None:
    accounts = story.sales.accounts
    opened = accounts.open(story.ctx(ids.manager, "example-account"), name="Hafen Logistik AG",
                           region=REGION, owner_id=ids.departed, industry="logistics", size=400)
    assert str(opened.stream_id) == ids.account, "the example account's id is derived from its key"
    accounts.add_contact(story.ctx(ids.departed), ids.account, contact_id=ids.contact,
                         name="Jonas Berg", email="jonas.berg@hafen-logistik.example",
                         role="head of purchasing")
    accounts.schedule_follow_up(story.ctx(ids.departed), ids.account, **_follow_up(story))  # type: ignore[arg-type]


def _opportunity(story: Story, ids: DemoExamples) -> None:
    deals = story.sales.opportunities
    opened = deals.open(story.ctx(ids.departed, "example-opportunity"), account_id=ids.account,
                        owner_id=ids.departed, name="Hafen Logistik: gateway roll-out",
                        amount=Decimal("42000.00"),
                        expected_close=story.clock.now.date() + timedelta(days=75))
    assert str(opened.stream_id) == ids.opportunity, "the example deal's id is derived from its key"
    deals.change_stage(story.ctx(ids.departed), ids.opportunity, stage="qualification")
    deals.schedule_follow_up(story.ctx(ids.departed), ids.opportunity, **_follow_up(story))  # type: ignore[arg-type]


def _leaving_deal(story: Story, ids: DemoExamples) -> None:
    """A deal of the rep of the second team who gives notice, on an account of theirs."""
    region = list(story.teams)[1]
    customer = story.sales.accounts.open(story.ctx(ids.leaving, "example-leaving-account"),
                                         name="Südhang Weine KG",
                                         region=region, owner_id=ids.leaving,
                                         industry="retail", size=35)
    opened = story.sales.opportunities.open(
        story.ctx(ids.leaving, "example-leaving"), account_id=str(customer.stream_id),
        owner_id=ids.leaving, name="Südhang Weine: cellar sensors", amount=Decimal("9800.00"),
        expected_close=story.clock.now.date() + timedelta(days=40))
    assert str(opened.stream_id) == ids.leaving_deal, "the deal's id is derived from its key"


def _order(story: Story, ids: DemoExamples, state: str) -> None:
    """An order of the example account taken to ``state`` (stock received first: the
    story may have sold the shelves empty)."""
    s, order_id = story.sales, ids.orders[state]
    for sku, quantity in ORDER_LINES:
        s.stock.receive(story.ctx("warehouse"), sku, quantity=quantity)
    placed = s.orders.place(story.ctx("demo", f"example-order-{state}"), account_id=ids.account,
                            lines=ORDER_LINES)
    assert str(placed.stream_id) == order_id, "the example order's id is derived from its key"
    steps = ORDER_STATES.index(state)
    if steps >= 1:
        s.orders.confirm(story.ctx("demo"), order_id)
    if steps >= 2:
        s.orders.ship(story.ctx("warehouse"), order_id, shipment_id=f"S-example-{state}",
                      lines=ORDER_LINES)
    if steps >= 3:
        s.orders.invoice(story.ctx("billing"), order_id, invoice_id=f"INV-example-{state}",
                         amount=INVOICED)
