"""The request bodies and answers of ``api.routers.stock``."""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Correction, LongNote, Money, Name, Reason, Sku
from api.schemas import Position


class StockItemCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "sku": "GW-200", "name": "Gateway 200", "base_price": "1200.00", "reorder_level": 10,
        "specification": "Industrial IoT gateway, 4 ports"}]})
    sku: Sku
    name: Name
    base_price: Money
    reorder_level: int = Field(default=0, ge=0, le=10_000_000)
    specification: LongNote = ""


class StockItemCreated(Position):
    sku: str


class Receipt(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": 50}]})
    quantity: int = Field(gt=0, le=10_000_000)


class Adjustment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"delta": -2,
                                                                "reason": "damaged in storage"}]})
    delta: Correction = Field(description="Count correction; not zero")
    reason: Reason


class PriceChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"base_price": "1250.00"}]})
    base_price: Money


class StockItemPublic(BaseModel):
    sku: str
    name: str
    base_price: Decimal = Field(description="Money as a string with two decimals")
    reorder_level: int
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved")
    version: int
