"""``sfa serve --workers 2`` as a real process group on a free port of 18200-18299, for
tests of the read side under the real process layout (a projector child beside the API)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from infra.access.tokens import TokenStore
from infra.settings import Settings
from infra.sql.database import Database

ROOT = Path(__file__).resolve().parents[2]


def xdist_worker() -> int:
    """This process's number among pytest-xdist's workers (0 without xdist)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


# 25 ports per xdist worker, so that two workers never probe the same port at once
PORTS = range(18200 + 25 * xdist_worker(), 18225 + 25 * xdist_worker())


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def cli(url: str, *args: str, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``sfa ARGS`` on the store of ``url`` (and any further settings in ``env``)."""
    return subprocess.run([sys.executable, "-m", "workers.cli", *args],
                          env={**_env(url), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def _env(url: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "SFA_DATABASE_URL": url, "PYTHONPATH": path, "COLUMNS": "200"}


class Server:
    def __init__(self, url: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.base, self.process, self.log = url, f"http://127.0.0.1:{port}", process, log
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def admin(self) -> dict[str, str]:
        db = Database(Settings(database_url=self.url))
        token = TokenStore(db).create("admin", None)
        db.close()
        return {"Authorization": f"Bearer {token}"}

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            answer = self.http.get("/healthz")
            return answer.status_code, answer.json()
        except httpx.HTTPError as error:
            return 0, {"error": str(error)}

    def until(self, check: Callable[[int, dict[str, Any]], bool], seconds: float) -> dict[str, Any]:
        """Polls /healthz until ``check(status, body)``; fails naming the last answer."""
        deadline, last = time.monotonic() + seconds, (0, {})
        while time.monotonic() < deadline:
            last = self.health()
            if check(*last):
                return last[1]
            time.sleep(0.2)
        raise AssertionError(f"not within {seconds} s; last /healthz: {last}")

    def projector_pid(self) -> int:
        body = self.until(lambda status, b: bool(b.get("projector", {}).get("alive")), 60)
        return int(body["projector"]["pid"])

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(url: str, tmp_path: Path, workers: int = 2,
            env: dict[str, str] | None = None) -> Iterator[Server]:
    """``sfa serve`` on a free port (further settings in ``env``), stopped afterwards."""
    port = free_port()
    with running(url, tmp_path / f"serve-{port}.log", env, "serve", "--workers", str(workers),
                 "--port", str(port)) as (process, log):
        server = Server(url, port, process, log)
        try:
            yield server
        finally:
            server.http.close()


@contextmanager
def running(url: str, log: Path, env: dict[str, str] | None,
            *args: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``sfa ARGS`` as a process group of its own, its output in ``log``; ended with SIGTERM
    (SIGKILL if it does not end within 30 s)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", *args], env={**_env(url), **(env or {})},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
