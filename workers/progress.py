"""Progress of long runs: the bar of runs over the log (rebuilds, replays: events/s and time
left), and a counted line for loads (the demo data)."""

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


Count = Callable[[int], None]  # how many of the total are done


@contextmanager
def counted_progress(label: str, total: int, unit: str, console: Console,
                     detail: Callable[[], str] = lambda: "") -> Iterator[Count]:
    """``label: done/total unit`` and ``detail()``: on a terminal one line rewritten in place
    (gone at the end: the caller says what was done); elsewhere (a log, a pipe) a plain line
    at the start and at each further tenth of the total."""
    def line(done: int) -> str:
        extra = detail()
        return f"{label}: {done:,}/{total:,} {unit}" + (f", {extra}" if extra else "")

    if console.is_terminal:
        with console.status(line(0)) as status:
            yield lambda done: status.update(line(done))
        return
    printed = [-total]  # nothing yet: the first count prints

    def note(done: int) -> None:
        if done - printed[0] >= total / 10 or done == total != printed[0]:
            printed[0] = done
            console.print(line(done), highlight=False, soft_wrap=True)

    yield note
