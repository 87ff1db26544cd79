"""Account: opening, contacts, classification, grade, activities, owner and hand-over."""

from datetime import date

import pytest

from domain import account
from domain.account import (
    AccountClassified,
    AccountFollowUpCompleted,
    AccountFollowUpScheduled,
    AccountGraded,
    AccountHandedOver,
    AccountHandOverAdvanced,
    AccountInteractionLogged,
    AccountOpened,
    AccountOwnerChanged,
    AddContact,
    AdvanceAccountHandOver,
    ChangeAccountOwner,
    ChangeContact,
    ClassifyAccount,
    Contact,
    ContactAdded,
    ContactChanged,
    ContactRemoved,
    GradeAccount,
    HandOverAccount,
    OpenAccount,
    RemoveContact,
)
from domain.activities import CompleteFollowUp, LogInteraction, ScheduleFollowUp
from domain.errors import (
    AlreadyExistsError,
    InvalidTransitionError,
    NotFoundError,
    RepDepartedError,
)
from domain.handover import HandOverPlan
from domain.stock_item import ReceiveStock
from domain.values import RepRef, Tier
from tests.unit.given import broken_rule, given, invalid, rejected, when

TODAY = date(2026, 3, 2)
NEXT_WEEK = date(2026, 3, 9)
REP_1 = RepRef("rep-1", active=True)
REP_2 = RepRef("rep-2", active=True)
DEPARTED_REP = RepRef("rep-9", active=False)

OPENED = AccountOpened("acc-1", "Acme GmbH", "software", 250, "north", "rep-1")
ANNA_KEYS = ("email:anna@acme.example", "phone:49301234567", "name:acme|anna schmidt")
ANNA = ContactAdded("con-1", "Anna Schmidt", "anna@acme.example", "+49 30 1234567", "buyer",
                    ("email",), ANNA_KEYS, "lead-1")
PLAN = HandOverPlan(Tier.LOWER, "manager_introduces_successor_in_person", "mgr-1",
                    date(2026, 3, 31))
HANDED_OVER = AccountHandedOver("rep-1", "rep-2", "lower", "manager_introduces_successor_in_person",
                                "mgr-1", date(2026, 3, 31))
FOLLOW_UP = AccountFollowUpScheduled("fu-1", NEXT_WEEK, "")


def open_account(**changes: object) -> OpenAccount:
    fields: dict[str, object] = dict(account_id="acc-1", name="Acme GmbH", region="north",
                                     owner=REP_1, industry="software", size=250)
    return OpenAccount(**{**fields, **changes})  # type: ignore[arg-type]


def add_anna(**changes: object) -> AddContact:
    fields: dict[str, object] = dict(contact_id="con-1", name="Anna Schmidt",
                                     email="anna@acme.example", phone="+49 30 1234567",
                                     role="buyer", preferences=("email",), source_lead_id="lead-1")
    return AddContact(**{**fields, **changes})  # type: ignore[arg-type]


def acme() -> account.Account:
    return given(account, OPENED, ANNA)


# --- OpenAccount -----------------------------------------------------------------------------

def test_open_account_records_its_owner() -> None:
    assert when(account, None, open_account()) == [OPENED]


def test_open_account_without_industry_or_size() -> None:
    events = when(account, None, open_account(name=" Acme GmbH ", industry=None, size=None))
    assert events == [AccountOpened("acc-1", "Acme GmbH", None, None, "north", "rep-1")]


def test_open_account_twice_is_refused() -> None:
    error = rejected(account, acme(), open_account(), AlreadyExistsError)
    assert error.code == "already_exists"


def test_open_account_for_a_departed_rep_is_refused() -> None:
    error = rejected(account, None, open_account(owner=DEPARTED_REP), RepDepartedError)
    assert error.code == "rep_departed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"size": 0}, "size"), ({"name": " "}, "name"), ({"region": ""}, "region")],
)
def test_open_account_with_an_invalid_value_names_the_field(changes: dict, field: str) -> None:
    invalid(account, None, open_account(**changes), field)


# --- AddContact / ChangeContact / RemoveContact ----------------------------------------------

def test_add_contact_records_its_duplicate_keys_including_the_company() -> None:
    assert when(account, given(account, OPENED), add_anna()) == [ANNA]


def test_add_contact_without_phone_has_email_and_name_keys_only() -> None:
    events = when(account, given(account, OPENED), add_anna(phone=None, source_lead_id=None))
    assert events == [ContactAdded(
        "con-1", "Anna Schmidt", "anna@acme.example", None, "buyer", ("email",),
        ("email:anna@acme.example", "name:acme|anna schmidt"), None,
    )]


def test_add_a_contact_with_a_known_id_is_refused() -> None:
    rejected(account, acme(), add_anna(), AlreadyExistsError)


