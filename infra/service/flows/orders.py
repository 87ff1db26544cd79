"""Order flows: placement (price, reserve every line), shipping and cancellation.

Placement is one unit of work (``infra.service.commands.Unit``): ``OrderPlaced``, a reservation on the
stock item of each line and ``OrderReserved`` (or ``OrderBackOrdered``) are stored in one
transaction, each at the version of its stream it was decided on. Stock is never oversold:
if another order took the stock meanwhile, the unit conflicts, is decided again on the
current stock, and is refused with nothing stored when the stock is short.
``reserve`` finishes orders that were placed but not reserved (by earlier versions, or
back orders waiting for stock) when flows are resumed; a reservation that loses a race
there releases what it reserved and rejects the order, so the refusal is in the history.
Reservations and releases are keyed by order id and shipments by shipment id, so re-running
a flow repeats nothing.
"""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import opportunity, order, stock_item
from domain.account import Account
from domain.catalog import AGGREGATES, AggregateType
from domain.errors import DomainError, InsufficientStockError, NotFoundError, RuleViolationError
from domain.events import Event
from domain.pricing import PriceRequest, PriceRules
from infra.eventstore.ids import canonical_id, new_stream_id, parse_id, stock_item_id
from infra.eventstore.store import Loaded
from infra.service.accounts import ACCOUNT
from infra.service.commands import CommandBus, CommandContext, CommandResult, Guard, Unit, Work
from infra.service.prices import Prices
from infra.service.stock import STOCK_ITEM, StockItems
from infra.service.visibility import RecordCheck, missing

ORDER = AGGREGATES[order.STREAM]
OPPORTUNITY = AGGREGATES[opportunity.STREAM]


