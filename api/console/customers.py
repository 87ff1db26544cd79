"""The Customer pages (auditors too): the accounts, searchable, and an account's timeline with
its state as of any instant chosen on the page, each event's chain hash, and the verified
export to download.

The list is ``GET /v1/accounts``'s answer, the timeline ``GET /v1/accounts/{id}/timeline``'s
(with ``as_of``), the export ``GET /v1/accounts/{id}/export``'s — their route functions, with
the caller: the API's scope and refusals (404 for an account the caller may not see, 403 for
an export outside auditors and admins). The download has a console route of its own because
the browser holds the session cookie, not a bearer token.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi.responses import HTMLResponse, Response

from api.console.lookups import visible_reps
from api.console.views import (
    LOCAL_MINUTE,
    Page,
    View,
    chosen_instant,
    console_router,
    optional,
)
from api.inputs import PageCursor, RecordId, SearchText
from api.routers.lists import accounts
from api.routers.timeline import EXPORTERS, export_account, timeline
from projections.customer_timeline.answers import Timeline, TimelineEvent

PAGE = Page(title="Customers", path="/customers", template="customers.html",
            reads=("lists",))
ACCOUNT = Page(title="Customers", path="/customers", template="customer.html",
               reads=("timeline", "lists"))
router = console_router()
ListView = Annotated[View, PAGE.viewer()]
AccountView = Annotated[View, ACCOUNT.viewer()]
SHOWN = 50  # accounts per page of the list


@router.get(PAGE.path)
def customers_page(view: ListView, q: str = "", cursor: str = "") -> HTMLResponse:
    found = accounts(view.caller, view.services, None, limit=SHOWN,
                     cursor=optional(PageCursor, cursor, "cursor"),
                     q=optional(SearchText, q, "q"), sort="name",
                     owner_id=None, region=None, grade=None)
    return view.render(found=found, q=q, first=not cursor)


@dataclass(frozen=True)
class Row:
    """An event as the page lists it: the API's event and whose it is, by name."""

    event: TimelineEvent
    actor: str


def names_of(view: View) -> dict[str, str]:
    """The reps' names by id, as ``GET /v1/reps`` shows them to the caller."""
    return {rep.id: rep.name for rep in visible_reps(view.caller, view.services)}


def rows_of(answer: Timeline, names: dict[str, str]) -> list[Row]:
    return [Row(e, names.get(e.actor or "", e.actor or "—")) for e in answer.events]


def amounts(records: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """The state's records with their money fields (JSON text) as numbers, for the filters."""
    return [{**r, **{n: Decimal(r[n]) for n in names if r.get(n) is not None}} for r in records]


@router.get(ACCOUNT.path + "/{account_id}")
def customer_page(view: AccountView, account_id: str, as_of: str = "") -> HTMLResponse:
    account = optional(RecordId, account_id, "account_id")
    instant = chosen_instant(as_of)
    answer = timeline(account, view.caller, view.services, None, as_of=instant)
    shown, names = instant or datetime.now(UTC), names_of(view)
    return view.render(account_id=account, answer=answer, rows=rows_of(answer, names),
                       state=answer.state,
                       deals=amounts(answer.state.opportunities, "amount"),
                       orders=amounts(answer.state.orders, "total", "paid"),
                       as_of=shown.strftime(LOCAL_MINUTE), past=instant is not None, names=names,
                       may_export=view.caller.role in EXPORTERS)


@router.get(ACCOUNT.path + "/{account_id}/export.jsonl")
def customer_export(view: AccountView, account_id: str) -> Response:
    """The same answer as ``GET /v1/accounts/{id}/export`` for the session's token."""
    account = optional(RecordId, account_id, "account_id")
    return export_account(account, view.caller, view.services, None)
