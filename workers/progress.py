"""The progress bar of long runs over the log (rebuilds, replays): events/s and time left."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

Tick = Callable[[int, int], None]  # (position reached, head of the log)


@contextmanager
def events_progress(description: str, start: int = 0) -> Iterator[Tick]:
    """A bar on stderr from position ``start`` to the head; yields the tick to call."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rate]} events/s"), TimeRemainingColumn())
    started = time.monotonic()
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=None, rate="-")

        def tick(position: int, head: int) -> None:
            rate = (position - start) / max(time.monotonic() - started, 1e-6)
            bar.update(task, completed=position - start, total=max(head - start, 1),
                       rate=f"{rate:,.0f}")

        yield tick
