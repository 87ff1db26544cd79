"""One process's start-up, released at a signal: ``python -m tests.integration.starter URL DIR N``
opens everything an API worker, a projector and a relay make tables for, once the file
``DIR/go`` exists, after writing ``DIR/ready-N``. See ``test_concurrent_start``."""

import sys
import time
from pathlib import Path

from infra.bootstrap import Root
from infra.settings import Settings
from infra.stream.relay_positions import RelayPositions


def start_everything(url: str) -> None:
    root = Root(Settings(database_url=url))
    try:
        root.sales  # noqa: B018 — the event store and what the command side makes
        root.tokens.reconcile()  # as the API's lifespan does
        root.idempotency  # noqa: B018
        root.serving  # noqa: B018
        root.read_models().close()  # the read side's registry and the audit sealer's tables
        with root.db.reader() as conn:
            RelayPositions(root.db).ensure_table(conn)
    finally:
        root.close()


def main(url: str, signals: Path, number: str) -> None:
    (signals / f"ready-{number}").touch()
    go = signals / "go"
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)
    start_everything(url)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
