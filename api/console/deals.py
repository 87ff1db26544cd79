"""The Deals pages: the list of deals (filters, search, sort, a page at a time) with the stuck
and silent ones flagged, and a deal's own page — its figures, activities, stages over time
and history.

The list is ``GET /v1/opportunities``'s answer (its route function: the caller's scope, its
``stuck`` flag and filter, its ``days_without_contact``); a deal is ``GET
/v1/opportunities/{id}``'s (404 for a deal the caller may not see) and its past is the
account's timeline (``GET /v1/accounts/{id}/timeline``, with the role's redactions) narrowed
to the deal by ``api.deal_history``.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from api.console.lookups import teams_of, visible_reps
from api.console.views import Page, PageError, View, console_router, optional
from api.deal_history import deal_events, interactions, occurred, what_happened
from api.errors import ApiError
from api.inputs import Day, Label, PageCursor, RecordId, SearchText
from api.routers.history import deal_stages
from api.routers.lists import opportunities
from api.routers.opportunities import get_opportunity
from api.routers.timeline import timeline
from domain.errors import NotFoundError
from domain.stages import Stage
from projections.customer_timeline.answers import Timeline
from projections.work_lists.answers import OpportunityItem, RepItem

PAGE = Page(title="Deals", path="/deals", template="deals.html", reads=("lists",))
DEAL = Page(title="Deals", path="/deals", template="deal.html",
            reads=("lists", "timeline", "intervals"))
router = console_router()
DealsView = Annotated[View, PAGE.viewer()]
DealView = Annotated[View, DEAL.viewer()]
PAGE_SIZE = 25
NO_CONTACT_DAYS = 14  # the API takes any number (``no_contact_days``); the page flags 14+
SORTS = {"expected_close": "Closing soonest", "-expected_close": "Closing latest",
         "-amount": "Largest amount", "amount": "Smallest amount",
         "-opened_at": "Newest", "opened_at": "Oldest", "name": "Name A–Z", "-name": "Name Z–A"}
FLAGS = {"open": "Open deals", "all": "All deals", "stuck": "Stuck only",
         "no_contact": "No contact"}
STAGES = [stage.value for stage in Stage]


@dataclass(frozen=True)
class Filters:
    """The list's form, as the page was asked (blank: not filtered)."""

    q: str = ""
    stage: str = ""
    owner_id: str = ""
    team: str = ""
    closing_after: str = ""
    closing_before: str = ""
    flag: str = "open"
    sort: str = "expected_close"

    def query(self, **changed: str) -> str:
        """This form's query string (with ``changed``), blank and default fields left out."""
        fields, default = {**self.__dict__, **changed}, Filters().__dict__
        return urlencode({k: v for k, v in fields.items() if v and v != default.get(k)})


def silent(deal: OpportunityItem) -> bool:
    """Open and nobody in contact for ``NO_CONTACT_DAYS`` days or more."""
    return deal.days_without_contact is not None and deal.days_without_contact >= NO_CONTACT_DAYS


def _choice(value: str, allowed: Collection[str], name: str) -> str:
    """A value of one of the form's selects; another is the page's 422."""
    if value and value not in allowed:
        raise PageError(422, "Not an address of this page", f"{name}: not a value this page takes")
    return value


@router.get(PAGE.path)
def deals_page(view: DealsView, q: str = "", stage: str = "", owner_id: str = "",
               team: str = "", closing_after: str = "", closing_before: str = "",
               flag: str = "open", sort: str = "expected_close", cursor: str = "") -> HTMLResponse:
    asked = Filters(q, _choice(stage, STAGES, "stage"), owner_id, team, closing_after,
                    closing_before, _choice(flag or "open", FLAGS, "flag"),
                    _choice(sort or "expected_close", SORTS, "sort"))
    found = opportunities(
        view.caller, view.services, None, limit=PAGE_SIZE,
        cursor=optional(PageCursor, cursor, "cursor"), q=optional(SearchText, q, "q"),
        sort=asked.sort, stage=asked.stage or None,  # type: ignore[arg-type]
        owner_id=optional(RecordId, owner_id, "owner_id"), team=optional(Label, team, "team"),
        closing_after=optional(Day, closing_after, "closing_after"),
        closing_before=optional(Day, closing_before, "closing_before"),
        no_contact_days=NO_CONTACT_DAYS if asked.flag == "no_contact" else None,
        stuck=asked.flag == "stuck", open=True if asked.flag == "open" else None)
    people = visible_reps(view.caller, view.services)
    after = found.next_cursor
    return view.render(deals=found.items, asked=asked, people=people, teams=teams_of(people),
                       next_page=None if after is None else asked.query(cursor=after),
                       first_page=asked.query() if cursor else None, sorts=SORTS, flags=FLAGS,
                       stages=STAGES, silent=silent, no_contact_days=NO_CONTACT_DAYS)


def _timeline(view: View, account_id: str) -> Timeline | None:
    """The account's timeline as the caller may see it; None when they may not see the
    account (a rep's deal on a colleague's account)."""
    try:
        return timeline(account_id, view.caller, view.services, None)
    except NotFoundError:
        return None
    except ApiError as error:
        if error.status == 404:
            return None
        raise


def _names(people: list[RepItem]) -> dict[str, str]:
    return {rep.id: rep.name for rep in people}


@router.get(DEAL.path + "/{opportunity_id}")
def deal_page(view: DealView, opportunity_id: str) -> HTMLResponse:
    deal = get_opportunity(optional(RecordId, opportunity_id, "opportunity_id"), view.caller,
                           view.services)
    history = _timeline(view, deal.account_id)
    events = [] if history is None else deal_events(history, deal.id)
    account = None if history is None else history.state.account
    stages = deal_stages(deal.id, view.caller, view.services, None).items
    return view.render(deal=deal, names=_names(visible_reps(view.caller, view.services)),
                       account_name=None if account is None else account.get("name"),
                       history=None if history is None else list(reversed(events)),
                       stages=stages, calls=interactions(events),
                       what_happened=what_happened, when=occurred)
