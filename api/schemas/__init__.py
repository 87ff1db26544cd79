"""Shared answer shapes; each router defines its resource's ``...Create`` bodies."""

from typing import Protocol, Self

from pydantic import BaseModel, Field


class _Stored(Protocol):
    """What a command's result says about the record it wrote (``CommandResult``)."""

    @property
    def position(self) -> int: ...

    @property
    def version(self) -> int: ...


class Position(BaseModel):
    position: int = Field(description="Global position of the command's last event: pass it as "
                                      "`min_position` to read your own write")


class Created(Position):
    id: str


class Versioned(Position):
    version: int = Field(description="The record's version after the command (for If-Match)")

    @classmethod
    def of(cls, result: _Stored) -> Self:
        """The answer to a command that changed one record: where its events are, and the
        record's version after them."""
        return cls(position=result.position, version=result.version)
