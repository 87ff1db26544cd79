"""One page of a list: filters, role scope, words, a sort and a cursor, in one statement.

Pages are keyset pages: a cursor holds the sort value and the id of the last row shown, and
the next page starts after them in the same order (``(sort, id) > (?, ?)``, on an index of
the same columns), so a deep page costs what the first one does. A record added, removed or
changed meanwhile moves no other record across the cursor: none is lost or repeated. (A
record whose own sort value changes between pages shows where that value puts it now.)
"""

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson

from domain.errors import RuleViolationError, UnknownReferenceError, ValidationError
from projections.base import Reader, Row, Table, search_words

Condition = tuple[str, list[Any]]
PARSERS: dict[str, Callable[[str], Any]] = {
    "timestamp": datetime.fromisoformat, "date": date.fromisoformat, "numeric": Decimal}


@dataclass(frozen=True)
class Listing:
    """What one list selects: ``source`` (FROM and joins), ``columns``, its id column
    ``key``, the ``sorts`` a caller may ask (name -> column), the words column ``search``,
    the column through whose owner a record is seen, and the tables whose column types
    give the answer's values their Python types."""

    source: str
    columns: str
    key: str
    sorts: Mapping[str, str]
    default_sort: str
    owner: str
    tables: tuple[Table, ...]
    search: str | None = None

    def kind(self, column: str) -> str:
        """The type of a (possibly qualified) column, by its name in the tables."""
        return self.kinds.get(column.rsplit(".", 1)[-1], "text")

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Every column of the tables that is not text, with its type."""
        return {c.name: c.type for t in reversed(self.tables) for c in t.columns
                if c.type != "text"}


@dataclass(frozen=True)
class Scope:
    """Whose records the caller sees: ``owners`` (None: everyone's), and with
    ``unassigned`` also records nobody owns yet (a manager's leads to distribute)."""

    owners: tuple[str, ...] | None = None
    unassigned: bool = False


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None
    sort: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Row]
    next_cursor: str | None


def page(read: Reader, listing: Listing, scope: Scope, request: PageRequest,
         filters: Sequence[Condition] = ()) -> Page:
    """The page ``request`` asks of ``listing``, within ``scope`` and ``filters`` (the
    list's own conditions); its rows' values typed."""
    sort = request.sort or listing.default_sort
    column, descending = listing.sorts[sort.lstrip("-")], sort.startswith("-")
    conditions = [*filters, *_scoped(read, listing, scope),
                  *_searched(read, listing, request.q)]
    if request.cursor is not None:
        conditions.append(_after(read, listing, column, descending, sort, request.cursor))
    where = " AND ".join(c for c, _ in conditions) or "1 = 1"
    direction = "DESC" if descending else "ASC"
    statement = (f"SELECT {listing.columns} {listing.source} WHERE {where} "
                 f"ORDER BY {column} {direction}, {listing.key} {direction} LIMIT ?")
    params = [p for _, ps in conditions for p in ps] + [request.limit + 1]
    rows = [_typed(read, listing, row) for row in read.rows(statement, params)]
    more = len(rows) > request.limit
    items = rows[:request.limit]
    last = items[-1] if more else None
    return Page(items, None if last is None else _cursor(sort, column, listing, last))


def _scoped(read: Reader, listing: Listing, scope: Scope) -> list[Condition]:
    if scope.owners is None:
        return []
    if not scope.owners:
        return [(f"{listing.owner} IS NULL", [])] if scope.unassigned else [("1 = 0", [])]
    if len(scope.owners) == 1:  # a rep: an equality, which an (owner, sort, id) index serves
        condition, params = f"{listing.owner} = ?", list(scope.owners)
    else:
        condition, params = read.one_of(listing.owner, scope.owners)
    if scope.unassigned:
        condition = f"({condition} OR {listing.owner} IS NULL)"
    return [(condition, params)]


def _searched(read: Reader, listing: Listing, q: str | None) -> list[Condition]:
    if q is None or listing.search is None:
        return []
    words = search_words(q)
    if not words:
        raise ValidationError("q", "has no letters or digits to search for")
    return [read.matches(listing.search, words)]


def _after(read: Reader, listing: Listing, column: str, descending: bool, sort: str,
           cursor: str) -> Condition:
    made_for, value, key = _decoded(cursor)
    if made_for != sort:  # two parameters that disagree: a conflict, as a rule refuses it
        raise RuleViolationError("cursor", f"was made for sort {made_for!r}, not {sort!r}")
    kind = listing.kind(column)
    try:
        stored = read.stored(kind, _parsed(kind, value))
    except (TypeError, ValueError, ArithmeticError) as error:
        raise _unknown() from error
    operator = "<" if descending else ">"
    return f"({column}, {listing.key}) {operator} (?, ?)", [stored, key]


def _decoded(cursor: str) -> tuple[str, Any, str]:
    try:
        made_for, value, key = orjson.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as error:
        raise _unknown() from error
    if not isinstance(made_for, str) or not isinstance(key, str):
        raise _unknown()
    return made_for, value, key


def _unknown() -> UnknownReferenceError:
    """A cursor of the right shape that no page of this API gave: like an unknown id, 404
    (its shape the schema states; a shape it allows is never a 422)."""
    return UnknownReferenceError("cursor", "no page starts there; pass a next_cursor this "
                                           "list gave")


def _parsed(kind: str, value: Any) -> Any:
    """A cursor's sort value back as the column's Python value (TypeError, ValueError or
    ArithmeticError when it is not one)."""
    if kind in ("int", "bigint"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(value)
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    parse = PARSERS.get(kind)
    return value if parse is None else parse(value)


def _cursor(sort: str, column: str, listing: Listing, last: Row) -> str:
    value = last[column.rsplit(".", 1)[-1]]
    text = value.isoformat() if hasattr(value, "isoformat") else (
        str(value) if listing.kind(column) == "numeric" else value)
    key = last[listing.key.rsplit(".", 1)[-1]]
    return base64.urlsafe_b64encode(orjson.dumps([sort, text, key])).decode().rstrip("=")


def _typed(read: Reader, listing: Listing, row: Row) -> Row:
    kinds, value = listing.kinds, read.value
    return {name: value(kinds[name], v) if name in kinds else v for name, v in row.items()}
