"""HTTP: accounts — success, each error code, visibility, and that refused commands write nothing."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routers import ALL_ROUTERS, accounts, opportunities
from infra.settings import Settings
from tests.conftest import Api

ACCOUNT = {"name": "Nordlicht Werke GmbH", "industry": "manufacturing", "region": "north",
           "size": 250}
CONTACT = {"name": "Clara Weber", "email": "clara@nordlicht.example", "phone": "+49 30 1234567",
           "role": "Head of Purchasing", "preferences": ["email"]}
SOON = (date.today() + timedelta(days=30)).isoformat()


def with_routers(app: FastAPI) -> FastAPI:
    """Until the routers are registered in ``ALL_ROUTERS``, include them here."""
    for router in (accounts.router, opportunities.router):
        if router not in ALL_ROUTERS:
            app.include_router(router)
    return app


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    from api.app import create_app

    app = with_routers(create_app(Settings(database_url=database_url, pool_size=8),
                                  run_projectors=True))
    with TestClient(app) as client:
        yield Api(client, client.app.state.services.sales)  # type: ignore[attr-defined]


@dataclass
class World:
    """North: manager Mia with reps Ann and Bob; south: manager Sam with rep Sue."""

    admin: dict[str, str]
    mia: str
    ann: str
    bob: str
    sam: str
    sue: str

    def as_rep(self, api: Api, rep_id: str) -> dict[str, str]:
        return api.token("manager" if rep_id in (self.mia, self.sam) else "rep", rep_id)


def hire(api: Api, admin: dict[str, str], name: str, role: str = "rep", team: str = "north",
         manager_id: str | None = None) -> str:
    body = {"name": name, "email": f"{name.lower()}@example.com", "role": role, "team": team,
            "region": team, "manager_id": manager_id}
    answer = api.client.post("/v1/reps", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def world(api: Api) -> World:
    admin = api.token("admin")
    mia = hire(api, admin, "Mia", "manager")
    sam = hire(api, admin, "Sam", "manager", "south")
    return World(admin, mia, hire(api, admin, "Ann", manager_id=mia),
                 hire(api, admin, "Bob", manager_id=mia), sam,
                 hire(api, admin, "Sue", team="south", manager_id=sam))


def open_account(api: Api, headers: dict[str, str], owner_id: str, **fields: object) -> str:
    answer = api.client.post("/v1/accounts", json={**ACCOUNT, "owner_id": owner_id, **fields},
                             headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def get(api: Api, account_id: str, headers: dict[str, str]) -> dict:
    answer = api.client.get(f"/v1/accounts/{account_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def refused(answer, status: int, code: str, fields: list[str] | None = None) -> None:
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    if fields is not None:
        assert sorted(answer.json()["fields"]) == sorted(fields)


def test_a_rep_opens_an_account_for_themself_and_reads_it(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)

    answer = api.client.post("/v1/accounts", json={**ACCOUNT, "owner_id": w.ann}, headers=ann)

    assert answer.status_code == 201
    assert set(answer.json()) == {"id", "position"}
    assert answer.json()["position"] == api.events()
    assert get(api, answer.json()["id"], ann) == {
        "id": answer.json()["id"], "name": "Nordlicht Werke GmbH", "industry": "manufacturing",
        "size": 250, "region": "north", "owner_id": w.ann, "segment": None, "potential": None,
        "grade": None, "contacts": [], "follow_ups": [], "handover_status": None, "version": 1}


def test_a_manager_opens_for_their_team_and_an_admin_for_anyone(api: Api):
    w = world(api)
    by_manager = open_account(api, w.as_rep(api, w.mia), w.bob)
    by_admin = open_account(api, w.admin, w.sue, industry=None, size=None)

    assert get(api, by_manager, w.admin)["owner_id"] == w.bob
    body = get(api, by_admin, w.admin)
    assert (body["owner_id"], body["industry"], body["size"]) == (w.sue, None, None)


def test_opening_refusals_write_nothing(api: Api):
    w = world(api)
    api.client.post(f"/v1/reps/{w.bob}/departure", json={"successor_id": w.ann}, headers=w.admin)
    before = api.events()

    def post(headers: dict[str, str] | None, **fields: object):
        return api.client.post("/v1/accounts", json={**ACCOUNT, "owner_id": w.ann, **fields},
                               headers=headers)

    assert post(None).status_code == 401
    refused(post({"Authorization": "Bearer nope"}), 401, "unauthorized")
    refused(post(api.token("auditor")), 403, "forbidden")
    refused(post(api.token("integrator")), 403, "forbidden")
    # an owner the caller may not name is refused exactly like an unknown one
    refused(post(w.as_rep(api, w.ann), owner_id=w.sue), 404, "not_found")
    refused(post(w.as_rep(api, w.mia), owner_id=w.sue), 404, "not_found")
    refused(post(w.admin, owner_id=str(uuid4())), 404, "not_found")
    refused(post(w.admin, owner_id=w.bob), 409, "rep_departed")
    refused(post(w.admin, name="", owner_id="nope", size=0), 422, "invalid_input",
            ["name", "owner_id", "size"])
    refused(post(w.admin, name="   "), 422, "invalid_input", ["name"])
    assert api.events() == before


def test_visibility_rep_manager_auditor(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    grade = f"/v1/accounts/{account}/grade"
    before = api.events()

    for outsider in (w.as_rep(api, w.bob), w.as_rep(api, w.sue), w.as_rep(api, w.sam)):
        refused(api.client.get(f"/v1/accounts/{account}", headers=outsider), 404, "not_found")
        refused(api.client.post(grade, json={"grade": "A"}, headers=outsider), 404, "not_found")
    for reader in ("auditor", "integrator"):
        assert get(api, account, api.token(reader))["owner_id"] == w.ann
        refused(api.client.post(grade, json={"grade": "A"}, headers=api.token(reader)),
                403, "forbidden")
    assert api.events() == before

    by_manager = api.client.post(grade, json={"grade": "A"}, headers=w.as_rep(api, w.mia))
    assert by_manager.status_code == 200
    assert by_manager.json() == {"position": api.events(), "version": 2}


def test_unknown_foreign_or_malformed_ids(api: Api):
    w = world(api)
    refused(api.client.get(f"/v1/accounts/{uuid4()}", headers=w.admin), 404, "not_found")
    refused(api.client.get(f"/v1/accounts/{w.ann}", headers=w.admin), 404, "not_found")
    refused(api.client.get("/v1/accounts/nope", headers=w.admin), 422, "invalid_input",
            ["account_id"])
    assert api.client.get(f"/v1/accounts/{uuid4()}").status_code == 401
    before = api.events()
    refused(api.client.post(f"/v1/accounts/{uuid4()}/grade", json={"grade": "A"},
                            headers=w.admin), 404, "not_found")
    assert api.events() == before


def test_contacts_add_change_remove(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    base = f"/v1/accounts/{account}/contacts"

    added = api.client.post(base, json=CONTACT, headers=ann)
    contact = added.json()["id"]
    assert added.status_code == 201
    assert added.json() == {"id": contact, "position": api.events(), "version": 2}
    assert get(api, account, ann)["contacts"] == [{"contact_id": contact, **CONTACT}]

    changed = api.client.put(f"{base}/{contact}", json={**CONTACT, "phone": None,
                                                        "role": "CEO"}, headers=ann)
    assert changed.status_code == 200 and changed.json()["version"] == 3
    assert get(api, account, ann)["contacts"][0] == {
        "contact_id": contact, **CONTACT, "phone": None, "role": "CEO"}

    removed = api.client.delete(f"{base}/{contact}", headers=ann)
    assert removed.json() == {"position": api.events(), "version": 4}
    chosen = api.client.post(base, json={**CONTACT, "contact_id": "c-1"}, headers=ann)
    assert chosen.json()["id"] == "c-1"
    by_post = api.client.post(f"{base}/c-1/remove", headers=ann)
    assert by_post.status_code == 200 and by_post.json()["version"] == 6
    assert get(api, account, ann)["contacts"] == []


def test_contact_refusals_write_nothing(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    base = f"/v1/accounts/{account}/contacts"
    api.client.post(base, json={**CONTACT, "contact_id": "c-1"}, headers=ann)
    before = api.events()

    refused(api.client.post(base, json={**CONTACT, "contact_id": "c-1"}, headers=ann),
            409, "already_exists")
    refused(api.client.post(base, json={**CONTACT, "email": "nope", "name": ""}, headers=ann),
            422, "invalid_input", ["email", "name"])
    refused(api.client.put(f"{base}/c-9", json=CONTACT, headers=ann), 404, "not_found")
    refused(api.client.delete(f"{base}/c-9", headers=ann), 404, "not_found")
    refused(api.client.post(f"{base}/c-9/remove", headers=ann), 404, "not_found")
    refused(api.client.post(base, json=CONTACT, headers=w.as_rep(api, w.bob)), 404, "not_found")
    refused(api.client.put(f"{base}/c-1", json=CONTACT, headers=w.as_rep(api, w.bob)),
            404, "not_found")
    refused(api.client.delete(f"{base}/c-1", headers=w.as_rep(api, w.sam)), 404, "not_found")
    refused(api.client.delete(f"{base}/c-1", headers=api.token("auditor")), 403, "forbidden")
    assert api.client.delete(f"{base}/c-1").status_code == 401
    assert api.events() == before


def test_classification_and_grade(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    url = f"/v1/accounts/{account}"

    classified = api.client.post(f"{url}/classification",
                                 json={"segment": "mid-market", "potential": "high"}, headers=ann)
    graded = api.client.post(f"{url}/grade", json={"grade": "key"}, headers=ann)
    before = api.events()
    again = api.client.post(f"{url}/grade", json={"grade": "key"}, headers=ann)

    assert classified.json() == {"position": before - 1, "version": 2}
    assert graded.json() == {"position": before, "version": 3}
    assert again.status_code == 200 and again.json()["version"] == 3  # unchanged: no event
    body = get(api, account, ann)
    assert (body["segment"], body["potential"], body["grade"]) == ("mid-market", "high", "key")
    refused(api.client.post(f"{url}/classification", json={"segment": "", "potential": "huge"},
                            headers=ann), 422, "invalid_input", ["potential", "segment"])
    refused(api.client.post(f"{url}/classification", json={"segment": "  ", "potential": "low"},
                            headers=ann), 422, "invalid_input", ["segment"])
    refused(api.client.post(f"{url}/grade", json={"grade": "D"}, headers=ann),
            422, "invalid_input", ["grade"])
    refused(api.client.post(f"{url}/classification", json={"segment": "x", "potential": "low"},
                            headers=w.as_rep(api, w.bob)), 404, "not_found")
    assert api.events() == before


def test_interactions(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    url = f"/v1/accounts/{account}/interactions"
    contact = api.client.post(f"/v1/accounts/{account}/contacts", json=CONTACT,
                              headers=ann).json()["id"]

    logged = api.client.post(url, json={"kind": "call", "notes": "Wants a pilot",
                                        "outcome": "meeting booked", "contact_id": contact},
                             headers=ann)
    assert logged.json() == {"position": api.events(), "version": 3}
    before = api.events()
    refused(api.client.post(url, json={"kind": "fax"}, headers=ann), 422, "invalid_input",
            ["kind"])
    refused(api.client.post(url, json={"kind": "call", "contact_id": "c-9"}, headers=ann),
            404, "not_found")
    refused(api.client.post(url, json={"kind": "call"}, headers=w.as_rep(api, w.bob)),
            404, "not_found")
    refused(api.client.post(url, json={"kind": "call"}, headers=api.token("auditor")),
            403, "forbidden")
    assert api.events() == before


def test_follow_ups_schedule_and_complete(api: Api):
    w = world(api)
    ann = w.as_rep(api, w.ann)
    account = open_account(api, ann, w.ann)
    url = f"/v1/accounts/{account}/follow-ups"

    scheduled = api.client.post(url, json={"due": SOON, "note": "Send the offer",
                                           "follow_up_id": "f-1"}, headers=ann)
    assert scheduled.json() == {"position": api.events(), "version": 2}
    assert get(api, account, ann)["follow_ups"] == [
        {"follow_up_id": "f-1", "due": SOON, "note": "Send the offer", "done": False}]
    before = api.events()
    # a well-formed date in the past breaks a rule (409); one that is no date is invalid (422)
    refused(api.client.post(url, json={"due": "2020-01-01"}, headers=ann), 409, "rule_violation",
            ["due"])
    refused(api.client.post(url, json={"due": SOON, "follow_up_id": "f-1"}, headers=ann),
            409, "already_exists")
    refused(api.client.post(url, json={"due": "soon"}, headers=ann), 422, "invalid_input",
            ["due"])
    refused(api.client.post(f"{url}/f-9/complete", json={}, headers=ann), 404, "not_found")
    refused(api.client.post(f"{url}/f-1/complete", json={}, headers=w.as_rep(api, w.bob)),
            404, "not_found")
    assert api.events() == before

    done = api.client.post(f"{url}/f-1/complete", json={"outcome": "sent"}, headers=ann)
    assert done.json() == {"position": api.events(), "version": 3}
    assert get(api, account, ann)["follow_ups"][0]["done"] is True
    before = api.events()
    refused(api.client.post(f"{url}/f-1/complete", json={}, headers=ann), 409,
            "invalid_transition")
    assert api.events() == before


def test_owner_change_by_a_manager_in_their_team(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    url = f"/v1/accounts/{account}/owner"
    mia = w.as_rep(api, w.mia)

    moved = api.client.post(url, json={"owner_id": w.bob}, headers={**mia, "If-Match": "1"})

    assert moved.json() == {"position": api.events(), "version": 2}
    assert get(api, account, mia)["owner_id"] == w.bob
    refused(api.client.get(f"/v1/accounts/{account}", headers=w.as_rep(api, w.ann)),
            404, "not_found")
    assert get(api, account, w.as_rep(api, w.bob))["version"] == 2


def test_owner_change_refusals_write_nothing(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    url = f"/v1/accounts/{account}/owner"
    mia = w.as_rep(api, w.mia)
    api.client.post(f"/v1/reps/{w.bob}/departure", json={"successor_id": w.ann}, headers=w.admin)
    before = api.events()

    refused(api.client.post(url, json={"owner_id": w.ann}, headers=w.as_rep(api, w.ann)),
            403, "forbidden")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers=mia), 404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers=w.as_rep(api, w.sam)),
            404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers=api.token("auditor")),
            403, "forbidden")
    refused(api.client.post(url, json={"owner_id": str(uuid4())}, headers=w.admin),
            404, "not_found")
    refused(api.client.post(url, json={"owner_id": w.bob}, headers=w.admin), 409, "rep_departed")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers={**w.admin, "If-Match": "7"}),
            409, "version_conflict")
    refused(api.client.post(url, json={"owner_id": w.sue}, headers={**w.admin, "If-Match": "x"}),
            422, "invalid_input")
    refused(api.client.post(url, json={"owner_id": "nope"}, headers=w.admin), 422,
            "invalid_input", ["owner_id"])
    assert api.events() == before


def test_hand_over_after_a_departure(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    url = f"/v1/accounts/{account}/handover"
    before = api.events()
    refused(api.client.post(url, json={"status": "introduced"}, headers=w.admin), 409,
            "invalid_transition")
    assert api.events() == before

    departed = api.client.post(f"/v1/reps/{w.ann}/departure", json={"successor_id": w.bob},
                               headers=w.admin)
    assert departed.status_code == 200, departed.text
    bob = w.as_rep(api, w.bob)
    assert (get(api, account, bob)["owner_id"], get(api, account, bob)["handover_status"]) == (
        w.bob, "pending")

    before = api.events()
    refused(api.client.post(url, json={"status": "completed"}, headers=bob), 409,
            "invalid_transition")
    refused(api.client.post(url, json={"status": "done"}, headers=bob), 422, "invalid_input",
            ["status"])
    refused(api.client.post(url, json={"status": "introduced"}, headers=w.as_rep(api, w.ann)),
            404, "not_found")
    assert api.events() == before
    introduced = api.client.post(url, json={"status": "introduced"}, headers=bob)
    assert introduced.json() == {"position": api.events(), "version": 3}
    assert api.client.post(url, json={"status": "completed"}, headers=bob).status_code == 200
    assert get(api, account, bob)["handover_status"] == "completed"


def test_every_route_needs_a_token_and_an_auditor_only_reads(api: Api):
    w = world(api)
    account = open_account(api, w.as_rep(api, w.ann), w.ann)
    base = f"/v1/accounts/{account}"
    commands = [("POST", "/v1/accounts", {**ACCOUNT, "owner_id": w.ann}),
                ("POST", f"{base}/contacts", CONTACT), ("PUT", f"{base}/contacts/c-1", CONTACT),
                ("DELETE", f"{base}/contacts/c-1", None), ("POST", f"{base}/contacts/c-1/remove", None),
                ("POST", f"{base}/classification", {"segment": "smb", "potential": "low"}),
                ("POST", f"{base}/grade", {"grade": "B"}), ("POST", f"{base}/interactions", {"kind": "call"}),
                ("POST", f"{base}/follow-ups", {"due": SOON}),
                ("POST", f"{base}/follow-ups/f-1/complete", {}),
                ("POST", f"{base}/owner", {"owner_id": w.bob}),
                ("POST", f"{base}/handover", {"status": "introduced"})]
    before = api.events()

    assert api.client.get(base).status_code == 401
    for method, path, body in commands:
        assert api.client.request(method, path, json=body).status_code == 401, path
        refused(api.client.request(method, path, json=body, headers=api.token("auditor")),
                403, "forbidden")
    assert api.events() == before


def test_idempotency_key_on_open_returns_the_first_answer(api: Api):
    w = world(api)
    ann = {**w.as_rep(api, w.ann), "Idempotency-Key": "open-nordlicht"}
    first = api.client.post("/v1/accounts", json={**ACCOUNT, "owner_id": w.ann}, headers=ann)
    before = api.events()

    retry = api.client.post("/v1/accounts", json={**ACCOUNT, "owner_id": w.ann}, headers=ann)

    assert retry.status_code == 201 and retry.json() == first.json()
    assert api.events() == before
