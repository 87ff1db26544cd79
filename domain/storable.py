"""The last guard before an event exists: every value in it can be stored and read back.

Commands check their own values (``domain.values``), the API checks every input
(``api.inputs``); this walk over each decided event catches what a caller without the API
(the CLI, the demo, a flow) or a forgotten field would let through: a control character in
any text (NUL stops every read model on PostgreSQL), or a date outside the calendar.
"""

from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from domain.events import Event
from domain.values import require_date, require_plain


def require_storable(event: Event) -> Event:
    """``event`` itself, if every value in it is storable; else ``ValidationError`` naming
    the field (``lines.0.sku``)."""
    for field in fields(event):
        _check(field.name, getattr(event, field.name))
    return event


def _check(path: str, value: Any) -> None:
    if isinstance(value, str):
        require_plain(path, value, multiline=True)
    elif isinstance(value, date):
        require_date(path, value)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _check(f"{path}.{index}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(path, key)
            _check(f"{path}.{key}", item)
    elif is_dataclass(value):
        for field in fields(value):
            _check(f"{path}.{field.name}", getattr(value, field.name))
