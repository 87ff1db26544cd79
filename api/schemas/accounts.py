"""The request bodies and answers of ``api.routers.accounts``."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Email, Label, Name, Phone, RecordId, Reference
from api.schemas import Created
from api.schemas.leads import Interaction

EXAMPLE_REP = "2d9f8ae8-372c-48df-95e7-008663e3c030"


class AccountCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Nordlicht Werke GmbH", "industry": "manufacturing", "region": "north",
        "owner_id": EXAMPLE_REP, "size": 250}]})
    name: Name
    industry: Label | None = None
    region: Label
    owner_id: RecordId = Field(description="The owning rep: a rep may only name themself, "
                                       "a manager a rep of their team")
    size: int | None = Field(default=None, ge=1, le=10_000_000, description="Employees")


class ContactChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Clara Weber", "email": "clara.weber@nordlicht.example",
        "phone": "+49 30 1234567", "role": "Head of Purchasing", "preferences": ["email"]}]})
    name: Name
    email: Email
    phone: Phone | None = None
    role: Label | None = None
    preferences: list[Label] = Field(default=[], max_length=20)


class ContactCreate(ContactChange):
    contact_id: Reference | None = Field(default=None,
                                         description="Chosen by the client; a new one if omitted")


class ContactAdded(Created):
    version: int


class Classification(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"segment": "mid-market",
                                                                "potential": "high"}]})
    segment: Label
    potential: Literal["high", "medium", "low"]


class Grading(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"grade": "A"}]})
    grade: Literal["key", "A", "B", "C"]


class AccountInteraction(Interaction):
    contact_id: Reference | None = Field(default=None, description="The contact spoken to, if any")


class OwnerChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"owner_id": EXAMPLE_REP}]})
    owner_id: RecordId


class ContactPublic(BaseModel):
    contact_id: str
    name: str
    email: str
    phone: str | None
    role: str | None
    preferences: list[str]


class FollowUpPublic(BaseModel):
    follow_up_id: str
    due: date
    note: str
    done: bool


class AccountPublic(BaseModel):
    id: str
    name: str
    industry: str | None
    size: int | None
    region: str
    owner_id: str
    segment: str | None
    potential: str | None
    grade: str | None
    contacts: list[ContactPublic]
    follow_ups: list[FollowUpPublic]
    handover_status: str | None
    version: int
