"""HTTP: an auditor's timeline as of an instant, from the event store, with chain hashes."""

import time

from pydantic_core import to_jsonable_python

from infra.readside.queries.timeline import _account, _opportunity
from tests.audit.world import build, downloaded


def test_an_auditor_replays_the_account_as_of_an_instant_with_sealed_hashes(api):
    answers = []

    def record(instant, account, deal, order):
        answers.append((instant, to_jsonable_python(
            (_account(api.sales.accounts.get(account)),
             [_opportunity(api.sales.opportunities.get(deal))]))))

    world = build(api.sales, record)
    auditor, path = api.token("auditor"), f"/v1/accounts/{world.account}/timeline"
    for instant, (account, opportunities) in answers:
        found = api.client.get(path, headers=auditor, params={"as_of": instant.isoformat()})
        assert found.status_code == 200, found.text
        assert found.json()["state"]["account"] == account
        assert found.json()["state"]["opportunities"] == opportunities
    deadline = time.monotonic() + 20
    while True:  # the API's follow loop seals the new events
        events = api.client.get(path, headers=auditor).json()["events"]
        if all(e["hash"] for e in events) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert all(e["hash"] and e["previous_hash"] for e in events)
    assert world.other_account not in {e["stream_id"] for e in events}
    rep_of_other_team = api.token("rep", world.ann)
    assert api.client.get(f"/v1/accounts/{world.other_account}/timeline",
                          headers=rep_of_other_team).status_code == 404


def test_an_auditor_downloads_the_accounts_export_and_it_verifies(api, tmp_path):
    world = build(api.sales)
    path = f"/v1/accounts/{world.account}/export"
    answer = api.client.get(path, headers=api.token("auditor"))
    manifest, rows = downloaded(answer, tmp_path, world.account)
    assert answer.headers["content-type"] == "application/x-ndjson"
    assert answer.headers["x-manifest-digest"] == manifest["manifest_digest"]
    assert manifest["account_id"] == world.account
    events = api.client.get(f"/v1/accounts/{world.account}/timeline",
                            headers=api.token("auditor")).json()["events"]
    assert [r["position"] for r in rows] == [e["position"] for e in events]  # sealed first
    assert [r["hash"] for r in rows] == [e["hash"] for e in events]
    assert world.other_deal not in {r["stream_id"] for r in rows}


def test_only_auditors_and_admins_export_and_others_learn_nothing_more(api):
    world = build(api.sales)
    path = f"/v1/accounts/{world.account}/export"
    assert api.client.get(path, headers=api.token("admin")).status_code == 200
    for role in ("integrator",):
        refused = api.client.get(path, headers=api.token(role))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    owner = api.client.get(path, headers=api.token("rep", world.ann))
    assert (owner.status_code, owner.json()["code"]) == (403, "forbidden")
    stranger = api.client.get(f"/v1/accounts/{world.other_account}/export",
                              headers=api.token("rep", world.ann))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    unknown = api.client.get(f"/v1/accounts/{world.lead}/export", headers=api.token("auditor"))
    assert unknown.status_code == 404
