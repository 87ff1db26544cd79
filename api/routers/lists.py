"""Work lists: leads, accounts, opportunities, orders, reps and stock items, a page at a time.

Every list takes ``limit`` (1-500, default 50), ``cursor`` (the previous page's
``next_cursor``), ``sort`` (a field, ``-`` first for descending) and ``q`` (words, matched at
the start of the words of names, company and email, case-insensitively), and answers
``{items, next_cursor}``. A caller sees exactly the records they would see one by one: a rep
their own, a manager their team's (and leads nobody owns yet), the other roles everyone's.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import Day, Label, PageCursor, RecordId, SearchText
from api.reading import list_scope
from api.schemas.leads import ChannelName
from api.schemas.opportunities import StageName
from infra.readside.readstore import SqlReader
from projections.inventory.queries import InventoryQueries
from projections.paging import Page, PageRequest
from projections.work_lists.answers import (
    AccountItem,
    AccountList,
    LeadItem,
    LeadList,
    OpportunityItem,
    OpportunityList,
    OrderItem,
    OrderList,
    RepItem,
    RepList,
    StockItemList,
    StockItemListed,
)
from projections.work_lists.queries import LeadFilters, OpportunityFilters, WorkListQueries

router = APIRouter(prefix="/v1", responses=QUERY_RESPONSES)
ReadsLists = Annotated[None, reads("lists")]
ReadsInventory = Annotated[None, reads("inventory")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[PageCursor | None, Query(description="`next_cursor` of the previous page")]
Words = Annotated[SearchText | None, Query(description=(
    "Words, each matched at the start of a word of the names, company or email, "
    "case-insensitively; all must match"))]
Owner = Annotated[RecordId | None, Query(description="The records' owner")]
RegionFilter = Annotated[Label | None, Query(description="Region")]


def _items(found: Page, renamed: str) -> list[dict[str, Any]]:
    """The rows, their id column named ``id`` as in every answer."""
    return [{"id": row[renamed], **row} for row in found.items]


@router.get("/leads", tags=["leads"])
def leads(caller: PrincipalDep, services: ServicesDep, _: ReadsLists, limit: Limit = 50,
          cursor: Cursor = None, q: Words = None,
          sort: Literal["captured_at", "-captured_at", "score", "-score", "person", "-person",
                        "company", "-company"] = "-captured_at",
          status: Literal["open", "qualified", "disqualified", "converted"] | None = None,
          owner_id: Owner = None, channel: ChannelName | None = None,
          region: RegionFilter = None,
          min_score: Annotated[int | None, Query(ge=0, le=1000)] = None,
          unassigned: Annotated[bool, Query(description="Only leads nobody owns yet")] = False,
          ) -> LeadList:
    """Leads, newest first by default."""
    filters = LeadFilters(status, owner_id, channel, region, min_score, unassigned)
    with services.read_db.reader() as conn:
        found = WorkListQueries(SqlReader(services.read_db, conn)).leads(
            list_scope(caller, services.sales.directory), PageRequest(limit, cursor, sort, q),
            filters)
    return LeadList(items=[LeadItem(**r) for r in _items(found, "lead_id")],
                    next_cursor=found.next_cursor)


@router.get("/accounts", tags=["accounts"])
def accounts(caller: PrincipalDep, services: ServicesDep, _: ReadsLists, limit: Limit = 50,
             cursor: Cursor = None, q: Words = None,
             sort: Literal["name", "-name", "opened_at", "-opened_at"] = "name",
             owner_id: Owner = None, region: RegionFilter = None,
             grade: Literal["key", "A", "B", "C"] | None = None) -> AccountList:
    """Accounts, by name by default."""
    with services.read_db.reader() as conn:
        found = WorkListQueries(SqlReader(services.read_db, conn)).accounts(
            list_scope(caller, services.sales.directory), PageRequest(limit, cursor, sort, q),
            owner_id, region, grade)
    return AccountList(items=[AccountItem(**r) for r in _items(found, "account_id")],
                       next_cursor=found.next_cursor)


@router.get("/opportunities", tags=["opportunities"])
def opportunities(caller: PrincipalDep, services: ServicesDep, _: ReadsLists,
                  limit: Limit = 50, cursor: Cursor = None, q: Words = None,
                  sort: Literal["expected_close", "-expected_close", "amount", "-amount",
                                "opened_at", "-opened_at", "name", "-name"] = "expected_close",
                  stage: StageName | None = None, owner_id: Owner = None,
                  team: Annotated[Label | None, Query(description="The owner's team")] = None,
                  region: Annotated[Label | None, Query(
                      description="The account's region")] = None,
                  closing_after: Annotated[Day | None, Query(
                      description="Expected to close on or after")] = None,
                  closing_before: Annotated[Day | None, Query(
                      description="Expected to close on or before")] = None,
                  no_contact_days: Annotated[int | None, Query(ge=0, le=36_500, description=(
                      "Only open deals nobody contacted for this many days (since their "
                      "last interaction, or since they opened)"))] = None,
                  stuck: Annotated[bool, Query(description=(
                      "Only open deals longer in their stage than its threshold (prospecting 14 "
                      "days, qualification 21, proposal 30, negotiation 30)"))] = False,
                  open: Annotated[bool | None, Query(
                      description="true: only deals not closed yet; false: only closed ones")
                  ] = None,
                  ) -> OpportunityList:
    """Opportunities, soonest expected close first by default; `q` matches the deal's and
    its account's names."""
    filters = OpportunityFilters(stage, owner_id, team, region, closing_after, closing_before,
                                 no_contact_days, stuck, open)
    with services.read_db.reader() as conn:
        found = WorkListQueries(SqlReader(services.read_db, conn)).opportunities(
            list_scope(caller, services.sales.directory), PageRequest(limit, cursor, sort, q),
            datetime.now(UTC), filters)
    return OpportunityList(items=[OpportunityItem(**r) for r in _items(found, "opportunity_id")],
                           next_cursor=found.next_cursor)


