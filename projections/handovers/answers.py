"""The hand-overs' answers (``api.routers.handovers`` returns them)."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class HandOverItem(BaseModel):
    kind: str = Field(description="lead, account or opportunity")
    id: str
    name: str | None = Field(None, description="A lead's person and company, an account's or "
                                               "a deal's name")
    tier: str = Field(description="upper, middle or lower")
    action: str
    actor_id: str | None = Field(description="Who must act: lower the manager, middle the "
                                             "departing rep, upper the successor")
    actor_name: str | None = None
    successor_id: str
    successor_name: str | None = None
    status: str = Field(description="planned (a departure given notice of, not executed "
                                    "yet), pending, introduced or completed")
    due: date | None = Field(description="By when; the upper tier a week after the lower and "
                                         "middle items are done (none while waiting)")
    waiting: bool = Field(False, description="An upper-tier item waiting for the departing "
                                             "rep's lower and middle items to be completed")
    next_meeting_at: datetime | None = Field(None, description="The meeting agreed with the "
                                                               "customer at the introduction")


class Unassigned(BaseModel):
    kind: str
    id: str
    name: str | None = None


class HandOvers(BaseModel):
    rep_id: str
    name: str | None = Field(None, description="The departing rep's")
    departed: bool
    stage: str | None = Field(None, description=(
        "The departure: noticed (notice given, the plan under review), approved (executes on "
        "the effective date), departed; none if the rep has neither given notice nor left"))
    noticed_at: datetime | None = None
    approved_at: datetime | None = None
    successor_id: str | None = Field(description="Takes every item the plan gives no one else")
    successor_name: str | None = None
    manager_id: str | None = Field(description="The rep's manager at departure (now, before)")
    manager_name: str | None = None
    effective_date: date | None
    items: list[HandOverItem] = Field(description=(
        "Lower tier first, then middle, upper; then kind and id. Before the departure "
        "executes: the plan, every open item the rep owns now (status planned)"))
    total: int = Field(0, description="Items the filters keep, on every page")
    limit: int = 500
    offset: int = 0
    overdue_count: int = Field(0, description="Items due before today (UTC) and not completed")
    unassigned: list[Unassigned] = Field(
        description="Open items the departed rep still owns: an error to resolve")
    summary: dict[str, int] = Field(description="Items per status")
