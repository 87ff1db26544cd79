"""HTTP: opportunities — success, each error code, visibility, refused commands write nothing,
and parallel stage changes on one opportunity (If-Match: one winner; without: no lost update)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.opportunity import OpportunityStageChanged
from infra.settings import Settings
from tests.api.test_accounts import (
    SOON,
    World,
    get,
    open_account,
    refused,
    with_routers,
    world,
)
from tests.conftest import Api, ctx

OPPORTUNITY = {"name": "Gateway roll-out", "amount": "48000", "expected_close": "2027-03-31",
               "products": ["Gateway"]}


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    from api.app import create_app

    app = with_routers(create_app(Settings(database_url=database_url, pool_size=8),
                                  run_projectors=True))
    with TestClient(app) as client:
        yield Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]


def open_opportunity(api: Api, headers: dict[str, str], account_id: str, owner_id: str,
                     **fields: object) -> str:
    body = {**OPPORTUNITY, "account_id": account_id, "owner_id": owner_id, **fields}
    answer = api.client.post("/v1/opportunities", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def read(api: Api, opportunity_id: str, headers: dict[str, str]) -> dict:
    answer = api.client.get(f"/v1/opportunities/{opportunity_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def anns_deal(api: Api) -> tuple[World, dict[str, str], str, str]:
    """The world, Ann's headers, her account and an opportunity on it."""
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    return w, ann, account, open_opportunity(api, ann, account, w.ann)


def test_a_rep_opens_an_opportunity_on_their_account_and_reads_it(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)

    answer = api.client.post("/v1/opportunities", json={
        **OPPORTUNITY, "account_id": account, "owner_id": w.ann, "currency": "chf"}, headers=ann)

    assert answer.status_code == 201
    assert set(answer.json()) == {"id", "position"}
    assert answer.json()["position"] == api.events()
    assert read(api, answer.json()["id"], ann) == {
        "id": answer.json()["id"], "account_id": account, "owner_id": w.ann,
        "name": "Gateway roll-out", "amount": "48000.00", "currency": "CHF",
        "expected_close": "2027-03-31", "stage": "prospecting", "probability": 10, "open": True,
        "products": ["Gateway"], "quotes": [], "handover_status": None, "follow_ups": [],
        "version": 1}


def test_a_manager_opens_for_their_team_on_a_team_account(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)

    deal = open_opportunity(api, w.as_rep(api, w.mia), account, w.bob)

    body = read(api, deal, w.as_rep(api, w.bob))
    assert (body["owner_id"], body["account_id"], body["currency"]) == (w.bob, account, "EUR")


