"""One router per resource; ``ALL_ROUTERS`` is what the app includes, in this order.

The query routes come before the resource routes, so that ``/v1/opportunities/stuck`` is
not taken for ``/v1/opportunities/{id}``.
"""

from fastapi import APIRouter

from api.routers import accounts, leads, opportunities, ops, orders, queries, reps, stock

ALL_ROUTERS: list[APIRouter] = [ops.router, queries.router, reps.router, leads.router,
                                accounts.router, opportunities.router, stock.router,
                                orders.router]
