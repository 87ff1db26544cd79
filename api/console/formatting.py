"""How the console writes values: the Jinja filters, in one place.

Money is always written with its currency, symbol first (``€ 12,345.00``; a currency
without a symbol here by its code: ``CHF 12,345.00``); a missing value is an em dash; rates
are percentages with one decimal; numbers have thousands separators. The templates right-align
numbers in ``tabular-nums`` (``.num`` in console.css), so that columns line up.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment

MISSING = "—"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
CURRENCY_NAMES = {"EUR": "Euro", "USD": "US dollar", "GBP": "Pound sterling", "JPY": "Yen"}
NBSP = "\u00a0"


def money(amount: Decimal | float | int | None, currency: str | None) -> str:
    """``€ 12,345.00``, ``-$ 5.00``; without an amount or a currency, a dash."""
    if amount is None or not currency:
        return MISSING
    sign = "-" if amount < 0 else ""
    return f"{sign}{SYMBOLS.get(currency, currency)}{NBSP}{abs(Decimal(amount)):,.2f}"


def currency_name(currency: str) -> str:
    """``Euro (EUR)``; a currency unknown here by its code alone."""
    name = CURRENCY_NAMES.get(currency)
    return f"{name} ({currency})" if name else currency


def number(value: int | float | Decimal | None, places: int = 0) -> str:
    return MISSING if value is None else f"{value:,.{places}f}"


def percent(rate: float | Decimal | None, places: int = 1) -> str:
    """A share (0.5463) as a percentage (``54.6 %``)."""
    return MISSING if rate is None else f"{float(rate) * 100:.{places}f}{NBSP}%"


def days(value: float | int | None) -> str:
    if value is None:
        return MISSING
    return f"{value:,.1f}{NBSP}days" if value != 1 else f"1{NBSP}day"


def day(value: date | datetime | None) -> str:
    """``3 Dec 2025`` (a date or an instant's UTC day)."""
    return MISSING if value is None else f"{value.day} {value:%b %Y}"


def instant(value: datetime | None) -> str:
    """``3 Dec 2025, 14:05 UTC``."""
    return MISSING if value is None else f"{day(value)}, {value:%H:%M} UTC"


def label(name: str | None) -> str:
    """A code as words: ``closed_won`` → ``Closed won``, ``team-north`` → ``Team north``."""
    if not name:
        return MISSING
    words = name.replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]


FILTERS: dict[str, Callable[..., Any]] = {
    "money": money, "currency_name": currency_name, "number": number, "percent": percent,
    "days": days, "day": day, "instant": instant, "label": label,
}


def install(env: Environment) -> None:
    env.filters.update(FILTERS)
