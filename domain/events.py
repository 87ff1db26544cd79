"""Base classes for events and commands.

Events are frozen dataclasses named in the past tense with their aggregate's noun.
``schema_version`` is bumped whenever a released event's shape changes; the old shape
is then read back through an upcaster registered in ``domain.catalog``.
"""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    """An immutable fact. ``stream_type`` names the aggregate it belongs to."""

    stream_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


@dataclass(frozen=True)
class Command:
    """An imperative request to an aggregate; may be refused."""