@pytest.mark.parametrize(("changes", "field"), [({"name": ""}, "name"), ({"email": "x@"}, "email")])
def test_add_contact_with_an_invalid_value_names_the_field(changes: dict, field: str) -> None:
    invalid(account, given(account, OPENED), add_anna(**changes), field)


def test_change_contact_records_the_new_data_and_keys() -> None:
    command = ChangeContact("con-1", "Anna Weber", "anna.weber@acme.example", None, "cfo",
                            ("phone",))
    assert when(account, acme(), command) == [ContactChanged(
        "con-1", "Anna Weber", "anna.weber@acme.example", None, "cfo", ("phone",),
        ("email:anna.weber@acme.example", "name:acme|anna weber"),
    )]


def test_change_an_unknown_contact_is_refused() -> None:
    error = rejected(account, acme(), ChangeContact("con-404", "Bob", "bob@acme.example"),
                     NotFoundError)
    assert error.code == "not_found"


@pytest.mark.parametrize(("name", "email", "field"), [(" ", "a@acme.example", "name"),
                                                      ("Anna", "anna", "email")])
def test_change_contact_with_an_invalid_value_names_the_field(name: str, email: str,
                                                              field: str) -> None:
    invalid(account, acme(), ChangeContact("con-1", name, email), field)


def test_remove_contact() -> None:
    assert when(account, acme(), RemoveContact("con-1")) == [ContactRemoved("con-1")]


def test_remove_an_unknown_contact_is_refused() -> None:
    rejected(account, acme(), RemoveContact("con-404"), NotFoundError)


# --- ClassifyAccount / GradeAccount ----------------------------------------------------------

def test_classify_account_records_segment_and_potential() -> None:
    events = when(account, acme(), ClassifyAccount(" north-midmarket ", "high"))
    assert events == [AccountClassified("north-midmarket", "high")]


def test_classify_account_with_an_unknown_potential_is_refused() -> None:
    invalid(account, acme(), ClassifyAccount("north-midmarket", "huge"), "potential")


def test_classify_account_without_a_segment_is_refused() -> None:
    invalid(account, acme(), ClassifyAccount(" ", "low"), "segment")


@pytest.mark.parametrize("grade", ["key", "A", "B", "C"])
def test_grade_account(grade: str) -> None:
    assert when(account, acme(), GradeAccount(grade)) == [AccountGraded(grade)]


def test_grade_account_with_its_current_grade_records_nothing() -> None:
    assert when(account, given(account, OPENED, AccountGraded("A")), GradeAccount("A")) == []


def test_grade_account_with_an_unknown_grade_is_refused() -> None:
    invalid(account, acme(), GradeAccount("D"), "grade")


# --- LogInteraction --------------------------------------------------------------------------

def test_log_account_interaction_with_a_contact() -> None:
    command = LogInteraction("int-1", "visit", "site tour", "ok", "con-1")
    events = when(account, acme(), command)
    assert events == [AccountInteractionLogged("int-1", "visit", "site tour", "ok", "con-1")]


def test_log_account_interaction_without_a_contact() -> None:
    events = when(account, acme(), LogInteraction("int-1", "email"))
    assert events == [AccountInteractionLogged("int-1", "email", "", None, None)]


def test_log_account_interaction_with_an_unknown_contact_is_refused() -> None:
    rejected(account, acme(), LogInteraction("int-1", "call", contact_id="con-404"),
             NotFoundError)


def test_log_account_interaction_of_an_unknown_kind_is_refused() -> None:
    invalid(account, acme(), LogInteraction("int-1", "letter"), "kind")


def test_log_account_interaction_with_overlong_notes_is_refused() -> None:
    invalid(account, acme(), LogInteraction("int-1", "call", "x" * 10_001), "notes")


# --- ScheduleFollowUp / CompleteFollowUp -----------------------------------------------------

def test_schedule_account_follow_up() -> None:
    events = when(account, acme(), ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY, "renewal"))
    assert events == [AccountFollowUpScheduled("fu-1", NEXT_WEEK, "renewal")]


def test_schedule_account_follow_up_in_the_past_is_refused() -> None:
    broken_rule(account, acme(), ScheduleFollowUp("fu-1", date(2026, 3, 1), TODAY), "due")


@pytest.mark.parametrize(
    ("follow_up_id", "note", "field"),
    [("", "", "follow_up_id"), ("fu-2", "x" * 2001, "note")],
    ids=["empty-id", "overlong-note"],
)
def test_schedule_account_follow_up_with_an_invalid_value_names_the_field(
    follow_up_id: str, note: str, field: str
) -> None:
    state = given(account, OPENED, FOLLOW_UP)
    invalid(account, state, ScheduleFollowUp(follow_up_id, NEXT_WEEK, TODAY, note), field)


def test_complete_account_follow_up() -> None:
    state = given(account, OPENED, FOLLOW_UP)
    events = when(account, state, CompleteFollowUp("fu-1", "renewed"))
    assert events == [AccountFollowUpCompleted("fu-1", "renewed")]


