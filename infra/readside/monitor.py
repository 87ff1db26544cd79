"""One long-lived look at the read side for ``/healthz`` and ``/metrics``.

Opening a ``ReadModels`` costs a connection and a registry check; a health probe every few
seconds and every scrape would pay it each time. The monitor keeps one open and lends it to
one thread at a time (a connection must not serve two threads at once). A caller that cannot
have it within ``wait`` seconds (an earlier look still waits for a frozen database) gets
``DatabaseUnavailableError`` instead of queueing behind it, so a health check stays within
its bound and no pile of threads waits on the lock. A look that fails drops the handle: the
next one opens afresh (a connection the server dropped is not handed out again). Its
errors are ours (``DatabaseUnavailableError`` for a bounded wait that ran out), as any
adapter's.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

from infra.errors import DatabaseUnavailableError
from infra.readside.read_models import ReadModels
from infra.sql.failures import translating

T = TypeVar("T")


class Monitor:
    def __init__(self, open_models: Callable[[], ReadModels]) -> None:
        self._open = open_models
        self._models: ReadModels | None = None
        self._lock = threading.Lock()

    def look(self, question: Callable[[ReadModels], T], wait: float) -> T:
        """``question`` asked of the shared read models, by one thread at a time."""
        if not self._lock.acquire(timeout=wait):
            raise DatabaseUnavailableError(
                "an earlier look at the read models still waits for the database",
                "MonitorBusy")
        try:
            with translating():  # a driver's error leaves as ours (infra.sql.failures)
                if self._models is None:
                    self._models = self._open()
                try:
                    return question(self._models)
                except Exception:
                    self._drop()
                    raise
        finally:
            self._lock.release()

    def _drop(self) -> None:
        models, self._models = self._models, None
        if models is not None:
            try:
                models.close()
            except Exception:  # noqa: BLE001, S110 — a broken connection may not close cleanly
                pass

    def close(self, wait: float = 1.0) -> None:
        """Closes the handle, unless a look still holds it after ``wait`` seconds (it is
        stuck on the database: the process ends anyway)."""
        if self._lock.acquire(timeout=wait):
            try:
                self._drop()
            finally:
                self._lock.release()
