"""``/metrics`` of a real ``sfa serve --workers 2``: every scrape shows the sum over both
workers, so counters never go back and equal the requests sent."""

import os
import re
import subprocess
import sys
import time

import httpx

from infra.bootstrap import event_store
from infra.settings import Settings
from tests.integration.serve import xdist_worker

PORT = 18611 + xdist_worker()  # one server per xdist worker
HEALTHZ = re.compile(r'sfa_http_requests_total\{method="GET",route="/healthz",status="\d+"\} (\S+)')


def _served(url: str, tmp_path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SFA_DATABASE_URL": url}
    log = (tmp_path / "serve.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "serve", "--port", str(PORT),
                             "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)


def _healthz_count(text: str) -> float:
    return sum(float(n) for n in HEALTHZ.findall(text))


def _get(path: str) -> httpx.Response:
    """A new connection per request, so the kernel hands them to either worker."""
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:
        return client.get(path, headers={"Connection": "close"})


def test_counters_sum_both_workers_and_only_grow(postgres_url, tmp_path):
    event_store(Settings(database_url=postgres_url)).close()  # an existing store
    server = _served(postgres_url, tmp_path)
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts workers slowly
        while (tmp_path / "serve.log").read_text().count("Application startup complete") < 2:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "sfa serve did not start two workers"
            time.sleep(0.3)
        sent, seen = 0, []
        for _ in range(4):
            for _ in range(15):
                _get("/healthz")
                sent += 1
            scrapes = [_healthz_count(_get("/metrics").text) for _ in range(4)]
            assert scrapes == [sent] * 4, (sent, scrapes)
            seen.extend(scrapes)
        assert seen == sorted(seen) and seen[-1] == 60
        workers = {line for line in (tmp_path / "serve.log").read_text().splitlines()
                   if "Started server process" in line}
        assert len(workers) >= 2
    finally:
        server.terminate()
        server.wait(timeout=30)
