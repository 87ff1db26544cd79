"""A command-side index of reps and of who owns which open item, kept in memory.

It follows the store's global order, reading only the event types it needs, and catches
up before every use, so it always reflects every committed event. Lead distribution (who
is in a territory, who is least loaded, whose turn it is) and the departure flow (what a
rep still owns) read it. It is rebuilt from the events at start-up; nothing is stored.
"""

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.stages import Stage, is_open
from infra.eventstore import codec
from infra.eventstore.store import EventStore

TOPICS = (
    "RepHired", "RepMoved", "RepDeparted", "RepNoticeGiven", "RepHandOverPlanned",
    "RepHandOverApproved",
    "LeadCaptured", "LeadAssigned", "LeadHandedOver", "LeadConverted", "LeadDisqualified",
    "AccountOpened", "AccountOwnerChanged", "AccountHandedOver",
    "OpportunityOpened", "OpportunityStageChanged", "OpportunityOwnerChanged",
    "OpportunityHandedOver", "OrderPlaced",
)


@dataclass
class RepEntry:
    rep_id: str
    role: str
    team: str
    region: str
    manager_id: str | None
    active: bool = True
    leaving_on: date | None = None  # the effective date of a notice
    plan_approved: bool = False


@dataclass
class Item:
    kind: str  # lead | account | opportunity
    item_id: str
    owner_id: str | None
    open: bool = True
    region: str | None = None
    account_id: str | None = None
    probability: int = 0


@dataclass
class DirectoryState:
    position: int = 0
    reps: dict[str, RepEntry] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    order_accounts: dict[str, str] = field(default_factory=dict)  # order id -> account id
    round_robin_counts: Counter[str] = field(default_factory=Counter)


class Directory:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = DirectoryState()
        self._lock = threading.Lock()

    def catch_up(self) -> DirectoryState:
        with self._lock:
            while batch := self.store.notifications(self.state.position, 5000, TOPICS):
                for n in batch:
                    _apply(self.state, n.topic, str(n.originator_id), codec.decode_body(n.state))
                self.state.position = batch[-1].id
            return self.state

    def active_reps_in(self, region: str | None, team: str | None = None) -> list[str]:
        """The active reps of a region (any: None), of one team if ``team`` is given."""
        reps = self.catch_up().reps.values()
        return [r.rep_id for r in reps if r.active and r.role == "rep"
                and (region is None or r.region == region) and (team is None or r.team == team)]

    def open_lead_counts(self, rep_ids: list[str]) -> dict[str, int]:
        counts = Counter(i.owner_id for i in self.catch_up().items.values()
                         if i.kind == "lead" and i.open and i.owner_id in rep_ids)
        return {rep: counts.get(rep, 0) for rep in rep_ids}

    def departures_due(self, today: date) -> list[str]:
        """The reps whose approved hand-over plan takes effect on or before ``today``."""
        return [r.rep_id for r in self.catch_up().reps.values()
                if r.active and r.plan_approved and r.leaving_on is not None
                and r.leaving_on <= today]

    def owned_open_items(self, rep_id: str) -> list[Item]:
        items = self.catch_up().items.values()
        return [i for i in items if i.owner_id == rep_id and i.open]


def _apply(state: DirectoryState, topic: str, stream_id: str, body: dict[str, Any]) -> None:
    data = body["data"]
    if topic.startswith("Rep"):
        _apply_rep(state, topic, stream_id, data)
    else:
        _apply_item(state, topic, stream_id, data)


def _apply_rep(state: DirectoryState, topic: str, rep_id: str, data: dict[str, Any]) -> None:
    if topic == "RepHired":
        state.reps[rep_id] = RepEntry(rep_id, data["role"], data["team"], data["region"],
                                      data["manager_id"])
    elif topic == "RepMoved":
        entry = state.reps[rep_id]
        entry.team, entry.region, entry.manager_id = data["team"], data["region"], data["manager_id"]
    elif topic == "RepDeparted":
        state.reps[rep_id].active = False
    elif topic == "RepNoticeGiven":
        state.reps[rep_id].leaving_on = date.fromisoformat(data["effective_date"])
    elif topic in ("RepHandOverPlanned", "RepHandOverApproved"):
        state.reps[rep_id].plan_approved = topic == "RepHandOverApproved"


def _apply_item(state: DirectoryState, topic: str, item_id: str, data: dict[str, Any]) -> None:
    item = state.items.get(item_id)
    if topic == "LeadCaptured":
        state.items[item_id] = Item("lead", item_id, None, region=data["region"])
    elif topic == "AccountOpened":
        state.items[item_id] = Item("account", item_id, data["owner_id"], region=data["region"])
    elif topic == "OrderPlaced":  # an order is seen through its account
        state.order_accounts[item_id] = data["account_id"]
    elif topic == "OpportunityOpened":
        state.items[item_id] = Item("opportunity", item_id, data["owner_id"],
                                    account_id=data["account_id"],
                                    probability=data["probability"])
    elif item is not None:
        _change_item(state, item, topic, data)


def _change_item(state: DirectoryState, item: Item, topic: str, data: dict[str, Any]) -> None:
    if topic == "LeadAssigned":
        item.owner_id = data["rep_id"]
        if data["rule"] == "round_robin":
            state.round_robin_counts[item.region or ""] += 1
    elif topic.endswith("HandedOver"):
        item.owner_id = data["to_rep_id"]
    elif topic.endswith("OwnerChanged"):
        item.owner_id = data["owner_id"]
    elif topic in ("LeadConverted", "LeadDisqualified"):
        item.open = False
    elif topic == "OpportunityStageChanged":
        item.probability = data["probability"]
        item.open = is_open(Stage(data["to_stage"]))
