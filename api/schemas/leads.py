"""The request bodies and answers of ``api.routers.leads``."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.inputs import (
    Currency,
    Day,
    Email,
    Instant,
    Label,
    LongNote,
    Money,
    Name,
    Note,
    Phone,
    Reason,
    RecordId,
    Reference,
)

ChannelName = Literal["web_form", "social", "event", "referral", "purchased_list",
                      "inbound_call", "partner"]


class LeadCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "person": "Clara Weber", "company": "Nordlicht Werke GmbH",
        "email": "clara.weber@nordlicht.example", "phone": "+49 30 1234567",
        "channel": "web_form", "region": "north", "industry": "manufacturing",
        "company_size": 250, "interests": ["Gateway"]}]})
    person: Name
    company: Name
    email: Email
    phone: Phone | None = None
    channel: ChannelName
    region: Label | None = None
    industry: Label | None = None
    company_size: int | None = Field(default=None, ge=1, le=10_000_000)
    interests: list[Label] = Field(default=[], max_length=20)
    campaign_id: RecordId | None = Field(default=None, description="The campaign the lead came "
                                         "from (`POST /v1/campaigns`); unknown: 404")


class LeadCaptured(BaseModel):
    id: str
    duplicate_of: str | None = Field(description="The lead or contact this one duplicates")
    score: int
    position: int


class Assignment(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"rep_id": "2d9f8ae8-372c-48df-95e7-008663e3c030"}]})
    rep_id: RecordId


class Distribution(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rule": "round_robin"}]})
    rule: Literal["round_robin", "least_loaded"] = "round_robin"


class Engagement(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "seminar", "count": 1}]})
    kind: Literal["site_visit", "download", "seminar", "reply", "demo_request"]
    count: int = Field(default=1, ge=1, le=1000)


class Interaction(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "call", "notes": "Interested in a pilot", "outcome": "meeting booked"}]})
    kind: Literal["call", "email", "meeting", "visit"]
    notes: LongNote = ""
    outcome: Reason | None = None
    interaction_id: Reference | None = None


FollowUpId = Annotated[Reference, Path(description="Follow-up id, as given when scheduled")]


class FollowUp(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"due": "2026-12-01",
                                                                "note": "Send the offer"}]})
    due: Day
    note: Note = ""
    follow_up_id: Reference | None = None


class FollowUpDone(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"outcome": "sent"}]})
    outcome: Reason | None = None


class Disqualification(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "no budget"}]})
    reason: Reason


class ConversionBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})
    account_id: RecordId | None = Field(default=None, description="Join this existing account")
    opportunity_name: Name | None = None
    amount: Money = Decimal("10000")
    expected_close: Day | None = None
    currency: Currency = Field(default="EUR", description="ISO 4217, of `amount` and the deal")


class Converted(BaseModel):
    account_id: str
    opportunity_id: str
    contact_id: str
    position: int


class HandOverStep(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "introduced", "next_meeting_at": "2026-12-15T10:00:00+01:00"}]})
    status: Literal["introduced", "completed"]
    next_meeting_at: Instant | None = Field(
        default=None, description="The next meeting agreed with the customer, recorded with "
                                  "the introduction (a middle-tier call ends with one); "
                                  "without an offset it is UTC")

    @field_validator("next_meeting_at")
    @classmethod
    def _utc_unless_offset(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


class LeadPublic(BaseModel):
    id: str
    person: str
    company: str
    email: str
    phone: str | None
    channel: str
    region: str | None
    status: str
    owner_id: str | None
    score: int
    duplicate_of: str | None
    handover_status: str | None
    campaign_id: str | None = Field(description="The campaign it came from")
    version: int
