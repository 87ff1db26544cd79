"""The request bodies and answers of ``api.routers.opportunities``."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Currency, Day, Label, Money, Name, Reason, RecordId, Reference, Sku
from api.schemas import Created, Versioned
from api.schemas.accounts import EXAMPLE_REP, FollowUpPublic

StageName = Literal["prospecting", "qualification", "proposal", "negotiation", "closed_won",
                    "closed_lost"]


Score = Annotated[int, Field(ge=0, le=10)]


class OpportunityCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "account_id": "0b6f3f0e-6c1a-4c43-9a57-1f4f7c2b9e11", "owner_id": EXAMPLE_REP,
        "name": "Gateway roll-out 2027", "amount": "48000.00", "expected_close": "2027-03-31",
        "currency": "EUR", "products": ["Gateway"]}]})
    account_id: RecordId = Field(description="An account visible to the caller")
    owner_id: RecordId = Field(description="A rep may only name themself, a manager a rep of "
                                       "their team")
    name: Name
    amount: Money
    expected_close: Day
    currency: Currency = Field(default="EUR", description="ISO 4217")
    products: list[Label] = Field(default=[], max_length=50)


class StageChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"stage": "proposal"},
        {"stage": "closed_lost", "reason": "price", "competitor": "Südwind AG"}]})
    stage: StageName
    reason: Reason | None = Field(default=None, description="closed_lost only")
    competitor: Name | None = Field(default=None, description="closed_lost only")


class StageChanged(Versioned):
    stage: str
    probability: int = Field(description="Win probability in percent after the change")


class EvaluationBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "budget": 8, "need": 7, "authority": 6, "competition": 3}]})
    budget: Score
    need: Score
    authority: Score
    competition: Score = Field(description="10 = a strong incumbent (counts against the deal)")


class Evaluated(Versioned):
    priority: str
    win_probability: int


class AmountChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "52000.00"}]})
    amount: Money


class CloseDateChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_close": "2027-04-30"}]})
    expected_close: Day


class QuoteLine(BaseModel):
    sku: Sku
    quantity: int = Field(ge=1, le=1_000_000)


class QuoteCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "lines": [{"sku": "GW-100", "quantity": 12}], "valid_until": "2027-01-31"}]})
    quote_id: Reference | None = Field(default=None,
                                       description="Chosen by the client; a new one if omitted")
    lines: list[QuoteLine] = Field(min_length=1, max_length=100)
    valid_until: Day


class PricedLinePublic(BaseModel):
    sku: str
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    price_rule: str = Field(description="The rule that produced the unit price")
    line_total: Decimal


class QuoteIssued(Created):
    lines: list[PricedLinePublic]
    total: Decimal
    currency: str = Field(description="The opportunity's, of every price and the total")
    version: int


class QuotePublic(BaseModel):
    quote_id: str
    total: Decimal


class OpportunityPublic(BaseModel):
    id: str
    account_id: str
    owner_id: str
    name: str
    amount: Decimal
    currency: str
    expected_close: date
    stage: str
    probability: int
    open: bool
    products: list[str]
    quotes: list[QuotePublic]
    handover_status: str | None
    follow_ups: list[FollowUpPublic] = []
    version: int
