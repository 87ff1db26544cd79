"""The request bodies and answers of ``api.routers.reps``."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Amount, Day, Email, Label, Name, Period, Rate, RecordId


class RepCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Anna Schmidt", "email": "anna@example.com", "role": "rep", "team": "north",
        "region": "north", "manager_id": None}]})
    name: Name
    email: Email
    role: Literal["rep", "manager"]
    team: Label
    region: Label
    manager_id: RecordId | None = None


class RepMove(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "team": "south", "region": "south", "manager_id": None}]})
    team: Label
    region: Label
    manager_id: RecordId | None = None


class QuotaSet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"period": "2026-Q4",
                                                                "amount": "120000"}]})
    period: Period = Field(description="YYYY-MM, YYYY-Qn or FYYYYY")
    amount: Amount


class CommissionPlanSet(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rate": "0.05", "accelerated_rate": "0.08", "effective_from": "2026-01-01"}]})
    rate: Rate
    accelerated_rate: Rate | None = None
    effective_from: Day | None = Field(None, description="Deals closed from this day on "
                                                         "(default: today, UTC)")


class Departure(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "successor_id": "7e5f77e3-654b-4f9e-a475-ee703eed295d", "effective_date": "2026-12-31"}]})
    successor_id: RecordId
    effective_date: Day | None = None


class RepPublic(BaseModel):
    id: str
    name: str
    email: str
    role: str
    team: str
    region: str
    manager_id: str | None
    active: bool
    successor_id: str | None
    version: int
