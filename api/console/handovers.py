"""The Hand-overs page: every departed rep the caller sees, and for each one every item they
handed over, by tier, with who must act, the successor, its status and due date — overdue
items flagged; a writer moves an item on from the page (pending → introduced → completed).

The departed reps are the ones ``GET /v1/reps?active=false`` shows the caller, their items
``GET /v1/handovers/{rep_id}``'s answer (the route functions, so the API's scope); a step is
``POST /v1/{leads|accounts|opportunities}/{id}/handover`` through its route function, whose
guard decides (a refusal is shown with the API's status, nothing written).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import session
from api.console.lookups import visible_reps
from api.console.session import PostedForm, checked_form
from api.console.views import Page, PageError, View, console_router, optional, problem_of, render
from api.deps import Command, context_of, wait_until_readable
from api.errors import ApiError
from api.inputs import RecordId
from api.routers import accounts, leads, opportunities
from api.routers.handovers import handovers
from api.schemas.leads import HandOverStep
from domain.errors import DomainError
from domain.handover import WORK_ORDER, HandOverStatus, following
from infra.access.tokens import Principal
from infra.service.visibility import WRITERS
from projections.handovers.answers import HandOverItem, HandOvers

PAGE = Page(title="Hand-overs", path="/handovers", template="handovers.html",
            reads=("handover", "lists"))
router = console_router()
HandoversView = Annotated[View, PAGE.viewer()]
Form = Annotated[PostedForm, Depends(checked_form)]
STEPS: dict[str, Callable[..., Any]] = {  # the route functions of POST /v1/{kind}s/{id}/handover
    "lead": leads.advance_handover, "account": accounts.advance_handover,
    "opportunity": opportunities.advance_handover}


KINDS = {"lead": "The lead", "account": "The account", "opportunity": "The deal"}
OVERVIEW_ITEMS = 50  # per departed rep on the overview; the rep's page has them all
PAGE_ITEMS = 50  # per page of a rep's hand-over
TIERS = tuple(tier.value for tier in WORK_ORDER)
STATUSES = tuple(status.value for status in HandOverStatus)


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Row:
    """An item as the page shows it: overdue or not, and the step its button takes."""

    item: HandOverItem
    overdue: bool
    next_status: str | None  # None: completed, or the caller's role records no step

    @classmethod
    def of(cls, item: HandOverItem, on: date, advances: bool) -> "Row":
        overdue = item.due is not None and item.due < on and item.status != "completed"
        step = following(item.status) if advances else None
        return cls(item, overdue, None if step is None else step.value)


@dataclass(frozen=True)
class Departed:
    """A departed rep's hand-over: the API's answer and its rows, grouped by tier."""

    answer: HandOvers
    rows: list[Row]

    @property
    def overdue(self) -> int:
        return self.answer.overdue_count

    @property
    def items(self) -> int:
        """Every item of the departure the caller may see, whatever the filters."""
        return sum(self.answer.summary.values())

    @property
    def more(self) -> int:
        """Items the filters keep beyond this page."""
        return max(self.answer.total - self.answer.offset - len(self.rows), 0)

    @property
    def tiers(self) -> list[tuple[str, list[Row]]]:
        """In the API's order (lower tier first: the manager's, due first)."""
        return [(tier, list(rows)) for tier, rows in groupby(self.rows, lambda r: r.item.tier)]


@dataclass(frozen=True)
class Narrowed:
    """A rep page's filters and page, from its address (an unknown value: 422 page)."""

    tier: str | None = None
    status: str | None = None
    overdue: bool = False
    offset: int = 0

    @classmethod
    def of(cls, tier: str, status: str, overdue: str, offset: str) -> "Narrowed":
        if tier not in ("", *TIERS) or status not in ("", *STATUSES) \
                or overdue not in ("", "true") or not (offset or "0").isdigit():
            raise PageError(422, "Not an address of this page",
                            "tier: lower, middle or upper; status: pending, introduced or "
                            "completed; overdue: true; offset: a whole number")
        return cls(tier or None, status or None, overdue == "true", int(offset or 0))

    def query(self, **changes: Any) -> str:
        """This page's address with ``changes`` (a filter changed goes back to the first page)."""
        asked = {"tier": self.tier, "status": self.status,
                 "overdue": "true" if self.overdue else None, "offset": self.offset or None,
                 **changes}
        return urlencode({k: v for k, v in asked.items() if v})


