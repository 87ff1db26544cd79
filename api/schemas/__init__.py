"""Shared answer shapes; each router defines its resource's ``...Create`` bodies."""

from pydantic import BaseModel, Field


class Position(BaseModel):
    position: int = Field(description="Global position of the command's last event: pass it as "
                                      "`min_position` to read your own write")


class Created(Position):
    id: str


class Versioned(Position):
    version: int = Field(description="The record's version after the command (for If-Match)")