@router.get("/orders", tags=["orders"])
def orders(caller: PrincipalDep, services: ServicesDep, _: ReadsLists, limit: Limit = 50,
           cursor: Cursor = None,
           sort: Literal["placed_at", "-placed_at", "total", "-total"] = "-placed_at",
           account_id: Annotated[RecordId | None, Query(description="The account")] = None,
           status: Literal["placed", "reserved", "back_ordered", "rejected", "confirmed",
                           "partially_shipped", "shipped", "invoiced", "paid",
                           "cancelled"] | None = None) -> OrderList:
    """Orders, newest first by default; seen through their account's owner."""
    with services.read_db.reader() as conn:
        found = WorkListQueries(SqlReader(services.read_db, conn)).orders(
            list_scope(caller, services.sales.directory), PageRequest(limit, cursor, sort),
            account_id, status)
    return OrderList(items=[OrderItem(**r) for r in _items(found, "order_id")],
                     next_cursor=found.next_cursor)


@router.get("/reps", tags=["reps"])
def reps(caller: PrincipalDep, services: ServicesDep, _: ReadsLists, limit: Limit = 50,
         cursor: Cursor = None, q: Words = None,
         sort: Literal["name", "-name", "hired_at", "-hired_at"] = "name",
         team: Annotated[Label | None, Query(description="Team")] = None,
         region: RegionFilter = None,
         active: Annotated[bool | None, Query(description="false: only departed reps")] = None,
         ) -> RepList:
    """Reps, by name: a rep sees themself, a manager their team."""
    with services.read_db.reader() as conn:
        found = WorkListQueries(SqlReader(services.read_db, conn)).reps(
            list_scope(caller, services.sales.directory), PageRequest(limit, cursor, sort, q),
            team, region, active)
    return RepList(items=[RepItem(**r) for r in _items(found, "rep_id")],
                   next_cursor=found.next_cursor)


@router.get("/stock-items", tags=["stock"])
def stock_items(caller: PrincipalDep, services: ServicesDep, _: ReadsInventory,
                limit: Limit = 50, cursor: Cursor = None, q: Words = None,
                sort: Literal["sku", "-sku", "name", "-name", "available",
                              "-available"] = "sku",
                below_reorder: Annotated[bool, Query(
                    description="Only items whose available stock is below reorder level")
                ] = False) -> StockItemList:
    """Stock items and their levels (every role), by SKU by default; `q` matches SKU and
    name."""
    with services.read_db.reader() as conn:
        found = InventoryQueries(SqlReader(services.read_db, conn)).stock_items(
            PageRequest(limit, cursor, sort, q), below_reorder)
    return StockItemList(items=[StockItemListed(**r) for r in found.items],
                         next_cursor=found.next_cursor)