class OrderFlows:
    def __init__(self, bus: CommandBus, stock: StockItems, prices: Prices) -> None:
        self.bus, self.stock, self.prices = bus, stock, prices

    @property
    def rules(self) -> PriceRules:
        """The configured rules, before any price list or promotion."""
        return self.prices.base

    def get(self, order_id: str | UUID) -> order.Order:
        return self.find(order_id).state  # type: ignore[no-any-return]

    def find(self, order_id: str | UUID) -> Loaded:
        """The order now, with its version; unknown: ``NotFoundError``."""
        loaded = self.bus.load(ORDER, parse_id(str(order_id), "order_id"))
        if loaded.state is None:
            raise NotFoundError(f"order {order_id} not found")
        return loaded

    def place(self, ctx: CommandContext, *, account_id: str, lines: Sequence[tuple[str, int]],
              opportunity_id: str | None = None, allow_back_order: bool = False,
              currency: str | None = None, may_see: RecordCheck | None = None) -> CommandResult:
        """Places, reserves every line and marks the order reserved (or back-ordered) in one
        unit: stored together, or, when stock is short, not at all. The account is read in
        the unit too (its grade and region price the lines), and so are the region's price
        list and the promotions: if one changes before the commit, the unit is decided
        again. Without ``currency`` the order is in its region's price list's currency (the
        base prices' without one). ``may_see`` checks, on those same states, that the caller
        may see the account and the opportunity the order names (``NotFoundError`` if not,
        as for an unknown one); the opportunity must be one of the account's (422)."""
        stream_id = new_stream_id(order.STREAM, ctx.idempotency_key)
        return self.bus.handle(ORDER, stream_id, self._placing(
            ctx, stream_id, account_id, lines, opportunity_id, allow_back_order, currency,
            may_see), ctx)

    async def place_async(self, ctx: CommandContext, *, account_id: str,
                          lines: Sequence[tuple[str, int]], opportunity_id: str | None = None,
                          allow_back_order: bool = False, currency: str | None = None,
                          may_see: RecordCheck | None = None,
                          in_loop: bool = True) -> CommandResult:
        """``place`` for the event loop (``CommandBus.handle_async``); ``in_loop=False``
        when ``may_see`` reads the store."""
        stream_id = new_stream_id(order.STREAM, ctx.idempotency_key)
        return await self.bus.handle_async(ORDER, stream_id, self._placing(
            ctx, stream_id, account_id, lines, opportunity_id, allow_back_order, currency,
            may_see), ctx, in_loop=in_loop)

    def _placing(self, ctx: CommandContext, stream_id: UUID, account_id: str,
                 lines: Sequence[tuple[str, int]], opportunity_id: str | None,
                 allow_back_order: bool, currency: str | None,
                 may_see: RecordCheck | None) -> Work:
        account_stream = parse_id(account_id, "account_id")
        account_id = str(account_stream)
        opportunity_id = canonical_id(opportunity_id, "opportunity_id") if opportunity_id else None
        request = ("place", account_id, tuple(lines), opportunity_id, allow_back_order,
                   currency or "EUR")  # as fingerprinted before currencies were chosen
        def placement(unit: Unit) -> tuple[Event, ...]:
            customer: Account = _named(unit, ACCOUNT, "account", account_id, may_see)
            if opportunity_id is not None:
                deal = _named(unit, OPPORTUNITY, "opportunity", opportunity_id, may_see)
                unit.require(lambda: _of_account(deal, opportunity_id, account_id))
            items = {sku: unit.existing(STOCK_ITEM, stock_item_id(sku), f"stock item {sku}")
                     for sku, _ in lines}
            prices = tuple(PriceRequest(sku, items[sku].base_price, quantity, customer.grade,
                                        customer.region, ctx.now) for sku, quantity in lines)
            rules = self.prices.rules(unit.state, customer.region)
            command = order.PlaceOrder(str(stream_id), account_id, prices, rules, opportunity_id,
                                       currency or rules.currency_for(customer.region),
                                       allow_back_order)
            events = unit.decide(ORDER, stream_id, command, request=request)
            short = []
            for sku, quantity in lines:
                try:
                    events += unit.decide(STOCK_ITEM, stock_item_id(sku),
                                          stock_item.ReserveStock(str(stream_id), quantity))
                except InsufficientStockError as refusal:
                    if not allow_back_order:
                        raise InsufficientStockError(sku, quantity, refusal.available) from None
                    short.append(sku)
            step = order.MarkBackOrdered(tuple(short)) if short else order.MarkReserved()
            return tuple(events + unit.decide(ORDER, stream_id, step))

        return Work(placement, request)

    def reserve(self, ctx: CommandContext, order_id: str) -> CommandResult:
        """Reserves every line; ends reserved, back-ordered, or rejected (then raises)."""
        stream_id = parse_id(order_id, "order_id")
        order_id = str(stream_id)
        current = self.get(order_id)
        if current.status not in ("placed", "back_ordered"):
            return CommandResult(stream_id, 0, self.bus.max_position(), ())
        short = self._reserve_lines(ctx, order_id, current)
        if not short:
            return self.bus.handle(ORDER, stream_id, order.MarkReserved(), ctx)
        if current.allow_back_order:
            if current.status == "back_ordered":
                return CommandResult(stream_id, 0, self.bus.max_position(), ())
            return self.bus.handle(ORDER, stream_id, order.MarkBackOrdered(tuple(short)), ctx)
        self._release_all(ctx, order_id, current)
        self.bus.handle(ORDER, stream_id, order.RejectOrder("insufficient_stock", short[0]), ctx)
        item = self.stock.get(short[0])
        raise InsufficientStockError(short[0], current.ordered_quantity(short[0]), item.available)

    def _reserve_lines(self, ctx: CommandContext, order_id: str, current: order.Order) -> list[str]:
        short = []
        for line in current.lines:
            try:
                self.bus.handle(STOCK_ITEM, stock_item_id(line.sku),
                                stock_item.ReserveStock(order_id, line.quantity), ctx)
            except InsufficientStockError:
                short.append(line.sku)
        return short

    def _release_all(self, ctx: CommandContext, order_id: str, current: order.Order) -> None:
        for line in current.lines:
            self.bus.handle(STOCK_ITEM, stock_item_id(line.sku),
                            stock_item.ReleaseReservation(order_id), ctx)

    def confirm(self, ctx: CommandContext, order_id: str,
                guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(ORDER, parse_id(order_id, "order_id"), order.ConfirmOrder(), ctx,
                               guard)

    def ship(self, ctx: CommandContext, order_id: str, *, shipment_id: str,
             lines: Sequence[tuple[str, int]], guard: Guard | None = None) -> CommandResult:
        order_id = canonical_id(order_id, "order_id")
        shipment = tuple(order.ShipmentLine(sku, quantity) for sku, quantity in lines)
        shipped = self.bus.handle(ORDER, parse_id(order_id, "order_id"),
                                  order.ShipOrder(shipment_id, shipment), ctx, guard)
        if not shipped.event_ids:  # this shipment was recorded before: finish its stock step
            self.resume(ctx, order_id)
        else:
            self.ship_stock(ctx.caused_by(shipped.event_ids[0]), order_id, shipment_id, shipment)
        return self._after_stock_steps(shipped)

    def ship_stock(self, ctx: CommandContext, order_id: str, shipment_id: str,
                   lines: Sequence[order.ShipmentLine]) -> None:
        for line in lines:
            self.bus.handle(STOCK_ITEM, stock_item_id(line.sku),
                            stock_item.ShipStock(order_id, shipment_id, line.quantity), ctx)

    def cancel(self, ctx: CommandContext, order_id: str, *, reason: str,
               guard: Guard | None = None) -> CommandResult:
        order_id = canonical_id(order_id, "order_id")
        cancelled = self.bus.handle(ORDER, parse_id(order_id, "order_id"),
                                    order.CancelOrder(reason), ctx, guard)
        self._release_all(ctx.caused_by(cancelled.event_ids[0]), order_id, self.get(order_id))
        return self._after_stock_steps(cancelled)

    def _after_stock_steps(self, result: CommandResult) -> CommandResult:
        """The order's result, at a position that covers the stock steps after its event."""
        return replace(result, position=self.bus.max_position())

    def as_stored(self, result: CommandResult) -> Loaded | None:
        """The order as this process just stored it (None: it has moved on since, or the
        answer was a replay)."""
        loaded = self.bus.cached(ORDER, result.stream_id)
        return loaded if loaded.version == result.version else None

    def invoice(self, ctx: CommandContext, order_id: str, *, invoice_id: str,
                amount: Decimal, guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(ORDER, parse_id(order_id, "order_id"),
                               order.InvoiceOrder(invoice_id, amount), ctx, guard)

    def record_payment(self, ctx: CommandContext, order_id: str, *, amount: Decimal,
                       reference: str, guard: Guard | None = None) -> CommandResult:
        return self.bus.handle(ORDER, parse_id(order_id, "order_id"),
                               order.RecordPayment(amount, reference), ctx, guard)

    def resume_after(self, ctx: CommandContext, order_id: str, started: Event) -> None:
        """Completes the flow that ``started`` began (placed, shipped or cancelled), if a crash
        interrupted it: one read of the order, and stock steps only for a shipment (each
        idempotent). The sweep of every flow (``FlowRunner``) pays this per order event, so it
        does not re-run the other flows of the order as ``resume`` does."""
        if isinstance(started, order.OrderShipped):
            self.ship_stock(ctx, order_id, started.shipment_id, started.lines)
            return
        current = self.get(order_id)
        if isinstance(started, order.OrderPlaced) and current.status in ("placed", "back_ordered"):
            try:
                self.reserve(ctx, order_id)
            except DomainError:
                pass  # the refusal is now recorded on the order
        elif isinstance(started, order.OrderCancelled) and current.status in ("cancelled",
                                                                             "rejected"):
            self._release_all(ctx, order_id, current)

    def resume(self, ctx: CommandContext, order_id: str) -> None:
        """Completes whatever step of placement, shipping or cancellation was interrupted."""
        current = self.get(order_id)
        if current.status in ("placed", "back_ordered"):
            try:
                self.reserve(ctx, order_id)
            except DomainError:
                pass  # the refusal is now recorded on the order
        elif current.status in ("cancelled", "rejected"):
            self._release_all(ctx, order_id, current)
        for recorded in self.bus.history(parse_id(order_id)):
            if isinstance(recorded.event, order.OrderShipped):
                self.ship_stock(ctx, order_id, recorded.event.shipment_id, recorded.event.lines)


def _named(unit: Unit, aggregate: AggregateType, kind: str, record_id: str,
           may_see: RecordCheck | None) -> Any:
    """A record the order names, read in the unit: unknown, of another kind or not visible
    to the caller, it is ``missing`` alike."""
    try:
        state = unit.existing(aggregate, UUID(record_id), f"{kind} {record_id}")
    except NotFoundError:
        raise missing(kind, record_id) from None
    if may_see is not None:
        unit.require(lambda: may_see(kind, record_id, state.owner_id))
    return state


def _of_account(deal: Any, opportunity_id: str, account_id: str) -> None:
    if deal.account_id != account_id:
        raise RuleViolationError("opportunity_id",
                              f"opportunity {opportunity_id} is not one of account {account_id}")
