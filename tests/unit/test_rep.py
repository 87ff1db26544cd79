"""Rep: hiring, moves, quotas, commission plans and departure."""

from datetime import date
from decimal import Decimal

import pytest

from domain import rep
from domain.errors import AlreadyExistsError, NotFoundError, RepDepartedError
from domain.events import Command
from domain.rep import (
    DepartRep,
    HireRep,
    MoveRep,
    RepCommissionPlanSet,
    RepDeparted,
    RepHired,
    RepMoved,
    RepQuotaSet,
    SetCommissionPlan,
    SetQuota,
)
from domain.stock_item import ReceiveStock
from domain.values import RepRef
from tests.unit.given import broken_rule, given, invalid, rejected, when

MANAGER = RepRef("mgr-1", active=True, role="manager")
OTHER_MANAGER = RepRef("mgr-2", active=True, role="manager")
DEPARTED_MANAGER = RepRef("mgr-9", active=False, role="manager")
SUCCESSOR = RepRef("rep-2", active=True)
DEPARTED_REP = RepRef("rep-9", active=False)
LEAVING_ON = date(2026, 3, 31)

HIRED = RepHired("rep-1", "Anna Schmidt", "anna@example.com", "rep", "Team Nord", "north", "mgr-1")
DEPARTED = RepDeparted(LEAVING_ON, "rep-2")


def hire(**changes: object) -> HireRep:
    fields: dict[str, object] = dict(rep_id="rep-1", name="Anna Schmidt", email="anna@example.com",
                                     role="rep", team="Team Nord", region="north", manager=MANAGER)
    return HireRep(**{**fields, **changes})  # type: ignore[arg-type]


# --- HireRep ---------------------------------------------------------------------------------

def test_hire_rep_records_the_rep_with_its_manager() -> None:
    assert when(rep, None, hire()) == [HIRED]


def test_hire_rep_strips_text_and_allows_no_manager() -> None:
    command = hire(name="  Anna Schmidt ", email=" anna@example.com ", role="manager",
                   team=" Team Nord", region="north ", manager=None)
    assert when(rep, None, command) == [
        RepHired("rep-1", "Anna Schmidt", "anna@example.com", "manager", "Team Nord", "north", None)
    ]


def test_hire_rep_twice_is_refused() -> None:
    error = rejected(rep, given(rep, HIRED), hire(), AlreadyExistsError)
    assert error.code == "already_exists"


def test_hire_rep_under_a_departed_manager_is_refused() -> None:
    error = rejected(rep, None, hire(manager=DEPARTED_MANAGER), RepDepartedError)
    assert error.code == "rep_departed"


def test_hire_rep_under_someone_who_is_not_a_manager_is_refused() -> None:
    broken_rule(rep, None, hire(manager=SUCCESSOR), "manager_id")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "anna.example.com"}, "email"),
        ({"role": "director"}, "role"),
        ({"team": ""}, "team"),
        ({"region": " "}, "region"),
    ],
)
def test_hire_rep_with_an_invalid_value_names_the_field(changes: dict, field: str) -> None:
    invalid(rep, None, hire(**changes), field)


# --- MoveRep ---------------------------------------------------------------------------------

def test_move_rep_records_new_team_region_and_manager() -> None:
    events = when(rep, given(rep, HIRED), MoveRep("Team Süd", "south", OTHER_MANAGER))
    assert events == [RepMoved("Team Süd", "south", "mgr-2")]


def test_move_rep_to_where_they_already_are_records_nothing() -> None:
    assert when(rep, given(rep, HIRED), MoveRep("Team Nord", "north", MANAGER)) == []


def test_move_rep_under_a_departed_manager_is_refused() -> None:
    rejected(rep, given(rep, HIRED), MoveRep("Team Süd", "south", DEPARTED_MANAGER),
             RepDepartedError)


def test_move_rep_under_someone_who_is_not_a_manager_is_refused() -> None:
    broken_rule(rep, given(rep, HIRED), MoveRep("Team Süd", "south", SUCCESSOR), "manager_id")


@pytest.mark.parametrize(
    ("team", "region", "field"), [(" ", "south", "team"), ("Süd", "", "region")]
)
def test_move_rep_with_an_empty_value_names_the_field(team: str, region: str, field: str) -> None:
    invalid(rep, given(rep, HIRED), MoveRep(team, region, MANAGER), field)


# --- SetQuota --------------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["2026-03", "2026-Q1", "FY2026"])
def test_set_quota_accepts_month_quarter_and_fiscal_year(period: str) -> None:
    events = when(rep, given(rep, HIRED), SetQuota(period, Decimal("120000")))
    assert events == [RepQuotaSet(period, Decimal("120000"))]


def test_set_quota_to_the_same_amount_records_nothing() -> None:
    state = given(rep, HIRED, RepQuotaSet("2026-Q1", Decimal("120000")))
    assert when(rep, state, SetQuota("2026-Q1", Decimal("120000"))) == []


