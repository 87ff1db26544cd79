"""Customer timeline: an account's events in global order, and its state as of any instant;
and the account's verified export.

Answered by the audit history (``infra.audit.history``): from the event store and its audit
index, not from a read model, with each event's chain hash. The export is
``infra.audit.export``'s, as ``sfa audit export --format jsonl`` writes it."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.access import Sight, check_visible, require_role
from api.deps import PrincipalDep, ServicesDep, reads
from api.errors import QUERY_RESPONSES
from api.inputs import RecordId
from api.reading import AsOfInstant
from infra.audit import export
from infra.audit.history import AuditHistory
from projections.customer_timeline.answers import Timeline

router = APIRouter(prefix="/v1/accounts", tags=["timeline"], responses=QUERY_RESPONSES)
ReadsTimeline = Annotated[None, reads("timeline")]
AccountId = Annotated[RecordId, Path(description="Account id")]
EXPORTERS = ("auditor", "admin")
JSONL = "application/x-ndjson"
EXPORT_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "description": "The export, as `sfa audit export --format jsonl` writes it: the manifest's "
                   "line `{\"manifest\": {...}}`, then one line per event; `sfa audit "
                   "verify-export FILE --digest D` verifies it offline (D: the "
                   "`X-Manifest-Digest` header)",
    "content": {JSONL: {"schema": {"type": "string"}}}}}


@router.get("/{account_id}/timeline")
def timeline(account_id: AccountId, caller: PrincipalDep, services: ServicesDep, _: ReadsTimeline,
             as_of: AsOfInstant = None) -> Timeline:
    """Every event of the account, of the leads that became it, its opportunities and orders
    (and their stock movements), and the state they add up to, as of `as_of` (default: now).
    Visible to whoever may see the account (its owner, the owner's manager, auditors,
    integrators, admins); 404 else. Reps and managers get the leads and opportunities of
    the account they may see (by their owner now), and the actors they may see (else null)."""
    owner = services.sales.accounts.get(account_id).owner_id
    check_visible(caller, services.sales.directory, owner, f"account {account_id}")
    with services.db.reader() as conn:
        found = AuditHistory(services.db, conn).history(account_id, as_of)
    return Timeline(**_as_seen(found, Sight(caller, services.sales.directory)))


@router.get("/{account_id}/export", response_class=Response, responses=EXPORT_ANSWER)
def export_account(account_id: AccountId, caller: PrincipalDep, services: ServicesDep,
                   _: ReadsTimeline) -> Response:
    """The account's full sealed history (its own events, its leads', opportunities' and
    orders', their stock movements) with the stored bytes and chain hash of every event and a
    manifest (count, positions, the chain head, digests), verifiable offline. Seals what is
    new first; events written meanwhile are past the manifest's head and left out. Auditors
    and admins; 404 for an account the caller may not see, 403 for others who may."""
    owner = services.sales.accounts.get(account_id).owner_id
    check_visible(caller, services.sales.directory, owner, f"account {account_id}")
    require_role(caller, *EXPORTERS)
    with services.db.reader() as conn:
        manifest, rows = export.sealed(services.db, conn, account_id,
                                       datetime.now(UTC).isoformat())
    return Response(export.jsonl(manifest, rows), media_type=JSONL, headers={
        "Content-Disposition": f'attachment; filename="audit-{account_id}.jsonl"',
        "X-Manifest-Digest": manifest["manifest_digest"]})


def _as_seen(found: dict[str, Any], sight: Sight) -> dict[str, Any]:
    """The timeline without the leads and opportunities the caller may not see, and with
    the actors they may not see left out."""
    if sight.everything:
        return found
    hidden = {e["stream_id"] for e in found["events"]
              if e["stream_type"] in ("Lead", "Opportunity") and not sight.record(e["stream_id"])}
    events = [e if sight.actor(e["actor"]) else {**e, "actor": None}
              for e in found["events"] if e["stream_id"] not in hidden]
    state = found["state"]
    return {"events": events, "state": {
        **state, "leads": [x for x in state["leads"] if x["id"] not in hidden],
        "opportunities": [x for x in state["opportunities"] if x["id"] not in hidden]}}
