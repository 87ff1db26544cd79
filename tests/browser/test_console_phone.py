"""Every console page at phone width (390x844) in chromium, on the demo data: the page itself
never scrolls sideways (a wide table scrolls inside its own box, the page does not), its text
is no smaller than 12 px, and each page gets a picture of its first screen,
``console-<page>-phone.png``.

The pages are ``site.PAGES`` (a page added later is checked without a change here) plus the
two a list leads to: a deal and an account."""

from pathlib import Path
from typing import Any

import pytest

from api.console import site
from tests.browser.conftest import OfflinePage
from tests.browser.test_console import PHONE, api_get, assert_stayed_on_this_machine, new_token, sign_in
from tests.integration.serve import Server

SMALLEST_TEXT_PX = 12.0
# what is wider than the screen, and where: an element's right edge past the viewport's,
# unless an ancestor that itself fits on the screen clips or scrolls it
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const fits = (el) => el.getBoundingClientRect().right <= width + 1;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && fits(a)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')]
    .filter((el) => !fits(el) && !clipped(el))
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
                 + `${el.className && typeof el.className === 'string' ? '.' + el.className : ''}`
                 + ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
}"""
SMALLEST_TEXT = """() => Math.min(...[...document.body.querySelectorAll('*')]
  .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
                  && el.getClientRects().length > 0)
  .map((el) => parseFloat(getComputedStyle(el).fontSize)))"""


def _first(server: Server, token: str, path: str) -> dict[str, Any]:
    items = api_get(server, token, path, limit=1)["items"]
    assert items, f"the demo has no record at {path}"
    return dict(items[0])


def _addresses(server: Server, token: str) -> list[tuple[str, str]]:
    """(picture name, path) of every page, and of a deal's and an account's page."""
    pages = [(p.PAGE.path.strip("/"), f"/console{p.PAGE.path}") for p in site.PAGES]
    deal = _first(server, token, "/v1/opportunities")
    account = _first(server, token, "/v1/accounts")
    return [*pages, ("deal", f"/console/deals/{deal['id']}"),
            ("customer", f"/console/customers/{account['id']}")]


@pytest.mark.parametrize("index", range(len(site.PAGES) + 2))
def test_every_page_reads_on_a_phone_without_sideways_scrolling(
        demo_server: Server, offline_page: OfflinePage, screenshots: Path, index: int):
    token = new_token(demo_server, "admin")
    name, path = _addresses(demo_server, token)[index]
    page = offline_page.page
    sign_in(page, demo_server, token)
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    answer = page.goto(f"{demo_server.base}{path}")
    page.screenshot(path=screenshots / f"console-{name}-phone.png")  # the first screen

    assert answer is not None and answer.status == 200, path
    assert page.evaluate(OVERFLOWING) == [], path
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    assert page.evaluate(SMALLEST_TEXT) >= SMALLEST_TEXT_PX, path
    assert_stayed_on_this_machine(offline_page)
