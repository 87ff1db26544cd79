"""Reports: sales by period x region / product / rep, and customers who stopped buying.

"Sales" are the orders placed and neither cancelled nor rejected; queries filter on ``status``
and bucket ``placed_at`` into days, ISO weeks, months or years.

Tables
- ``reports_orders``: one row per order — account, the account's region and the account's owner
  (the rep credited with the sale) at the moment the order was placed, when it was placed, total,
  currency, status (placed | back_ordered | reserved | rejected | confirmed | partially_shipped |
  shipped | invoiced | paid | cancelled), amounts invoiced and paid, and when the status last
  changed.
- ``reports_order_lines``: one row per (order, SKU) — quantity, unit price and line total as
  priced when the order was placed.
- ``reports_accounts``: one row per account — name, region and current owner (the owner an
  order placed now would be credited to; names and regions for the churn report).
- ``reports_names``: the name of every rep and product (SKU) a report row may be keyed by
  (version 2), so that rows name them beside their ids.
"""

from decimal import Decimal
from uuid import UUID

from domain.account import AccountHandedOver, AccountOpened, AccountOwnerChanged
from domain.events import Event
from domain.order import (
    OrderBackOrdered,
    OrderCancelled,
    OrderConfirmed,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRejected,
    OrderReserved,
    OrderShipped,
)
from domain.rep import RepHired
from domain.stock_item import StockItemRegistered
from projections.base import Column, EventRecord, Projection, Row, Rows, Table, on

ORDERS = Table("reports_orders", (
    Column("order_id"), Column("account_id"), Column("region"), Column("rep_id"),
    Column("placed_at", "timestamp"), Column("total", "numeric"), Column("currency"),
    Column("status"), Column("invoiced", "numeric"), Column("paid", "numeric"),
    Column("status_at", "timestamp"),
), key=("order_id",), indexes=(("account_id",), ("placed_at",)))

LINES = Table("reports_order_lines", (
    Column("order_id"), Column("sku"), Column("quantity", "int"), Column("unit_price", "numeric"),
    Column("line_total", "numeric"),
), key=("order_id", "sku"), indexes=(("sku",),))

ACCOUNTS = Table("reports_accounts", (
    Column("account_id"), Column("name"), Column("region"), Column("owner_id"),
), key=("account_id",))
NAMES = Table("reports_names", (Column("id"), Column("name")), key=("id",))

# Order events that only move the status.
STATUS_AFTER: dict[type[Event], str] = {
    OrderReserved: "reserved", OrderBackOrdered: "back_ordered", OrderRejected: "rejected",
    OrderConfirmed: "confirmed", OrderCancelled: "cancelled"}


class SalesAndChurnProjection(Projection):
    name = "reports"
    version = 2
    tables = (ORDERS, LINES, ACCOUNTS, NAMES)

    @on(RepHired)
    def _rep_hired(self, e: EventRecord, rep: RepHired, rows: Rows) -> None:
        rows.put(NAMES.name, {"id": e.stream_id, "name": rep.name})

    @on(StockItemRegistered)
    def _registered(self, e: EventRecord, item: StockItemRegistered, rows: Rows) -> None:
        rows.put(NAMES.name, {"id": item.sku, "name": item.name})

    @on(AccountOpened)
    def _account_opened(self, e: EventRecord, account: AccountOpened, rows: Rows) -> None:
        rows.put(ACCOUNTS.name, {"account_id": e.stream_id, "name": account.name,
                                 "region": account.region, "owner_id": account.owner_id})

    @on(AccountOwnerChanged)
    def _owner_changed(self, e: EventRecord, changed: AccountOwnerChanged, rows: Rows) -> None:
        self._change_owner(rows, e, changed.owner_id)

    @on(AccountHandedOver)
    def _handed_over(self, e: EventRecord, handed: AccountHandedOver, rows: Rows) -> None:
        self._change_owner(rows, e, handed.to_rep_id)

    @on(OrderPlaced)
    def _placed(self, e: EventRecord, placed: OrderPlaced, rows: Rows) -> None:
        account_id = str(UUID(placed.account_id))  # as the caller spelled it: make it canonical
        customer = self._account(rows, account_id)
        rows.put(ORDERS.name, {
            "order_id": e.stream_id, "account_id": account_id, "region": customer["region"],
            "rep_id": customer["owner_id"], "placed_at": e.occurred_at, "total": placed.total,
            "currency": placed.currency, "status": "placed", "invoiced": Decimal(0),
            "paid": Decimal(0), "status_at": e.occurred_at,
        })
        for line in placed.lines:
            rows.put(LINES.name, {"order_id": e.stream_id, "sku": line.sku,
                                  "quantity": line.quantity, "unit_price": line.unit_price,
                                  "line_total": line.line_total})

    @on(*STATUS_AFTER)
    def _status_moved(self, e: EventRecord, event: Event, rows: Rows) -> None:
        self._set_status(rows, e, STATUS_AFTER[type(event)])

    @on(OrderShipped)
    def _shipped(self, e: EventRecord, shipped: OrderShipped, rows: Rows) -> None:
        self._set_status(rows, e, "shipped" if shipped.complete else "partially_shipped")

    @on(OrderInvoiced)
    def _invoiced(self, e: EventRecord, invoiced: OrderInvoiced, rows: Rows) -> None:
        order = self._order(rows, e)
        order["invoiced"] += invoiced.amount
        self._put_status(rows, order, e, "invoiced")

    @on(OrderPaid)
    def _paid(self, e: EventRecord, paid: OrderPaid, rows: Rows) -> None:
        order = self._order(rows, e)
        order["paid"] += paid.amount
        self._put_status(rows, order, e, "paid" if order["paid"] >= order["total"] else "invoiced")

    def _set_status(self, rows: Rows, e: EventRecord, status: str) -> None:
        self._put_status(rows, self._order(rows, e), e, status)

    @staticmethod
    def _put_status(rows: Rows, order: Row, e: EventRecord, status: str) -> None:
        order.update(status=status, status_at=e.occurred_at)
        rows.put(ORDERS.name, order)

    def _change_owner(self, rows: Rows, e: EventRecord, owner_id: str) -> None:
        customer = self._account(rows, e.stream_id)
        customer["owner_id"] = owner_id
        rows.put(ACCOUNTS.name, customer)

    @staticmethod
    def _account(rows: Rows, account_id: str) -> Row:
        customer = rows.get(ACCOUNTS.name, (account_id,))
        if customer is None:
            raise LookupError(f"account {account_id} was never opened")
        return customer

    @staticmethod
    def _order(rows: Rows, e: EventRecord) -> Row:
        order = rows.get(ORDERS.name, (e.stream_id,))
        if order is None:
            raise LookupError(f"order {e.stream_id} was never placed")
        return order