def test_opening_refusals_write_nothing(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    souths = open_account(api, w.as_rep(api, w.sue), w.sue)
    api.client.post(f"/v1/reps/{w.bob}/departure", json={"successor_id": w.ann}, headers=w.admin)
    before = api.events()

    def post(headers: dict[str, str] | None, **fields: object):
        body = {**OPPORTUNITY, "account_id": account, "owner_id": w.ann, **fields}
        return api.client.post("/v1/opportunities", json=body, headers=headers)

    assert post(None).status_code == 401
    refused(post(api.token("auditor")), 403, "forbidden")
    refused(post(api.token("integrator")), 403, "forbidden")
    refused(post(w.as_rep(api, w.sue), owner_id=w.sue), 404, "not_found")  # account not visible
    refused(post(w.as_rep(api, w.mia), account_id=souths, owner_id=w.mia), 404, "not_found")
    refused(post(w.admin, account_id=str(uuid4())), 404, "not_found")
    refused(post(w.admin, account_id=w.ann), 404, "not_found")  # a rep's id, not an account's
    # an owner the caller may not name is refused exactly like an unknown one
    refused(post(w.as_rep(api, w.ann), owner_id=w.sue), 404, "not_found")
    refused(post(w.as_rep(api, w.mia), owner_id=w.sue), 404, "not_found")
    refused(post(w.admin, owner_id=str(uuid4())), 404, "not_found")
    refused(post(w.admin, owner_id=w.bob), 409, "rep_departed")
    refused(post(w.admin, amount="0", currency="EURO", expected_close="soon", account_id="x"),
            422, "invalid_input", ["account_id", "amount", "currency", "expected_close"])
    refused(post(w.admin, name=" "), 422, "invalid_input", ["name"])
    assert api.events() == before


def test_visibility_rep_manager_auditor(api: Api):
    w, ann, _, deal = anns_deal(api)
    stage = f"/v1/opportunities/{deal}/stage"
    before = api.events()

    for outsider in (w.as_rep(api, w.bob), w.as_rep(api, w.sue), w.as_rep(api, w.sam)):
        refused(api.client.get(f"/v1/opportunities/{deal}", headers=outsider), 404, "not_found")
        refused(api.client.post(stage, json={"stage": "proposal"}, headers=outsider),
                404, "not_found")
    for reader in ("auditor", "integrator"):
        assert read(api, deal, api.token(reader))["owner_id"] == w.ann
        refused(api.client.post(stage, json={"stage": "proposal"}, headers=api.token(reader)),
                403, "forbidden")
    refused(api.client.get(f"/v1/opportunities/{uuid4()}", headers=w.admin), 404, "not_found")
    refused(api.client.get(f"/v1/opportunities/{w.ann}", headers=w.admin), 404, "not_found")
    refused(api.client.get("/v1/opportunities/x", headers=w.admin), 422, "invalid_input",
            ["opportunity_id"])
    refused(api.client.post(f"/v1/opportunities/{uuid4()}/stage", json={"stage": "proposal"},
                            headers=w.admin), 404, "not_found")
    assert api.client.get(f"/v1/opportunities/{deal}").status_code == 401
    assert api.events() == before

    by_manager = api.client.post(stage, json={"stage": "proposal"}, headers=w.as_rep(api, w.mia))
    assert by_manager.json() == {"position": api.events(), "version": 2, "stage": "proposal",
                                 "probability": 50}


def test_interactions_and_follow_ups_on_a_deal_also_after_it_closed(api: Api):
    w, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}"

    logged = api.client.post(f"{url}/interactions", json={"kind": "meeting", "notes": "demo"},
                             headers=ann)
    assert logged.json() == {"position": api.events(), "version": 2}
    scheduled = api.client.post(f"{url}/follow-ups", json={"due": SOON, "note": "send offer",
                                                           "follow_up_id": "f-1"}, headers=ann)
    assert scheduled.json() == {"position": api.events(), "version": 3}
    assert read(api, deal, ann)["follow_ups"] == [
        {"follow_up_id": "f-1", "due": SOON, "note": "send offer", "done": False}]
    before = api.events()
    refused(api.client.post(f"{url}/interactions", json={"kind": "fax"}, headers=ann), 422,
            "invalid_input", ["kind"])
    refused(api.client.post(f"{url}/interactions", json={"kind": "call"},
                            headers=w.as_rep(api, w.bob)), 404, "not_found")
    refused(api.client.post(f"{url}/follow-ups", json={"due": SOON},
                            headers=api.token("auditor")), 403, "forbidden")
    assert api.events() == before

    api.client.post(f"{url}/stage", json={"stage": "closed_lost", "reason": "budget"},
                    headers=ann)
    before = api.events()
    refused(api.client.post(f"{url}/interactions", json={"kind": "call"}, headers=ann), 409,
            "opportunity_closed")
    assert api.events() == before
    done = api.client.post(f"{url}/follow-ups/f-1/complete", json={"outcome": "moot"},
                           headers=ann)
    assert done.status_code == 200 and read(api, deal, ann)["follow_ups"][0]["done"] is True


