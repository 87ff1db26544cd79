"""Keeping an API worker's cached states up with what the other workers store.

Each API worker decides commands on the states it has cached. When another worker changed a
stream since (the usual case for a stock item, which every worker's orders reserve), the
decision is stale: its append fails, the stream is read again, and the command is decided
and appended once more — three trips to the store instead of one, and under load most of
the orders' slow tail. So while a worker's event loop is appending, a task of that loop
reads the log after the last position it saw, every few milliseconds, on a connection of
its own, and folds into the cache the events of streams it holds (``EventStore.
apply_stored_after_async``): most decisions are then taken on current states.

This is only about speed: a state the follower has not caught up yet is still found stale
at the append and caught up there. The follower reads nothing while its loop is idle
(``IDLE_AFTER``), so an idle server does not poll; after a pause or a failed read it starts
again from the head of the log (what it skipped, the catch-up read covers).
PostgreSQL only: there the event loop stores its own batches (``GroupCommitter``), and the
append function's table lock makes positions visible in order, so a read after the last
position seen misses nothing that commits later.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection

from infra.eventstore.store import EventStore

log = logging.getLogger(__name__)

INTERVAL = 0.005  # seconds between reads while appending
IDLE_AFTER = 1.0  # seconds without an append after which the follower stops reading
BATCH = 1000  # events per read
RETRY_AFTER = 1.0  # seconds after a failed read


@dataclass
class Following:
    task: "asyncio.Task[None] | None" = None
    last_append: float = 0.0
    connection: "AsyncConnection[dict[str, Any]] | None" = None
    position: int | None = None  # None: start from the head of the log


class CacheFollower:
    """Follows the log for one store's cache; each event loop keeps its own ``Following``
    (the ``GroupCommitter``'s queue of that loop holds it)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def appending(self, following: "Following") -> None:
        """Called by each append of the running loop: keeps its follower reading."""
        following.last_append = time.monotonic()
        if following.task is None or following.task.done():
            following.task = asyncio.get_running_loop().create_task(
                self._follow(following), name="sfa-cache-follower")

    async def _follow(self, following: Following) -> None:
        while time.monotonic() - following.last_append < IDLE_AFTER:
            try:
                await self.read_once(following)
            except psycopg.Error as error:
                log.warning("following the log for the state cache failed: %s", error)
                await self._drop(following)
                await asyncio.sleep(RETRY_AFTER)
                continue
            await asyncio.sleep(INTERVAL)
        following.position = None  # idle: the next append starts at the head of the log

    async def read_once(self, following: Following) -> None:
        """Folds what was stored since the last read into the cache (all of it, a batch at a
        time)."""
        if following.connection is None or following.connection.closed:
            following.connection = await self.store.connect_async()
        if following.position is None:
            following.position = await self.store.max_position_async(following.connection)
        read = BATCH
        while read == BATCH:
            following.position, read = await self.store.apply_stored_after_async(
                following.connection, following.position, BATCH)

    @staticmethod
    async def _drop(following: Following) -> None:
        if following.connection is not None:
            await following.connection.close()
        following.connection, following.position = None, None

    async def aclose(self, following: "Following") -> None:
        """Stops a loop's follower and closes its connection (the app's shutdown)."""
        if following.task is not None:
            following.task.cancel()
            try:
                await following.task
            except asyncio.CancelledError:
                pass
        await self._drop(following)
