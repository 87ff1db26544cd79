"""One router per resource; ``ALL_ROUTERS`` is what the app includes."""

from fastapi import APIRouter

from api.routers import leads, ops, reps

ALL_ROUTERS: list[APIRouter] = [ops.router, reps.router, leads.router]