def test_stage_changes_if_match_and_closing(api: Api):
    w, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/stage"

    moved = api.client.post(url, json={"stage": "qualification"}, headers={**ann, "If-Match": "1"})
    assert moved.json() == {"position": api.events(), "version": 2, "stage": "qualification",
                            "probability": 25}
    before = api.events()
    refused(api.client.post(url, json={"stage": "proposal"}, headers={**ann, "If-Match": "1"}),
            409, "version_conflict")
    refused(api.client.post(url, json={"stage": "won"}, headers=ann), 422, "invalid_input",
            ["stage"])
    refused(api.client.post(url, json={"stage": "proposal"}, headers={**ann, "If-Match": "two"}),
            422, "invalid_input")
    for stranger in ({}, {"Authorization": "Bearer nope"}):  # no token: 401 before anything else
        for bad in ({"If-Match": "two"}, {"X-Correlation-Id": "x" * 201}):
            refused(api.client.post(url, json={"stage": "won"}, headers={**stranger, **bad}),
                    401, "unauthorized")
    assert api.events() == before

    lost = api.client.post(url, json={"stage": "closed_lost", "reason": "price",
                                      "competitor": "Südwind AG"}, headers={**ann, "If-Match": "2"})
    assert lost.json() == {"position": api.events(), "version": 4, "stage": "closed_lost",
                           "probability": 0}  # StageChanged + Lost
    body = read(api, deal, ann)
    assert (body["stage"], body["probability"], body["open"]) == ("closed_lost", 0, False)
    before = api.events()
    for path, payload in (("stage", {"stage": "proposal"}), ("amount", {"amount": "1"}),
                          ("close-date", {"expected_close": "2027-06-30"}),
                          ("evaluation", {"budget": 1, "need": 1, "authority": 1,
                                          "competition": 1})):
        refused(api.client.post(f"/v1/opportunities/{deal}/{path}", json=payload, headers=ann),
                409, "opportunity_closed")
    assert api.events() == before


def test_won_closes_too(api: Api):
    _, ann, _, deal = anns_deal(api)
    won = api.client.post(f"/v1/opportunities/{deal}/stage", json={"stage": "closed_won"},
                          headers=ann)
    assert won.json()["probability"] == 100 and won.json()["version"] == 3
    assert read(api, deal, ann)["stage"] == "closed_won"
    assert api.sales.store.counts_by_type().get("OpportunityWon") == 1


def test_evaluation(api: Api):
    w, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/evaluation"

    scored = api.client.post(url, json={"budget": 8, "need": 7, "authority": 6,
                                        "competition": 3}, headers=ann)

    assert scored.json() == {"position": api.events(), "version": 2, "priority": "high",
                             "win_probability": 69}
    before = api.events()
    refused(api.client.post(url, json={"budget": 11, "need": -1, "authority": 5}, headers=ann),
            422, "invalid_input", ["budget", "competition", "need"])
    refused(api.client.post(url, json={"budget": 1, "need": 1, "authority": 1, "competition": 1},
                            headers=w.as_rep(api, w.bob)), 404, "not_found")
    refused(api.client.post(url, json={"budget": 1, "need": 1, "authority": 1, "competition": 1},
                            headers=api.token("auditor")), 403, "forbidden")
    assert api.events() == before


def test_amount_and_close_date(api: Api):
    w, ann, _, deal = anns_deal(api)
    base = f"/v1/opportunities/{deal}"

    amount = api.client.post(f"{base}/amount", json={"amount": "52000.5"},
                             headers={**ann, "If-Match": "1"})
    close = api.client.post(f"{base}/close-date", json={"expected_close": "2027-04-30"},
                            headers=ann)

    assert amount.json() == {"position": api.events() - 1, "version": 2}
    assert close.json() == {"position": api.events(), "version": 3}
    body = read(api, deal, ann)
    assert (body["amount"], body["expected_close"]) == ("52000.50", "2027-04-30")
    before = api.events()
    refused(api.client.post(f"{base}/amount", json={"amount": "100"},
                            headers={**ann, "If-Match": "1"}), 409, "version_conflict")
    refused(api.client.post(f"{base}/amount", json={"amount": "0"}, headers=ann),
            422, "invalid_input", ["amount"])
    refused(api.client.post(f"{base}/amount", json={"amount": "1.234"}, headers=ann),
            422, "invalid_input", ["amount"])
    refused(api.client.post(f"{base}/close-date", json={"expected_close": "2027-13-01"},
                            headers=ann), 422, "invalid_input", ["expected_close"])
    refused(api.client.post(f"{base}/amount", json={"amount": "100"},
                            headers=w.as_rep(api, w.sue)), 404, "not_found")
    refused(api.client.post(f"{base}/close-date", json={"expected_close": "2027-05-01"},
                            headers=api.token("integrator")), 403, "forbidden")
    assert api.events() == before


