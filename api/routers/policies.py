"""The company's policies: the hand-over credit policy (admin). Its answers are read in
``api.routers.history`` (``GET /v1/policies/handover-credit``)."""

from fastapi import APIRouter

from api.access import require_role
from api.deps import CommandDep
from api.errors import ERROR_RESPONSES
from api.schemas import Versioned
from api.schemas.policies import HandOverCreditPut

router = APIRouter(prefix="/v1", tags=["policies"], responses=ERROR_RESPONSES)


@router.put("/policies/handover-credit")
def set_handover_credit(body: HandOverCreditPut, call: CommandDep) -> Versioned:
    """Set the hand-over credit policy: per tier, the departing rep's share of a deal won
    after a hand-over (the successor's is the rest), for deals won from `effective_from` on
    — a day in the past re-credits the deals won since in the statements issued from now on
    (admin)."""
    require_role(call.caller, "admin")
    result = call.services.sales.policies.set_handover_credit(
        call.ctx, upper=body.upper, middle=body.middle, lower=body.lower,
        effective_from=body.effective_from, expected_version=call.expected_version)
    return Versioned.of(result)