def departed(caller: Principal, view: View, rep_id: str, limit: int,
             narrowed: Narrowed = Narrowed()) -> Departed:
    answer = handovers(rep_id, caller, view.services, None, tier=narrowed.tier,  # type: ignore[arg-type]
                       status=narrowed.status, overdue=narrowed.overdue,  # type: ignore[arg-type]
                       limit=limit, offset=narrowed.offset)
    advances, on = caller.role in WRITERS, today()
    return Departed(answer, [Row.of(item, on, advances) for item in answer.items])


@router.get(PAGE.path)
def handovers_page(view: HandoversView) -> HTMLResponse:
    reps = visible_reps(view.caller, view.services, active=False)
    found = [(rep, departed(view.caller, view, rep.id, OVERVIEW_ITEMS)) for rep in reps]
    return view.render(departures=found, totals=totals([shown for _, shown in found]),
                       today=today())


def totals(shown: list[Departed]) -> dict[str, int]:
    """The key figures over every departure shown: items, pending, introduced, overdue."""
    return {"items": sum(d.items for d in shown), "overdue": sum(d.overdue for d in shown),
            **{status: sum(d.answer.summary.get(status, 0) for d in shown)
               for status in ("pending", "introduced")}}


@router.get(PAGE.path + "/{rep_id}")
def rep_handover_page(view: HandoversView, rep_id: str, tier: str = "", status: str = "",
                      overdue: str = "", offset: str = "") -> HTMLResponse:
    return rep_page(view, rep_id, Narrowed.of(tier, status, overdue, offset))


def rep_page(view: HandoversView, rep_id: str, narrowed: Narrowed = Narrowed(), status: int = 200,
             refusal: str | None = None) -> HTMLResponse:
    shown = departed(view.caller, view, optional(RecordId, rep_id, "rep_id") or "", PAGE_ITEMS,
                     narrowed)
    context = {"person": view.person, "departure": shown, "refusal": refusal, "today": today(),
               "narrowed": narrowed, "tiers": TIERS, "statuses": STATUSES,
               "next_page": narrowed.query(offset=narrowed.offset + PAGE_ITEMS)
               if shown.more else None,
               "previous_page": narrowed.query(offset=max(narrowed.offset - PAGE_ITEMS, 0))
               if narrowed.offset else None}
    return render(view.request, "handover.html", context, view.session, PAGE, status)


@dataclass(frozen=True)
class Step:
    """What an item's form asks: move ``kind`` ``item_id`` on to ``status``."""

    kind: str
    item_id: str
    status: str

    @classmethod
    def of(cls, fields: dict[str, str]) -> "Step":
        kind, status = fields.get("kind", ""), fields.get("status", "")
        if kind not in STEPS or status not in ("introduced", "completed"):
            raise PageError(422, "Not a step of a hand-over",
                            "kind: lead, account or opportunity; status: introduced or completed")
        return cls(kind, optional(RecordId, fields.get("id", ""), "id") or "", status)


@router.post(PAGE.path + "/{rep_id}/advance")
def advance(view: HandoversView, form: Form, request: Request, rep_id: str) -> Response:
    rep_id = optional(RecordId, rep_id, "rep_id") or ""
    step, caller = Step.of(form.fields), form.session.caller
    call = Command(view.services, caller, context_of(request, caller, None, None))
    try:
        done = STEPS[step.kind](step.item_id, HandOverStep.model_validate({"status": step.status}), call)
    except (ApiError, DomainError) as refused:
        problem = problem_of(refused)
        assert problem is not None
        return rep_page(view, rep_id, status=problem[0], refusal=f"Not done: {problem[2]}.")
    message = _done_message(view, rep_id, step, _caught_up(view, done.position))
    response = RedirectResponse(f"{session.root(request)}{PAGE.path}/{rep_id}", 303)
    session.flash(request, response, message)
    return response


def _caught_up(view: View, position: int) -> bool:
    """Waits (a few seconds at most) for the page's model to show the step."""
    try:
        wait_until_readable(view.services, ("handover",), position)
    except ApiError:
        return False
    return True


def _done_message(view: View, rep_id: str, step: Step, caught_up: bool) -> str:
    if not caught_up:
        return f"Hand-over marked {step.status}; the list shows it in a moment: reload."
    try:
        items = handovers(rep_id, view.caller, view.services, None).items
    except (ApiError, DomainError):  # no longer the caller's to see
        items = []
    name = next((i.name for i in items if i.id == step.item_id and i.name), KINDS[step.kind])
    return f"{name}: hand-over {step.status}."


__all__ = ["PAGE", "router"]
