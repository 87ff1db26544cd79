"""Value types shared by several aggregates."""

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.errors import ValidationError


class Channel(StrEnum):
    WEB_FORM = "web_form"
    SOCIAL = "social"
    EVENT = "event"
    REFERRAL = "referral"
    PURCHASED_LIST = "purchased_list"
    INBOUND_CALL = "inbound_call"
    PARTNER = "partner"


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"


class Grade(StrEnum):
    KEY = "key"
    A = "A"
    B = "B"
    C = "C"


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    VISIT = "visit"


class Tier(StrEnum):
    """Funnel tiers by win probability (CONTRACT.md)."""

    UPPER = "upper"
    MIDDLE = "middle"
    LOWER = "lower"


@dataclass(frozen=True)
class RepRef:
    """What a decision needs to know about a rep it does not own."""

    rep_id: str
    active: bool
    role: str = Role.REP
    manager_id: str | None = None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERIOD = re.compile(r"^(?:\d{4}-(?:0[1-9]|1[0-2])|\d{4}-Q[1-4]|FY\d{4})$")


def require_text(field: str, value: str, max_length: int = 200) -> str:
    text = value.strip()
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"longer than {max_length} characters")
    return text


def require_email(field: str, value: str) -> str:
    text = value.strip()
    if not _EMAIL.match(text):
        raise ValidationError(field, f"not an email address: {value!r}")
    return text


def require_positive(field: str, value: Decimal | int) -> None:
    if value <= 0:
        raise ValidationError(field, "must be greater than zero")


def require_non_negative(field: str, value: Decimal | int) -> None:
    if value < 0:
        raise ValidationError(field, "must not be negative")


def require_period(field: str, period: str) -> str:
    """Quota periods: ``2026-03`` (month), ``2026-Q1`` (quarter), ``FY2026`` (fiscal year)."""
    if not _PERIOD.match(period):
        raise ValidationError(field, f"not a period (YYYY-MM, YYYY-Qn, FYYYYY): {period!r}")
    return period


def require_member(field: str, value: str, allowed: type[StrEnum]) -> str:
    try:
        return allowed(value).value
    except ValueError:
        names = ", ".join(m.value for m in allowed)
        raise ValidationError(field, f"{value!r} is not one of {names}") from None