def test_quotes_are_priced_by_grade_and_volume(api: Api):
    w, ann, account, deal = anns_deal(api)
    api.sales.stock.register(ctx(), sku="GW-100", name="Gateway", base_price=Decimal("100"))
    url = f"/v1/opportunities/{deal}/quotes"
    body = {"lines": [{"sku": "GW-100", "quantity": 12}], "valid_until": "2027-01-31"}

    by_volume = api.client.post(url, json={**body, "quote_id": "q-1"}, headers=ann)
    api.client.post(f"/v1/accounts/{account}/grade", json={"grade": "A"}, headers=ann)
    by_grade = api.client.post(url, json=body, headers=ann)

    assert by_volume.status_code == by_grade.status_code == 201
    assert by_volume.json() == {
        "id": "q-1", "position": api.events() - 2, "version": 2, "total": "1164.00",
        "currency": "EUR", "lines": [{"sku": "GW-100", "quantity": 12, "list_price": "100.00", "unit_price": "97.00",
                   "price_rule": "base_price+volume_break:10+(-3%)", "line_total": "1164.00"}]}
    assert by_grade.json()["lines"][0]["price_rule"] == "base_price+grade_discount:A(-8%)"
    assert by_grade.json()["total"] == "1104.00" and by_grade.json()["version"] == 3
    quotes = read(api, deal, ann)["quotes"]
    assert quotes == [{"quote_id": "q-1", "total": "1164.00"},
                      {"quote_id": by_grade.json()["id"], "total": "1104.00"}]


def test_quote_refusals_write_nothing(api: Api):
    w, ann, _, deal = anns_deal(api)
    api.sales.stock.register(ctx(), sku="GW-100", name="Gateway", base_price=Decimal("100"))
    url = f"/v1/opportunities/{deal}/quotes"
    line = {"sku": "GW-100", "quantity": 1}
    api.client.post(url, json={"quote_id": "q-1", "lines": [line], "valid_until": "2027-01-31"},
                    headers=ann)
    before = api.events()

    def post(headers: dict[str, str], **fields: object):
        return api.client.post(url, json={"lines": [line], "valid_until": "2027-01-31", **fields},
                               headers=headers)

    refused(post(ann, quote_id="q-1"), 409, "already_exists")
    refused(post(ann, lines=[{"sku": "NOPE", "quantity": 1}]), 404, "not_found")
    refused(post(ann, lines=[]), 422, "invalid_input", ["lines"])
    refused(post(ann, lines=[{"sku": "GW-100", "quantity": 0}], valid_until="x"), 422,
            "invalid_input", ["lines.0.quantity", "valid_until"])
    refused(post(w.as_rep(api, w.bob)), 404, "not_found")
    refused(post(api.token("auditor")), 403, "forbidden")
    assert api.events() == before


def test_owner_change_by_a_manager_in_their_team(api: Api):
    w, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/owner"
    mia = w.as_rep(api, w.mia)
    api.client.post(f"/v1/reps/{w.sue}/departure", json={"successor_id": w.ann}, headers=w.admin)
    before = api.events()

    refused(api.client.post(url, json={"owner_id": w.bob}, headers=ann), 403, "forbidden")
    refused(api.client.post(url, json={"owner_id": w.sam}, headers=mia), 404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.bob}, headers=w.as_rep(api, w.sam)),
            404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.bob}, headers=api.token("auditor")),
            403, "forbidden")
    refused(api.client.post(url, json={"owner_id": str(uuid4())}, headers=mia), 404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers=w.admin), 409, "rep_departed")
    refused(api.client.post(url, json={"owner_id": w.bob}, headers={**mia, "If-Match": "3"}),
            409, "version_conflict")
    assert api.events() == before

    moved = api.client.post(url, json={"owner_id": w.bob}, headers={**mia, "If-Match": "1"})
    assert moved.json() == {"position": api.events(), "version": 2}
    assert read(api, deal, w.as_rep(api, w.bob))["owner_id"] == w.bob
    refused(api.client.get(f"/v1/opportunities/{deal}", headers=ann), 404, "not_found")


