"""The Customer pages over HTTP (SQLite and PostgreSQL): an auditor finds a customer, sees
the events and state ``GET /v1/accounts/{id}/timeline`` answers the same token, now and as of
an earlier instant chosen in the page's form, each event's chain hash, and downloads the
export, which verifies; a rep sees their own customer without the export, and nobody else's."""

import re
from decimal import Decimal
from html import escape

from api.console.formatting import money
from tests.api.query_world import get
from tests.api.test_console_session import page, sign_in, token_of
from tests.audit.world import build, downloaded
from tests.conftest import Api

EARLIER = "2026-11-08T12:00"  # the deal in proposal, the account not graded yet


def positions(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr data-position="(\d+)"', html)]


def cell(html: str, figure: str) -> str:
    found = re.search(rf'data-figure="{figure}" data-value="([^"]*)"', html)
    assert found, figure
    return found.group(1)


def test_an_auditor_sees_the_timeline_now_and_as_of_an_earlier_instant(api: Api):
    w = build(api.sales)
    auditor = token_of(api, "auditor")
    bearer = {"Authorization": f"Bearer {auditor}"}
    path = f"/v1/accounts/{w.account}/timeline"
    now, before = get(api, path, bearer), get(api, path, bearer, as_of=EARLIER)
    listed = get(api, "/v1/accounts", bearer, q="acme")
    sign_in(api.client, auditor)

    found = page(api.client, "/console/customers?q=acme")
    current = page(api.client, f"/console/customers/{w.account}")
    older = page(api.client, f"/console/customers/{w.account}?as_of={EARLIER}")

    assert found.status_code == current.status_code == older.status_code == 200
    assert [a["id"] for a in listed["items"]] == [w.account]
    assert f'href="/console/customers/{w.account}"' in found.text and "Beta" not in found.text
    assert positions(current.text) == [e["position"] for e in now["events"]]
    assert positions(older.text) == [e["position"] for e in before["events"]]
    assert 0 < len(before["events"]) < len(now["events"])
    assert (cell(current.text, "stage"), cell(older.text, "stage")) == ("closed_won", "proposal")
    assert [o["stage"] for o in before["state"]["opportunities"]] == ["proposal"]
    assert f'value="{EARLIER}"' in older.text
    for event in now["events"]:
        if event["hash"]:
            assert f'title="{event["hash"]}">{event["hash"][:12]}…</code>' in current.text
    assert f'href="/console/customers/{w.account}/export.jsonl"' in current.text
    assert now["state"]["orders"]  # each order's total in its own currency
    for order in now["state"]["orders"]:
        total = money(Decimal(order["total"]), order["currency"])
        assert f'data-currency="{order["currency"]}">{escape(total)}</td>' in current.text


def test_the_export_link_downloads_an_export_that_verifies(api: Api, tmp_path):
    w = build(api.sales)
    sign_in(api.client, token_of(api, "auditor"))

    answer = page(api.client, f"/console/customers/{w.account}/export.jsonl")

    manifest, rows = downloaded(answer, tmp_path, w.account)
    assert manifest["account_id"] == w.account and manifest["count"] == len(rows) > 0


def test_a_rep_sees_their_customer_without_the_export_and_nobody_elses(api: Api):
    w = build(api.sales)
    ann = token_of(api, "rep", w.ann)
    theirs = get(api, "/v1/accounts", {"Authorization": f"Bearer {ann}"})  # models caught up
    sign_in(api.client, ann)

    mine = page(api.client, f"/console/customers/{w.account}")
    download = page(api.client, f"/console/customers/{w.account}/export.jsonl")
    other = page(api.client, f"/console/customers/{w.other_account}")
    listed = page(api.client, "/console/customers")

    assert mine.status_code == 200 and "export.jsonl" not in mine.text
    assert download.status_code == 403 and "<h1>" in download.text
    assert other.status_code == 404
    assert [a["name"] for a in theirs["items"]] == ["Acme"]
    assert "Acme" in listed.text and "Beta" not in listed.text
    assert page(api.client, f"/console/customers/{w.account}?as_of=yesterday").status_code == 422
