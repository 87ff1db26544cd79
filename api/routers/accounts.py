"""Accounts: customers, their contacts, classification, grade, activities, owner, hand-over."""

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Path

from api.access import Ref, check_refs, check_visible, may_act, may_advance_handover
from api.deps import Command, CommandDep, PrincipalDep, ServicesDep, VersionedCommandDep
from api.errors import ERROR_RESPONSES
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
from api.schemas.leads import FollowUp, FollowUpDone, FollowUpId, HandOverStep
from infra.service.commands import Guard

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=ERROR_RESPONSES)
AccountId = Annotated[RecordId, Path(description="Account id")]
ContactId = Annotated[Reference, Path(description="Contact id, as answered when it was added")]


def _acting(call: Command, account_id: str, *refs: Ref,
            roles: tuple[str, ...] = ()) -> Guard:
    """The caller may act on the account as decided on (and see the records the body names)."""
    return may_act(call.caller, call.services.sales, f"account {account_id}", *refs, roles=roles)


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
    loaded = services.sales.accounts.find(account_id)
    account, version = loaded.state, loaded.version
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
    contact_id = body.contact_id or str(uuid4())
    result = call.services.sales.accounts.add_contact(
        call.ctx, account_id, contact_id=contact_id, name=body.name, email=str(body.email),
        phone=body.phone, role=body.role, preferences=body.preferences,
        guard=_acting(call, account_id))
    return ContactAdded(id=contact_id, position=result.position, version=result.version)


@router.put("/{account_id}/contacts/{contact_id}")
def change_contact(account_id: AccountId, contact_id: ContactId, body: ContactChange,
                   call: CommandDep) -> Versioned:
    """Replace a contact's details."""
    result = call.services.sales.accounts.change_contact(
        call.ctx, account_id, contact_id=contact_id, name=body.name, email=str(body.email),
        phone=body.phone, role=body.role, preferences=body.preferences,
        guard=_acting(call, account_id))
    return Versioned.of(result)


@router.delete("/{account_id}/contacts/{contact_id}")
def remove_contact(account_id: AccountId, contact_id: ContactId, call: CommandDep) -> Versioned:
    """Remove a contact (its history stays in the account's events)."""
    result = call.services.sales.accounts.remove_contact(
        call.ctx, account_id, contact_id=contact_id, guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/contacts/{contact_id}/remove")
def remove_contact_by_post(account_id: AccountId, contact_id: ContactId,
                           call: CommandDep) -> Versioned:
    """The same as `DELETE .../contacts/{contact_id}`, for clients that only POST."""
    return remove_contact(account_id, contact_id, call)


@router.post("/{account_id}/classification")
def classify(account_id: AccountId, body: Classification, call: CommandDep) -> Versioned:
    """Set the market segment and the potential (high, medium, low)."""
    result = call.services.sales.accounts.classify(
        call.ctx, account_id, segment=body.segment, potential=body.potential,
        guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/grade")
def grade(account_id: AccountId, body: Grading, call: CommandDep) -> Versioned:
    """Grade the customer (key, A, B, C); the grade drives price discounts."""
    result = call.services.sales.accounts.grade(call.ctx, account_id, grade=body.grade,
                                                guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/interactions")
def log_interaction(account_id: AccountId, body: AccountInteraction,
                    call: CommandDep) -> Versioned:
    result = call.services.sales.accounts.log_interaction(
        call.ctx, account_id, interaction_id=body.interaction_id or str(uuid4()), kind=body.kind,
        notes=body.notes, outcome=body.outcome, contact_id=body.contact_id,
        guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/follow-ups")
def schedule_follow_up(account_id: AccountId, body: FollowUp, call: CommandDep) -> Versioned:
    result = call.services.sales.accounts.schedule_follow_up(
        call.ctx, account_id, follow_up_id=body.follow_up_id or str(uuid4()), due=body.due,
        note=body.note, guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/follow-ups/{follow_up_id}/complete")
def complete_follow_up(account_id: AccountId, follow_up_id: FollowUpId, body: FollowUpDone,
                       call: CommandDep) -> Versioned:
    result = call.services.sales.accounts.complete_follow_up(
        call.ctx, account_id, follow_up_id=follow_up_id, outcome=body.outcome,
        guard=_acting(call, account_id))
    return Versioned.of(result)


@router.post("/{account_id}/owner")
def change_owner(account_id: AccountId, body: OwnerChange,
                 call: VersionedCommandDep) -> Versioned:
    """Give the account to another rep (managers within their team, and admins)."""
    result = call.services.sales.accounts.change_owner(
        call.ctx, account_id, owner_id=str(body.owner_id),
        expected_version=call.expected_version,
        guard=_acting(call, account_id, Ref("rep", body.owner_id, "owner_id"),
                      roles=("manager", "admin")))
    return Versioned.of(result)


@router.post("/{account_id}/handover")
def advance_handover(account_id: AccountId, body: HandOverStep, call: CommandDep) -> Versioned:
    """Move the account's hand-over on: pending -> introduced -> completed (the owner, or
    whoever the hand-over names to act)."""
    sales = call.services.sales
    result = sales.accounts.advance_handover(
        call.ctx, account_id, status=body.status,
        next_meeting_at=body.next_meeting_at,
        guard=may_advance_handover(call.caller, sales, f"account {account_id}"))
    return Versioned.of(result)


__all__ = ["router"]
