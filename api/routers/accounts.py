"""Accounts: customers, their contacts, classification, grade, activities, owner, hand-over."""

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path

from api.access import (
    Ref,
    check_may_act,
    check_may_advance_handover,
    check_refs,
    check_visible,
    require_role,
)
from api.deps import CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES, not_found
from api.inputs import RecordId, Reference
from api.schemas import Created, Versioned
from api.schemas.accounts import (
    AccountCreate,
    AccountInteraction,
    AccountPublic,
    Classification,
    ContactAdded,
    ContactChange,
    ContactCreate,
    ContactPublic,
    FollowUpPublic,
    Grading,
    OwnerChange,
)
from api.schemas.leads import FollowUp, FollowUpDone, HandOverStep
from domain.account import Account
from infra.errors import ConflictError
from infra.eventstore.ids import parse_id
from infra.service.accounts import ACCOUNT

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=ERROR_RESPONSES)
AccountId = Annotated[RecordId, Path(description="Account id")]
ContactId = Annotated[Reference, Path(description="Contact id, as answered when it was added")]
FollowUpId = Annotated[Reference, Path(description="Follow-up id, as given when scheduled")]


def load_account(services: ServicesDep, account_id: str) -> tuple[Account, int]:
    try:
        loaded = services.sales.bus.load(ACCOUNT, parse_id(account_id, "account_id"))
    except ConflictError:  # the id names another kind of record
        raise not_found(f"account {account_id}") from None
    if loaded.state is None:
        raise not_found(f"account {account_id}")
    return loaded.state, loaded.version


def _may_act(caller: PrincipalDep, services: ServicesDep, account_id: str) -> None:
    owner = load_account(services, account_id)[0].owner_id
    check_may_act(caller, services.sales.directory, owner, f"account {account_id}")


@router.post("", status_code=201)
def open_account(body: AccountCreate, call: CommandDep) -> Created:
    """Open an account. A rep opens accounts for themself, a manager for their team."""
    check_refs(call.caller, call.services.sales, Ref("rep", body.owner_id, "owner_id"))
    result = call.services.sales.accounts.open(
        call.ctx, name=body.name, region=body.region, owner_id=str(body.owner_id),
        industry=body.industry, size=body.size)
    return Created(id=str(result.stream_id), position=result.position)


@router.get("/{account_id}")
def get_account(account_id: AccountId, caller: PrincipalDep, services: ServicesDep) -> AccountPublic:
    """The account as the command side knows it now (visible to its owner and their manager)."""
    account, version = load_account(services, account_id)
    check_visible(caller, services.sales.directory, account.owner_id, f"account {account_id}")
    contacts = [ContactPublic(contact_id=c.contact_id, name=c.name, email=c.email, phone=c.phone,
                              role=c.role, preferences=list(c.preferences))
                for c in account.contacts.values()]
    follow_ups = [FollowUpPublic(follow_up_id=f.follow_up_id, due=f.due, note=f.note, done=f.done)
                  for f in account.follow_ups.values()]
    return AccountPublic(id=account.id, name=account.name, industry=account.industry,
                         size=account.size, region=account.region, owner_id=account.owner_id,
                         segment=account.segment, potential=account.potential,
                         grade=account.grade, contacts=contacts, follow_ups=follow_ups,
                         handover_status=account.handover_status, version=version)


@router.post("/{account_id}/contacts", status_code=201)
def add_contact(account_id: AccountId, body: ContactCreate, call: CommandDep) -> ContactAdded:
    """Add a contact person; answers its `id` (the `contact_id`)."""
    _may_act(call.caller, call.services, account_id)
    contact_id = body.contact_id or str(uuid4())
    result = call.services.sales.accounts.add_contact(
        call.ctx, account_id, contact_id=contact_id, name=body.name, email=str(body.email),
        phone=body.phone, role=body.role, preferences=body.preferences)
    return ContactAdded(id=contact_id, position=result.position, version=result.version)


