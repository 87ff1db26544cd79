"""Reading the Forecast page back into numbers, for the HTTP and the browser tests alike: each
currency's period table, cell by cell, beside what ``GET /v1/forecast`` answers."""

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from tests.api.console_pages import money_of

MONEY = ("pipeline_weighted", "won", "history_won", "projected")
Figures = dict[tuple[str, str], dict[str, Decimal | None]]  # (currency, period) -> figure -> value


class _PeriodTables(HTMLParser):
    """The ``td[data-figure]`` cells of every ``tr[data-period]`` in a ``table[data-currency]``."""

    def __init__(self) -> None:
        super().__init__()
        self.currency: str | None = None
        self.row: dict[str, str] | None = None
        self.figure: str | None = None
        self.text: list[str] = []
        self.rows: dict[tuple[str, str], dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "data-currency" in found and "periods" in (found.get("class") or ""):
            self.currency = found["data-currency"]
        elif self.currency and tag == "tr" and "data-period" in found:
            self.row = self.rows.setdefault((self.currency, str(found["data-period"])), {})
        elif self.row is not None and tag == "td" and "data-figure" in found:
            self.figure, self.text = found["data-figure"], []

    def handle_data(self, data: str) -> None:
        if self.figure is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.figure is not None and self.row is not None:
            self.row[self.figure] = "".join(self.text).strip()
            self.figure = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.currency = None


def _value(text: str, currency: str | None) -> Decimal | None:
    if text == "—":
        return None
    return money_of(text, currency) if currency else Decimal(text.replace(",", ""))


def page_figures(html: str) -> Figures:
    tables = _PeriodTables()
    tables.feed(html)
    assert tables.rows, "the page has no period table"
    return {(currency, period): {figure: _value(text, None if figure == "quota" else currency)
                                 for figure, text in cells.items()}
            for (currency, period), cells in tables.rows.items()}


def api_figures(answer: dict[str, Any]) -> Figures:
    """The same figures from ``GET /v1/forecast``'s JSON (its quota is the period's)."""
    quotas = {p["period"]: p["quota"] for p in answer["periods"]}
    figures: Figures = {}
    for part in answer["by_currency"]:
        for period in part["periods"]:
            values = {f: None if period[f] is None else Decimal(period[f]) for f in MONEY}
            quota = quotas.get(period["period"])
            values["quota"] = None if quota is None else Decimal(quota)
            figures[(part["currency"], period["period"])] = values
    return figures
