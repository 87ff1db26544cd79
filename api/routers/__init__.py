"""One router per resource; ``ALL_ROUTERS`` is what the app includes, in this order.

The query routes come before the resource routes, so that ``/v1/opportunities/stuck`` is
not taken for ``/v1/opportunities/{id}``.

The app takes their routes as one flat list instead of ``include_router``: FastAPI 0.16x
keeps an included router as a layer of its own and matches every request through each
layer twice, which cost a command request more CPU than deciding and storing the command.
A route built on an ``APIRouter`` already carries the router's prefix, tags and responses.
"""

from fastapi import APIRouter

from api.routers import (
    accounts,
    campaigns,
    departures,
    forecasts,
    funnel,
    handovers,
    history,
    insights,
    inventory,
    leads,
    lists,
    opportunities,
    ops,
    orders,
    policies,
    prices,
    reps,
    stock,
    timeline,
)

# the queries over the read models
QUERY_ROUTERS: list[APIRouter] = [funnel.router, forecasts.router, handovers.router,
                                  inventory.router, timeline.router, insights.router,
                                  history.router, lists.router]
ALL_ROUTERS: list[APIRouter] = [ops.router, *QUERY_ROUTERS, reps.router, departures.notices,
                                departures.plans, leads.router,
                                accounts.router, opportunities.router, stock.router,
                                orders.router, prices.router, campaigns.router, policies.router]