def test_hand_over_after_a_departure(api: Api):
    w, ann, account, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/handover"
    before = api.events()
    refused(api.client.post(url, json={"status": "introduced"}, headers=ann), 409,
            "invalid_transition")
    assert api.events() == before

    api.client.post(f"/v1/reps/{w.ann}/departure", json={"successor_id": w.bob}, headers=w.admin)
    bob = w.as_rep(api, w.bob)
    assert (read(api, deal, bob)["owner_id"], read(api, deal, bob)["handover_status"]) == (
        w.bob, "pending")
    assert get(api, account, bob)["owner_id"] == w.bob
    before = api.events()
    refused(api.client.post(url, json={"status": "completed"}, headers=bob), 409,
            "invalid_transition")
    refused(api.client.post(url, json={"status": "x"}, headers=bob), 422, "invalid_input",
            ["status"])
    assert api.events() == before

    introduced = api.client.post(url, json={"status": "introduced"}, headers=bob)
    assert introduced.json() == {"position": api.events(), "version": 3}
    assert read(api, deal, bob)["handover_status"] == "introduced"


OPEN_STAGES = ("prospecting", "qualification", "proposal", "negotiation")


def test_parallel_stage_changes_with_the_same_if_match_have_one_winner(api: Api):
    _, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/stage"
    targets = [OPEN_STAGES[1 + i % 3] for i in range(12)]
    before = api.sales.store.counts_by_type().get("OpportunityStageChanged", 0)

    def change(stage: str):
        return api.client.post(url, json={"stage": stage}, headers={**ann, "If-Match": "1"})

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(change, targets))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 11
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"version_conflict"}
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert api.sales.store.counts_by_type()["OpportunityStageChanged"] == before + 1
    assert read(api, deal, ann)["stage"] == winner["stage"]
    assert read(api, deal, ann)["version"] == 2


def test_parallel_stage_changes_without_if_match_lose_no_update(api: Api):
    """Each round sends every open stage but the current one at once: each request's target
    is unique and never the current stage, so each must add exactly one event."""
    _, ann, _, deal = anns_deal(api)
    url = f"/v1/opportunities/{deal}/stage"
    rounds, applied = 6, 0
    with ThreadPoolExecutor(max_workers=3) as pool:
        for _ in range(rounds):
            current = read(api, deal, ann)["stage"]
            targets = [s for s in OPEN_STAGES if s != current]
            answers = list(pool.map(
                lambda s: api.client.post(url, json={"stage": s}, headers=ann), targets))
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert len({a.json()["version"] for a in answers}) == 3  # each its own event
            applied += len(answers)

    changes = [r.event for r in api.sales.store.read_stream(UUID(deal))
               if isinstance(r.event, OpportunityStageChanged)]
    assert api.sales.store.counts_by_type()["OpportunityStageChanged"] == applied == 18
    assert len(changes) == applied
    stage = "prospecting"
    for change in changes:  # a chain: each change starts where the previous one ended
        assert change.from_stage == stage
        stage = change.to_stage
    assert (read(api, deal, ann)["stage"], read(api, deal, ann)["version"]) == (stage, 1 + applied)


def test_every_route_needs_a_token_and_an_auditor_only_reads(api: Api):
    w, ann, account, deal = anns_deal(api)
    base = f"/v1/opportunities/{deal}"
    commands = [("/v1/opportunities", {**OPPORTUNITY, "account_id": account, "owner_id": w.ann}),
                (f"{base}/stage", {"stage": "proposal"}),
                (f"{base}/evaluation", {"budget": 1, "need": 1, "authority": 1, "competition": 1}),
                (f"{base}/amount", {"amount": "1"}), (f"{base}/close-date", {"expected_close": "2027-01-01"}),
                (f"{base}/quotes", {"lines": [{"sku": "GW-100", "quantity": 1}],
                                    "valid_until": "2027-01-01"}),
                (f"{base}/owner", {"owner_id": w.bob}), (f"{base}/handover", {"status": "introduced"})]
    before = api.events()

    assert api.client.get(base).status_code == 401
    for path, body in commands:
        assert api.client.post(path, json=body).status_code == 401, path
        refused(api.client.post(path, json=body, headers=api.token("auditor")), 403, "forbidden")
    assert api.events() == before
