"""The inventory's answers (``api.routers.inventory`` returns them)."""

from datetime import datetime

from pydantic import BaseModel, Field

from projections.answers import Money, PageInfo


class StockLevel(BaseModel):
    sku: str
    name: str | None
    base_price: Money | None
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved")
    reorder_level: int
    below_reorder: bool = Field(description="available < reorder_level")


class StockLevels(PageInfo):
    items: list[StockLevel] = Field(description="By SKU")


class Movement(BaseModel):
    event_position: int
    kind: str
    order_id: str | None
    shipment_id: str | None
    on_hand_delta: int | None
    reserved_delta: int | None
    on_hand_after: int | None
    reserved_after: int | None
    reason: str | None
    base_price: Money | None
    previous_price: Money | None
    occurred_at: datetime | None
    actor: str | None


class Movements(BaseModel):
    sku: str
    limit: int
    offset: int
    items: list[Movement] = Field(description="Newest first")
