"""The answers of ``GET /v1/access/history``."""

from datetime import datetime

from pydantic import BaseModel, Field


class Viewer(BaseModel):
    subject: str = Field(description="The rep id of a rep's or manager's tokens; token:<id> "
                                     "for a token of no rep")
    name: str | None = Field(None, description="The rep's name")
    role: str = Field(description="The tokens' role")
    why: str = Field(description="owner (it was theirs), team_manager (its owner was in "
                                 "their team), unassigned_lead (managers see leads nobody "
                                 "owns), role (auditor, integrator and admin see everything)")
    token_ids: list[str] = Field(description="Their tokens valid at that instant")


class AccessHistory(BaseModel):
    record_id: str
    kind: str = Field(description="lead, account, opportunity, order or rep")
    at: datetime
    existed: bool = Field(description="Whether the record existed then (if not, no one saw it)")
    owner_id: str | None = Field(description="Through whom it was seen then: its owner (an "
                                              "order's account's; a rep themself)")
    owner_team: str | None = Field(description="The owner's team then")
    viewers: list[Viewer] = Field(description="Everyone who held a valid token that could "
                                              "read it then, and why: owners first, then "
                                              "team managers, then roles")