def test_set_quota_to_zero_is_allowed() -> None:
    state = given(rep, HIRED, RepQuotaSet("2026-Q1", Decimal("120000")))
    assert when(rep, state, SetQuota("2026-Q1", Decimal(0))) == [RepQuotaSet("2026-Q1", Decimal(0))]


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "FY26", "Q1-2026", "2026"])
def test_set_quota_for_a_malformed_period_is_refused(period: str) -> None:
    invalid(rep, given(rep, HIRED), SetQuota(period, Decimal(1)), "period")


def test_set_quota_to_a_negative_amount_is_refused() -> None:
    invalid(rep, given(rep, HIRED), SetQuota("2026-03", Decimal("-1")), "amount")


# --- SetCommissionPlan -----------------------------------------------------------------------

def test_set_commission_plan_with_an_accelerated_rate_above_quota() -> None:
    events = when(rep, given(rep, HIRED), SetCommissionPlan(Decimal("0.05"), Decimal("0.08")))
    assert events == [RepCommissionPlanSet(Decimal("0.05"), Decimal("0.08"))]


def test_set_commission_plan_with_a_flat_rate() -> None:
    events = when(rep, given(rep, HIRED), SetCommissionPlan(Decimal("0.05")))
    assert events == [RepCommissionPlanSet(Decimal("0.05"), None)]


@pytest.mark.parametrize(
    ("rate", "accelerated", "field"),
    [
        (Decimal(0), None, "rate"),
        (Decimal(1), None, "rate"),
        (Decimal("0.05"), Decimal(1), "accelerated_rate"),
    ],
)
def test_set_commission_plan_with_an_invalid_rate_names_the_field(
    rate: Decimal, accelerated: Decimal | None, field: str
) -> None:
    invalid(rep, given(rep, HIRED), SetCommissionPlan(rate, accelerated), field)


def test_set_commission_plan_accelerating_below_the_rate_is_refused() -> None:
    command = SetCommissionPlan(Decimal("0.05"), Decimal("0.04"))
    broken_rule(rep, given(rep, HIRED), command, "accelerated_rate")


# --- DepartRep -------------------------------------------------------------------------------

def test_depart_rep_records_effective_date_and_successor() -> None:
    assert when(rep, given(rep, HIRED), DepartRep(SUCCESSOR, LEAVING_ON)) == [DEPARTED]


def test_depart_rep_to_a_departed_successor_is_refused() -> None:
    error = rejected(rep, given(rep, HIRED), DepartRep(DEPARTED_REP, LEAVING_ON), RepDepartedError)
    assert error.code == "rep_departed"


def test_depart_rep_succeeding_themself_is_refused() -> None:
    broken_rule(rep, given(rep, HIRED), DepartRep(RepRef("rep-1", True), LEAVING_ON), "successor_id")


# --- a departed or unknown rep ---------------------------------------------------------------

@pytest.mark.parametrize(
    "command",
    [
        MoveRep("Team Süd", "south", OTHER_MANAGER),
        SetQuota("2026-Q2", Decimal(1)),
        SetCommissionPlan(Decimal("0.05")),
        DepartRep(SUCCESSOR, LEAVING_ON),
    ],
    ids=lambda c: type(c).__name__,
)
def test_a_departed_rep_accepts_no_changes(command: Command) -> None:
    error = rejected(rep, given(rep, HIRED, DEPARTED), command, RepDepartedError)
    assert error.code == "rep_departed"


def test_a_command_for_an_unknown_rep_is_refused() -> None:
    error = rejected(rep, None, SetQuota("2026-Q1", Decimal(1)), NotFoundError)
    assert error.code == "not_found"


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(rep, given(rep, HIRED), ReceiveStock(1), TypeError)


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_folds_the_rep_history_into_its_state() -> None:
    state = given(
        rep, HIRED, RepMoved("Team Süd", "south", "mgr-2"),
        RepQuotaSet("2026-Q1", Decimal(100)), RepQuotaSet("2026-Q2", Decimal(200)),
        RepCommissionPlanSet(Decimal("0.05"), Decimal("0.08")), DEPARTED,
    )
    assert (state.team, state.region, state.manager_id) == ("Team Süd", "south", "mgr-2")
    assert state.quotas == {"2026-Q1": Decimal(100), "2026-Q2": Decimal(200)}
    assert (state.commission_rate, state.accelerated_rate) == (Decimal("0.05"), Decimal("0.08"))
    assert (state.active, state.successor_id) == (False, "rep-2")
    assert state.ref() == RepRef("rep-1", False, "rep", "mgr-2")


def test_evolve_a_new_hire_is_active_with_no_quota() -> None:
    state = given(rep, HIRED)
    assert (state.id, state.name, state.role, state.active) == (
        "rep-1", "Anna Schmidt", "rep", True)
    assert (state.quotas, state.commission_rate, state.successor_id) == ({}, None, None)
