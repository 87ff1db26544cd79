"""The request bodies and answers of ``api.routers.prices``: price lists and promotions."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Currency, Day, Label, Money, Percent, Sku
from api.schemas import Versioned


class ListedPriceIn(BaseModel):
    sku: Sku = Field(description="A stock item's SKU (unknown: 404 naming `prices.<i>.sku`)")
    unit_price: Money = Field(description="In the list's currency, above zero, in cents")


class PriceListPut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "currency": "EUR", "prices": [{"sku": "SKU-002", "unit_price": "799.00"},
                                      {"sku": "SKU-004", "unit_price": "37.50"}]}]})
    currency: Currency
    prices: list[ListedPriceIn] = Field(max_length=1000, description=(
        "The whole list: it replaces the one before (empty: no regional prices). Each SKU "
        "once (twice: 409 `rule_violation`)"))


class ListedPrice(BaseModel):
    sku: str
    unit_price: Decimal


class PriceListPublic(BaseModel):
    region: str
    currency: str = Field(description="Of every price in the list")
    prices: list[ListedPrice] = Field(description="By SKU")
    version: int = Field(description="The list's version (for If-Match)")


class PriceListSet(Versioned):
    region: str


class PromotionCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "autumn-sale", "percent": "12.5", "skus": ["SKU-002", "SKU-005"],
        "valid_from": "2027-09-01", "valid_to": "2027-09-30"}]})
    name: Label = Field(description="Unique whatever the case; prices name it "
                                    "(`promotion:<name>`)")
    percent: Percent = Field(description="Off the list price: above 0, at most 100")
    skus: list[Sku] = Field(default=[], max_length=200, description=(
        "Stock items' SKUs it applies to (unknown: 404 naming `skus.<i>`); none: every SKU"))
    valid_from: Day = Field(description="First day it applies (UTC)")
    valid_to: Day = Field(description="Last day it applies, included; not before valid_from "
                                      "(409 `rule_violation`)")


class PromotionPublic(BaseModel):
    id: str
    name: str
    percent: Decimal
    skus: list[str] = Field(description="Empty: every SKU")
    valid_from: date
    valid_to: date
    in_force: bool = Field(description="Whether it applies today (UTC)")


class Promotions(BaseModel):
    items: list[PromotionPublic] = Field(description="In the order they were added")
