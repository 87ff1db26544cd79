"""Browser tests: Debian's chromium, driven by Playwright, against a real ``sfa serve``.

Shared by every page test: ``browser`` (one headless chromium per test module: Playwright's
synchronous API keeps an asyncio loop running while it is open, and later tests in the same
process call ``asyncio.run``, which refuses to start beside it),
``live_server`` (``sfa serve`` on SQLite, one per xdist worker), ``demo_server`` (the same
on a store loaded with ``sfa demo``, its read models caught up: the console's pages),
``offline_page`` (a tab at 1366x768 that reaches this machine only: a request anywhere else
is aborted and noted, and so is every script error) and ``screenshots`` (where pictures go:
a temporary folder, or ``SFA_SCREENSHOT_DIR``, e.g. ``docs/screenshots`` to refresh the
README's pictures).

The browser is the system's chromium (``apt-get install -y chromium``; ``.ci/run`` installs
it). ``playwright install`` downloads a browser of its own and fails offline: never needed.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, ViewportSize, sync_playwright

from infra.bootstrap import event_store
from infra.settings import Settings
from tests.integration.serve import Server, cli, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]  # root has no sandbox; a server has no GPU
SCREEN: ViewportSize = {"width": 1366, "height": 768}
THIS_MACHINE = frozenset({"127.0.0.1", "localhost"})
STARTUP_SECONDS = 120  # a loaded 2-core machine starts a server slowly
PAGE_SECONDS = 60  # and renders a page of 70 operations slowly


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM}: "
                    "run `apt-get install -y chromium` (as root; .ci/run does it)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``sfa serve`` (one worker, projectors inside) on a new SQLite store, up and healthy."""
    folder = tmp_path_factory.mktemp("live-server")
    url = f"sqlite:///{folder}/sfa.db"
    event_store(Settings(database_url=url)).close()  # serve opens an existing store only
    with _served(url, folder) as server:
        yield server


@contextmanager
def _served(url: str, folder: Path) -> Iterator[Server]:
    with serving(url, folder, workers=1) as server:
        try:
            server.until(lambda status, _: status == 200, STARTUP_SECONDS)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{server.log_text()}") from None
        yield server


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``sfa serve`` on a SQLite store loaded with ``sfa demo`` (small: 400 leads), up and
    healthy, every read model caught up with the last event: pages and the JSON API then
    answer from the same positions."""
    folder = tmp_path_factory.mktemp("demo-server")
    url = f"sqlite:///{folder}/sfa.db"
    loaded = cli(url, "demo")
    assert loaded.returncode == 0, loaded.stderr
    with _served(url, folder) as server:
        server.until(lambda status, body: status == 200 and all(
            model["lag_events"] == 0 for model in body["projections"].values()), STARTUP_SECONDS)
        yield server


@dataclass
class OfflinePage:
    """A tab that may reach this machine only."""

    page: Page
    outside: list[str] = field(default_factory=list)  # requests to other hosts, each aborted
    errors: list[str] = field(default_factory=list)  # uncaught exceptions and console errors

    def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in THIS_MACHINE:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[OfflinePage]:
    context = browser.new_context(viewport=SCREEN)
    context.set_default_timeout(PAGE_SECONDS * 1000)
    offline = OfflinePage(context.new_page())
    context.route("**/*", offline.route)
    offline.page.on("console", offline.console)
    offline.page.on("pageerror", lambda error: offline.errors.append(f"uncaught: {error}"))
    try:
        yield offline
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SFA_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
