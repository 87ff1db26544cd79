"""The lists' answers (``api.routers.lists`` returns them): ``{items, next_cursor}``."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

CENT = Decimal("0.01")
Cents = Annotated[Decimal, AfterValidator(lambda amount: amount.quantize(CENT))]

NEXT_CURSOR = Field(description="Pass as `cursor` for the next page; null on the last page")


class LeadItem(BaseModel):
    id: str
    person: str
    company: str
    email: str
    status: str = Field(description="open, qualified, disqualified or converted")
    score: int
    channel: str
    region: str | None
    owner_id: str | None = Field(description="Null until the lead is assigned")
    owner_name: str | None
    captured_at: datetime
    last_contact_at: datetime | None = Field(description="The last interaction logged")


class LeadList(BaseModel):
    items: list[LeadItem]
    next_cursor: str | None = NEXT_CURSOR


class AccountItem(BaseModel):
    id: str
    name: str
    region: str
    industry: str | None
    grade: str | None
    owner_id: str
    owner_name: str | None
    open_opportunities: int = Field(description="Deals on the account not closed yet")
    opened_at: datetime
    last_contact_at: datetime | None = Field(
        description="The last interaction logged on the account or one of its deals")


class AccountList(BaseModel):
    items: list[AccountItem]
    next_cursor: str | None = NEXT_CURSOR


class OpportunityItem(BaseModel):
    id: str
    name: str
    account_id: str
    account_name: str | None
    stage: str
    probability: int
    amount: Cents
    currency: str
    weighted_amount: Cents
    owner_id: str
    owner_name: str | None
    expected_close: date
    days_in_stage: int
    opened_at: datetime
    last_contact_at: datetime | None = Field(description="The last interaction logged")
    open: bool
    stuck: bool = Field(description=(
        "Open and longer in its stage than the stage's threshold, as "
        "`GET /v1/opportunities/stuck` counts it"))
    days_without_contact: int | None = Field(description=(
        "Whole days since the last interaction, or since opening; null once closed"))


class OpportunityList(BaseModel):
    items: list[OpportunityItem]
    next_cursor: str | None = NEXT_CURSOR


class OrderItem(BaseModel):
    id: str
    account_id: str
    account_name: str | None
    owner_id: str | None = Field(description="The account's owner, through whom it is seen")
    owner_name: str | None
    status: str
    total: Cents
    paid: Cents
    currency: str
    placed_at: datetime


class OrderList(BaseModel):
    items: list[OrderItem]
    next_cursor: str | None = NEXT_CURSOR


class RepItem(BaseModel):
    id: str
    name: str
    email: str
    role: str
    team: str
    region: str
    manager_id: str | None
    manager_name: str | None
    active: bool = Field(description="False once the rep departed")
    hired_at: datetime


class RepList(BaseModel):
    items: list[RepItem]
    next_cursor: str | None = NEXT_CURSOR


class StockItemListed(BaseModel):
    sku: str
    name: str
    base_price: Cents
    reorder_level: int
    on_hand: int
    reserved: int
    available: int
    below_reorder: bool


class StockItemList(BaseModel):
    items: list[StockItemListed]
    next_cursor: str | None = NEXT_CURSOR