@router.put("/{account_id}/contacts/{contact_id}")
def change_contact(account_id: AccountId, contact_id: ContactId, body: ContactChange,
                   call: CommandDep) -> Versioned:
    """Replace a contact's details."""
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.change_contact(
        call.ctx, account_id, contact_id=contact_id, name=body.name, email=str(body.email),
        phone=body.phone, role=body.role, preferences=body.preferences)
    return Versioned.of(result)


@router.delete("/{account_id}/contacts/{contact_id}")
def remove_contact(account_id: AccountId, contact_id: ContactId, call: CommandDep) -> Versioned:
    """Remove a contact (its history stays in the account's events)."""
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.remove_contact(call.ctx, account_id,
                                                         contact_id=contact_id)
    return Versioned.of(result)


@router.post("/{account_id}/contacts/{contact_id}/remove")
def remove_contact_by_post(account_id: AccountId, contact_id: ContactId,
                           call: CommandDep) -> Versioned:
    """The same as `DELETE .../contacts/{contact_id}`, for clients that only POST."""
    return remove_contact(account_id, contact_id, call)


@router.post("/{account_id}/classification")
def classify(account_id: AccountId, body: Classification, call: CommandDep) -> Versioned:
    """Set the market segment and the potential (high, medium, low)."""
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.classify(call.ctx, account_id, segment=body.segment,
                                                   potential=body.potential)
    return Versioned.of(result)


@router.post("/{account_id}/grade")
def grade(account_id: AccountId, body: Grading, call: CommandDep) -> Versioned:
    """Grade the customer (key, A, B, C); the grade drives price discounts."""
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.grade(call.ctx, account_id, grade=body.grade)
    return Versioned.of(result)


@router.post("/{account_id}/interactions")
def log_interaction(account_id: AccountId, body: AccountInteraction,
                    call: CommandDep) -> Versioned:
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.log_interaction(
        call.ctx, account_id, interaction_id=body.interaction_id or str(uuid4()), kind=body.kind,
        notes=body.notes, outcome=body.outcome, contact_id=body.contact_id)
    return Versioned.of(result)


@router.post("/{account_id}/follow-ups")
def schedule_follow_up(account_id: AccountId, body: FollowUp, call: CommandDep) -> Versioned:
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.schedule_follow_up(
        call.ctx, account_id, follow_up_id=body.follow_up_id or str(uuid4()), due=body.due,
        note=body.note)
    return Versioned.of(result)


@router.post("/{account_id}/follow-ups/{follow_up_id}/complete")
def complete_follow_up(account_id: AccountId, follow_up_id: FollowUpId, body: FollowUpDone,
                       call: CommandDep) -> Versioned:
    _may_act(call.caller, call.services, account_id)
    result = call.services.sales.accounts.complete_follow_up(
        call.ctx, account_id, follow_up_id=follow_up_id, outcome=body.outcome)
    return Versioned.of(result)


@router.post("/{account_id}/owner")
def change_owner(account_id: AccountId, body: OwnerChange,
                 call: VersionedCommandDep) -> Versioned:
    """Give the account to another rep (managers within their team, and admins)."""
    _may_act(call.caller, call.services, account_id)
    require_role(call.caller, "manager", "admin")
    check_refs(call.caller, call.services.sales, Ref("rep", body.owner_id, "owner_id"))
    result = call.services.sales.accounts.change_owner(
        call.ctx, account_id, owner_id=str(body.owner_id),
        expected_version=call.expected_version)
    return Versioned.of(result)


@router.post("/{account_id}/handover")
def advance_handover(account_id: AccountId, body: HandOverStep, call: CommandDep) -> Versioned:
    """Move the account's hand-over on: pending -> introduced -> completed (the owner, or
    whoever the hand-over names to act)."""
    sales = call.services.sales
    state = sales.accounts.get(account_id)
    check_may_advance_handover(call.caller, sales.directory, state.owner_id,
                               state.handover_actor_id, f"account {account_id}")
    result = sales.accounts.advance_handover(call.ctx, account_id, status=body.status)
    return Versioned.of(result)


__all__ = ["load_account", "router"]
