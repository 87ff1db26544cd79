"""A customer's timeline, as ``api.routers.timeline`` returns it."""

from typing import Any

from pydantic import BaseModel, Field


class TimelineEvent(BaseModel):
    position: int
    event_id: str | None
    stream_type: str
    stream_id: str
    version: int
    type: str
    occurred_at: str = Field(description="RFC 3339, UTC")
    actor: str | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]
    hash: str | None = Field(None, description="Chain hash (hex); null while not yet sealed")
    previous_hash: str | None = Field(None, description="Chain hash of the event before it")


class TimelineState(BaseModel):
    as_of: str | None
    position: int | None = Field(description="The last event folded in")
    account: dict[str, Any] | None
    leads: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    orders: list[dict[str, Any]]


class Timeline(BaseModel):
    events: list[TimelineEvent] = Field(description="In global order")
    state: TimelineState = Field(description="The customer as of `as_of`, rebuilt from events")
