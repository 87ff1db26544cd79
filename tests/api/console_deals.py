"""Reading the Deals pages back into values, for the HTTP and the browser tests alike: the
list's rows (``tr[data-id]``, cells by ``data-field``) beside ``GET /v1/opportunities``'s
items, and a deal page's tables by id."""

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from tests.api.console_pages import money_of

Rows = list[dict[str, str]]


class _Rows(HTMLParser):
    """Each ``<tr data-KEY>`` of ``<table id=TABLE>``: its key and the texts of its elements
    that have a ``data-field`` (cells or links in them), and of its other cells by position."""

    def __init__(self, table: str, key: str) -> None:
        super().__init__()
        self.table, self.key, self.inside = table, f"data-{key}", False
        self.rows: Rows = []
        self.open: list[tuple[str, str, list[str]]] = []  # tag, field, texts
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id") == self.table:
            self.inside = True
        elif self.inside and tag == "tr" and self.key in found:
            self.rows.append({"key": str(found[self.key])})
            self.cells = 0
        elif self.inside and self.rows and (tag in ("th", "td") or "data-field" in found):
            field = found.get("data-field")
            if tag in ("th", "td"):
                field, self.cells = field or str(self.cells), self.cells + 1
            self.open.append((tag, str(field), []))
            if "data-currency" in found:
                self.rows[-1]["currency"] = str(found["data-currency"])

    def handle_data(self, data: str) -> None:
        for _, _, texts in self.open:
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            _, field, texts = self.open.pop()
            self.rows[-1][field] = " ".join("".join(texts).split())
        elif tag == "table":
            self.inside = False


def table_rows(html: str, table: str, key: str) -> Rows:
    parsed = _Rows(table, key)
    parsed.feed(html)
    return parsed.rows


def page_deals(html: str) -> list[dict[str, Any]]:
    """The list's rows as values: id, name, account and owner names, stage, amount."""
    return [{"id": row["key"], "name": row["name"], "account_name": row["account_name"],
             "owner_name": row["owner_name"], "stage": row["stage"],
             "amount": money_of(row["amount"], row["currency"]), "currency": row["currency"],
             "probability": int(row["probability"].split()[0]),
             "days_in_stage": int(row["days_in_stage"].replace(",", "")),
             "flags": row["flags"]} for row in table_rows(html, "deals", "id")]


def api_deals(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The same values from ``GET /v1/opportunities``'s JSON."""
    return [{"id": d["id"], "name": d["name"], "account_name": d["account_name"] or "—",
             "owner_name": d["owner_name"] or "—", "stage": d["stage"].replace("_", " ").capitalize(),
             "amount": Decimal(d["amount"]), "currency": d["currency"],
             "probability": d["probability"], "days_in_stage": d["days_in_stage"]}
            for d in answer["items"]]


def without_flags(deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in deal.items() if k != "flags"} for deal in deals]
