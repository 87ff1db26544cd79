"""HTTP: an auditor's timeline as of an instant, from the event store, with chain hashes."""

import time

from pydantic_core import to_jsonable_python

from infra.readside.queries.timeline import _account, _opportunity
from tests.audit.world import build


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
