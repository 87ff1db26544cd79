"""The request bodies and answers of ``api.routers.orders``."""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Currency, Money, Name, Reason, RecordId, Reference, Sku
from api.schemas import Position

Quantity = Annotated[int, Field(gt=0, le=10_000_000)]


EXAMPLE_ACCOUNT = "0b7d5bd4-3f8e-4c61-9a3c-2f1f6e0d6a11"


class LineIn(BaseModel):
    sku: Sku
    quantity: Quantity


class OrderCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "account_id": EXAMPLE_ACCOUNT, "lines": [{"sku": "GW-200", "quantity": 2}],
        "opportunity_id": None, "allow_back_order": False}]})
    account_id: RecordId
    lines: list[LineIn] = Field(min_length=1, max_length=200, description="Each SKU once")
    opportunity_id: RecordId | None = None
    allow_back_order: bool = Field(default=False, description="Keep the order as back-ordered "
                                   "instead of refusing it when stock is short")
    currency: Currency | None = Field(default=None, description=(
        "ISO 4217; default: the currency of the price list of the account's region, else EUR "
        "(base prices are in EUR). A line that neither that list nor a base price prices in "
        "this currency: 409 `rule_violation` naming `lines.<i>.sku`"))


class PricedLineOut(BaseModel):
    sku: str
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    price_rule: str = Field(description="The rule that produced unit_price: the list price's "
                                        "(`base_price` or `price_list:<region>`), then the "
                                        "discount applied, if any, e.g. "
                                        "`price_list:north+promotion:spring(-10%)` or "
                                        "`base_price+grade_discount:A(-8%)`")
    line_total: Decimal


class OrderPlaced(Position):
    id: str
    lines: list[PricedLineOut]
    total: Decimal
    currency: str = Field(description="Of every price and the total")
    status: str = Field(description="reserved, or back_ordered when allowed and stock is short")
    version: int


class ShippedQuantity(BaseModel):
    sku: str
    quantity: int


class OrderPublic(BaseModel):
    id: str
    account_id: str
    lines: list[PricedLineOut]
    total: Decimal
    currency: str
    status: str
    allow_back_order: bool
    shipped: list[ShippedQuantity] = Field(description="Quantities shipped so far, per SKU")
    invoiced: Decimal
    paid: Decimal
    version: int


class Shipment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "shipment_id": "SHP-1001", "lines": [{"sku": "GW-200", "quantity": 2}]}]})
    shipment_id: Reference | None = Field(default=None,
                                          description="Your reference; a repeat records nothing new")
    lines: list[LineIn] = Field(min_length=1, max_length=200)


class Invoice(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"invoice_id": "INV-2026-0042",
                                                                "amount": "2208.00"}]})
    invoice_id: Reference
    amount: Money


class Payment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "2208.00",
                                                                "reference": "BANK-7781"}]})
    amount: Money
    reference: Name


class Cancellation(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "customer withdrew"}]})
    reason: Reason
