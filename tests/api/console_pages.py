"""Reading the console's pages back into numbers, for the HTTP and the browser tests alike:
the Funnel page's table, cell by cell, beside what the JSON API answers."""

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from api.console.formatting import SYMBOLS

Figures = dict[str, dict[str, Any]]  # stage -> {"count": int, "money": {(currency, figure): Decimal}}


class _StageTable(HTMLParser):
    """The cells of ``<table id="stages">``: its money columns (``data-currency``,
    ``data-figure`` of the header) and each row's texts, by ``data-stage``."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.columns, self.rows = False, [], {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id") == "stages":
            self.inside = True
        elif self.inside and tag == "th" and "data-currency" in found:
            self.columns.append((found["data-currency"], found["data-figure"]))
        elif self.inside and tag == "tr" and "data-stage" in found:
            self.row = self.rows.setdefault(str(found["data-stage"]), [])
        elif self.row is not None and tag in ("th", "td"):
            self.cell = []

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.inside = False


def money_of(text: str, currency: str) -> Decimal:
    """``€ 12,345.00`` → 12345.00, checking that the symbol is the currency's."""
    symbol, _, amount = text.replace("\u00a0", " ").partition(" ")
    assert symbol.lstrip("-") == SYMBOLS.get(currency, currency), (text, currency)
    value = Decimal(amount.replace(",", ""))
    return -value if symbol.startswith("-") else value


def page_figures(html: str) -> Figures:
    table = _StageTable()
    table.feed(html)
    assert table.rows, "the page has no stage table"
    figures: Figures = {}
    for stage, cells in table.rows.items():
        money = {column: money_of(text, column[0])
                 for column, text in zip(table.columns, cells[2:], strict=True) if text != "—"}
        figures[stage] = {"count": int(cells[1].replace(",", "")), "money": money}
    return figures


def api_figures(answer: dict[str, Any]) -> Figures:
    """The same figures from ``GET /v1/funnel``'s JSON."""
    return {s["stage"]: {"count": s["count"], "money": {
        (m["currency"], figure): Decimal(m[figure])
        for m in s["by_currency"] for figure in ("amount", "weighted_amount")}}
        for s in answer["stages"]}
