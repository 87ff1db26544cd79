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


class NoticeCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "effective_date": "2026-12-31", "successor_id": "7e5f77e3-654b-4f9e-a475-ee703eed295d"}]})
    effective_date: Day = Field(description="The rep's last day; the plan executes on it (at "
                                            "once on approval, if it has come)")
    successor_id: RecordId | None = Field(
        default=None, description="Takes every item the plan gives no one else (default: "
                                  "the rep's manager)")


class PlannedAssignment(BaseModel):
    id: RecordId = Field(description="An open lead, account or opportunity the rep owns (an "
                                     "account takes along its open deals not listed)")
    successor_id: RecordId


MOST_ASSIGNMENTS = 5000


class HandOverPlanPut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"assignments": [{
        "id": "0b6f4a4e-2f43-4d1e-9a55-5d0c4a1f1b2c",
        "successor_id": "7e5f77e3-654b-4f9e-a475-ee703eed295d"}]}]})
    assignments: list[PlannedAssignment] = Field(
        max_length=MOST_ASSIGNMENTS,
        description="Who takes each listed item; the rest go to the notice's successor. "
                    "Replaces the previous plan and withdraws its approval")
