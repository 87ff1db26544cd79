"""Which read models each query reads, and whether they can answer.

A query reads only its own models: when an event stopped one of them (``sfa projections
status`` shows it ``failed``), that model's queries answer 503 ``read_model_failed`` naming
the event, while every other query goes on answering. ``min_position`` waits only for the
query's own models too. After an upgrade that changed a model, its queries answer 503
``read_model_upgrading`` until the new version, built beside the old one, is swapped in:
this code's queries cannot read the old version's tables. Whether a model can answer is
``infra.readside.serving``'s to say; which models a route reads is the API's.
"""

from projections.catalog import BY_NAME

# route template -> the read models its answer comes from (a route not named here: all)
ROUTE_MODELS: dict[str, tuple[str, ...]] = {
    "/v1/funnel": ("funnel",),
    "/v1/funnel/conversion": ("funnel",),
    "/v1/opportunities/stuck": ("funnel",),
    "/v1/forecast": ("forecasts",),
    "/v1/performance": ("performance",),
    "/v1/handovers/{rep_id}": ("handover",),
    "/v1/inventory": ("inventory",),
    "/v1/inventory/{sku}": ("inventory",),
    "/v1/inventory/{sku}/movements": ("inventory",),
    "/v1/accounts/{account_id}/timeline": ("timeline",),
    "/v1/activities/follow-ups": ("activities",),
    "/v1/activities/channels": ("activities",),
    "/v1/reports/sales": ("reports",),
    "/v1/reports/churn": ("reports",),
}


def models_of(route: str | None) -> tuple[str, ...]:
    return ROUTE_MODELS.get(route or "", tuple(BY_NAME))
