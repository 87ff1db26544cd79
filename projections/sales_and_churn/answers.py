"""Sales reports and churn, as ``api.routers.insights`` returns them."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from projections.answers import PageInfo


class SalesRow(BaseModel):
    period: str = Field(description="2026-11-02, 2026-W45, 2026-11 or 2026")
    key: str | None = Field(description="The region, SKU or rep; null without `by`")
    key_name: str | None = Field(None, description="The rep's or the product's name")
    currency: str | None = Field(None, description="The orders' currency: a row per period, "
                                                   "key and currency, never a sum over currencies")
    orders: int
    revenue: Decimal


class SalesReport(PageInfo):
    period: str
    by: str | None
    items: list[SalesRow] = Field(description="By period, then key, then currency")


class ChurnRevenue(BaseModel):
    currency: str
    orders: int
    revenue: Decimal


class ChurnedAccount(BaseModel):
    account_id: str
    name: str | None
    region: str | None
    owner_id: str | None
    owner_name: str | None = None
    first_order_on: date
    last_order_on: date
    orders: int
    revenue: Decimal | None = Field(description="In `currency`; null when the account's orders "
                                                "are in several currencies")
    currency: str | None = Field(None, description="The one currency of the orders")
    by_currency: list[ChurnRevenue] = Field([], description="Orders and revenue per currency")


class Churn(PageInfo):
    as_of: date
    months: int
    items: list[ChurnedAccount] = Field(description="Longest silent first")
