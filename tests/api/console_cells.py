"""Reading a console table back into values, for the HTTP and the browser tests alike: the
rows of ``<table id=...>`` by their ``data-key``, each cell that has a ``data-figure`` by
that name — its ``data-value`` when it has one (a status, a date), else its text."""

from html.parser import HTMLParser

Cells = dict[str, dict[str, str]]  # row key -> figure -> value


class _Table(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows = table_id, False, {}
        self.row: dict[str, str] | None = None
        self.cell: tuple[str, str | None, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.inside = found.get("id") == self.table_id
        elif self.inside and tag == "tr" and "data-key" in found:
            self.row = self.rows.setdefault(str(found["data-key"]), {})
        elif self.row is not None and tag in ("th", "td") and "data-figure" in found:
            self.cell = (str(found["data-figure"]), found.get("data-value"), [])

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None and self.row is not None:
            figure, value, texts = self.cell
            self.row[figure] = value if value is not None else " ".join("".join(texts).split())
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.inside = False


def table_cells(html: str, table_id: str) -> Cells:
    table = _Table(table_id)
    table.feed(html)
    return table.rows


def count(text: str) -> int:
    """``1,234`` → 1234."""
    return int(text.replace(",", ""))