def test_schedule_account_follow_up_with_a_known_id_is_refused() -> None:
    state = given(account, OPENED, FOLLOW_UP)
    rejected(account, state, ScheduleFollowUp("fu-1", NEXT_WEEK, TODAY), AlreadyExistsError)


def test_complete_an_unknown_account_follow_up_is_refused() -> None:
    rejected(account, acme(), CompleteFollowUp("fu-404"), NotFoundError)


def test_complete_an_account_follow_up_twice_is_refused() -> None:
    state = given(account, OPENED, FOLLOW_UP, AccountFollowUpCompleted("fu-1", None))
    rejected(account, state, CompleteFollowUp("fu-1"), InvalidTransitionError)


# --- ChangeAccountOwner ----------------------------------------------------------------------

def test_change_account_owner_records_the_previous_owner() -> None:
    events = when(account, acme(), ChangeAccountOwner(REP_2))
    assert events == [AccountOwnerChanged("rep-2", "rep-1")]


def test_change_account_owner_to_the_current_owner_records_nothing() -> None:
    assert when(account, acme(), ChangeAccountOwner(REP_1)) == []


def test_change_account_owner_to_a_departed_rep_is_refused() -> None:
    error = rejected(account, acme(), ChangeAccountOwner(DEPARTED_REP), RepDepartedError)
    assert error.code == "rep_departed"


# --- HandOverAccount / AdvanceAccountHandOver ------------------------------------------------

def test_hand_over_account_records_successor_and_plan() -> None:
    assert when(account, acme(), HandOverAccount("rep-1", REP_2, PLAN)) == [HANDED_OVER]


def test_hand_over_account_not_owned_by_the_departing_rep_records_nothing() -> None:
    state = given(account, OPENED, HANDED_OVER)
    assert when(account, state, HandOverAccount("rep-1", REP_2, PLAN)) == []


def test_hand_over_account_to_a_departed_successor_is_refused() -> None:
    rejected(account, acme(), HandOverAccount("rep-1", DEPARTED_REP, PLAN), RepDepartedError)


def test_advance_account_hand_over_step_by_step() -> None:
    state = given(account, OPENED, HANDED_OVER)
    assert when(account, state, AdvanceAccountHandOver("introduced")) == [
        AccountHandOverAdvanced("introduced")]
    state = account.evolve(state, AccountHandOverAdvanced("introduced"))
    assert when(account, state, AdvanceAccountHandOver("completed")) == [
        AccountHandOverAdvanced("completed")]


@pytest.mark.parametrize(
    ("history", "requested"),
    [((), "introduced"), ((HANDED_OVER,), "completed"),
     ((HANDED_OVER, AccountHandOverAdvanced("introduced"), AccountHandOverAdvanced("completed")),
      "completed")],
    ids=["none", "skip", "after-completed"],
)
def test_advance_account_hand_over_out_of_order_is_refused(history: tuple, requested: str) -> None:
    state = given(account, OPENED, *history)
    rejected(account, state, AdvanceAccountHandOver(requested), InvalidTransitionError)


# --- unknown account / foreign command -------------------------------------------------------

def test_a_command_for_an_unknown_account_is_refused() -> None:
    rejected(account, None, GradeAccount("A"), NotFoundError)


def test_a_command_of_another_aggregate_is_a_programming_error() -> None:
    rejected(account, acme(), ReceiveStock(1), TypeError)


# --- evolve ----------------------------------------------------------------------------------

def test_evolve_folds_contacts_added_changed_and_removed() -> None:
    bob = ContactAdded("con-2", "Bob", "bob@acme.example", None, None, (), (), None)
    state = given(
        account, OPENED, ANNA, bob,
        ContactChanged("con-1", "Anna Weber", "anna@acme.example", None, "cfo", (), ()),
        ContactRemoved("con-2"),
    )
    assert state.contacts == {
        "con-1": Contact("con-1", "Anna Weber", "anna@acme.example", None, "cfo", ())
    }


def test_evolve_folds_classification_grade_owner_and_follow_ups() -> None:
    state = given(
        account, OPENED, AccountClassified("north-midmarket", "high"), AccountGraded("key"),
        AccountOwnerChanged("rep-2", "rep-1"), FOLLOW_UP, AccountFollowUpCompleted("fu-1", None),
    )
    assert (state.segment, state.potential, state.grade) == ("north-midmarket", "high", "key")
    assert state.owner_id == "rep-2"
    assert state.follow_ups["fu-1"].done is True


def test_evolve_hand_over_moves_the_owner_pending_then_introduced_then_completed() -> None:
    state = given(account, OPENED, HANDED_OVER)
    assert (state.owner_id, state.handover_status) == ("rep-2", "pending")
    state = account.evolve(state, AccountHandOverAdvanced("introduced"))
    assert state.handover_status == "introduced"
    state = account.evolve(state, AccountHandOverAdvanced("completed"))
    assert state.handover_status == "completed"
