"""Value types shared by several aggregates."""

import re
from dataclasses import dataclass
from datetime import date, datetime
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
# Control characters: C0, DEL and C1. Free text of several lines (notes, specifications) may
# keep tab, line feed and carriage return; every other text none of them. NUL in particular
# is refused everywhere: PostgreSQL cannot store it in text, and one projected NUL would stop
# the read models (issue 16). Lone surrogates cannot be encoded as UTF-8 at all.
# As regular-expression ranges (the API's OpenAPI patterns use the same text).
LINE_CONTROLS = r"\x00-\x1f\x7f-\x9f"
TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_IN_LINE = re.compile(rf"[{LINE_CONTROLS}\ud800-\udfff]")
_IN_TEXT = re.compile(rf"[{TEXT_CONTROLS}\ud800-\udfff]")
# The calendar a record's dates live in: wide enough for any deal, narrow enough that a
# period-by-period answer (forecast months, churn windows) stays small.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2099, 12, 31)
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SKU = re.compile(SKU_PATTERN)
PERIOD_PATTERN = r"^(20[0-9]{2}-(0[1-9]|1[0-2])|20[0-9]{2}-Q[1-4]|FY20[0-9]{2})$"  # in the calendar
_PERIOD = re.compile(PERIOD_PATTERN)


def control_character_in(value: str, multiline: bool = False) -> str | None:
    """The first character ``value`` may not hold (see ``LINE_CONTROLS``), or None."""
    found = (_IN_TEXT if multiline else _IN_LINE).search(value)
    return found.group() if found else None


def require_plain(field: str, value: str, multiline: bool = False) -> str:
    """``value`` without control characters (tab and line breaks allowed if ``multiline``)."""
    bad = control_character_in(value, multiline)
    if bad is not None:
        raise ValidationError(field, f"contains the control character U+{ord(bad):04X}")
    return value


def require_date(field: str, value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(field, f"not between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


def require_sku(field: str, value: str) -> str:
    if not _SKU.match(value.strip()):
        raise ValidationError(field, "a SKU is 1 to 64 letters, digits, '.', '_' or '-', "
                                     f"starting with a letter or digit: {value!r}")
    return value.strip()


REASON_LENGTH = 500  # a reason or outcome; names and labels take the default 200


def require_text(field: str, value: str, max_length: int = 200) -> str:
    text = require_plain(field, value).strip()
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


_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def require_currency(field: str, value: str) -> str:
    """An ISO 4217 code, three letters, as upper case (``usd`` is ``USD``)."""
    if not _CURRENCY.match(value):
        raise ValidationError(field, f"not a three-letter ISO 4217 currency code: {value!r}")
    return value.upper()


def require_cents(field: str, value: Decimal, positive: bool = True) -> Decimal:
    """Money: above zero (or, if not ``positive``, not negative), in whole cents."""
    (require_positive if positive else require_non_negative)(field, value)
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(field, f"has more than two decimal places: {value}")
    return value


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
