"""The app factory: ``uvicorn --factory api.app:create_app`` or ``sfa serve``."""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import docs, edge, errors, examples, http_errors, links, metrics
from api.bounded import BoundedWaitMiddleware
from api.console import site as console
from api.idempotency import IdempotencyMiddleware
from api.routers import ALL_ROUTERS
from infra.bootstrap import Root
from infra.memory import settle_garbage_collector
from infra.readside.follower import follow_until_stopped
from infra.settings import Settings

log = logging.getLogger(__name__)
DESCRIPTION = """sfa-core: commands and queries of an event-sourced Sales Force Automation core.

Authenticate with `Authorization: Bearer <token>` (tokens come from `sfa tokens create`).
Every command answer carries `position`; pass it as `min_position` to a query to read your
own writes. `If-Match: <version>` makes a command conditional on the record's version;
`Idempotency-Key` makes a retried POST return the first answer and write nothing new.
"""


def create_app(settings: Settings | None = None, run_projectors: bool | None = None) -> FastAPI:
    settings = settings or Settings()
    follow = settings.run_projectors if run_projectors is None else run_projectors

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        root = Root(settings)
        app.state.services = root
        sales = root.sales  # the store opens (its tables are made) before the first request
        root.tokens.reconcile()  # the token events a crash (or an older version) left out
        if settings.settle_gc:
            # the directory of every record is read now, not at the first request, so its
            # objects are frozen with the rest and no full collection walks them again
            sales.directory.catch_up()
            settle_garbage_collector()
        stop, follower = threading.Event(), None
        if follow:
            follower = threading.Thread(target=follow_until_stopped,
                                        args=(root.read_models, stop),
                                        name="projectors", daemon=True)
            follower.start()
            threading.Thread(target=sales.flows.keep_resuming,
                             args=(stop, settings.flow_resume_interval), name="flows",
                             daemon=True).start()
        try:
            yield
        finally:
            stop.set()
            if follower is not None:
                follower.join(timeout=10)
            await root.aclose()

    app = FastAPI(title="sfa-core", version="1", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # served offline by api.docs instead
    docs.install(app)
    errors.install(app)
    http_errors.install(app)
    links.install(app)  # after the errors: it adds to the document they complete
    examples.install(app)  # ids of the demo's records, in every path parameter and body
    app.add_middleware(IdempotencyMiddleware)
    edge.install(app, settings.max_body_bytes)  # the caller, then the body, before idempotency
    app.add_middleware(BoundedWaitMiddleware, settings=settings)  # outside: bounds the token check too
    console.install(app)  # its headers outside the bound: its 503 gets them too
    metrics.install(app)  # outermost: replays and refusals at the edge are counted too
    for router in ALL_ROUTERS:
        app.router.routes.extend(router.routes)  # flat: see ``api.routers``
    return app

