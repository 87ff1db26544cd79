"""HTTP: reps and leads — success, each error code, and that refused commands write nothing."""

from tests.conftest import Api

REP = {"name": "Anna Schmidt", "email": "anna@example.com", "role": "rep", "team": "north",
       "region": "north"}
LEAD = {"person": "Clara Weber", "company": "Nordlicht GmbH", "email": "clara@nordlicht.example",
        "channel": "web_form", "region": "north"}


def _hire(api: Api, admin, **fields) -> str:
    answer = api.client.post("/v1/reps", json={**REP, **fields}, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_hire_then_read_the_rep(api: Api):
    admin = api.token("admin")
    manager = _hire(api, admin, name="Mia", email="mia@example.com", role="manager")
    rep = _hire(api, admin, manager_id=manager)

    answer = api.client.get(f"/v1/reps/{rep}", headers=admin)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["role"], body["manager_id"], body["active"], body["version"]) == (
        "Anna Schmidt", "rep", manager, True, 1)


def test_no_or_bad_token_is_401_and_writes_nothing(api: Api):
    before = api.events()
    assert api.client.post("/v1/reps", json=REP).status_code == 401
    bad = api.client.post("/v1/reps", json=REP, headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["code"]) == (401, "unauthorized")
    assert api.events() == before


def test_a_role_that_may_not_is_403_and_writes_nothing(api: Api):
    before = api.events()
    for role in ("auditor", "integrator"):
        answer = api.client.post("/v1/reps", json=REP, headers=api.token(role))
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    assert api.events() == before


def test_invalid_input_is_422_naming_every_field(api: Api):
    before = api.events()
    answer = api.client.post("/v1/reps", json={**REP, "email": "nope", "role": "boss"},
                             headers=api.token("admin"))
    assert answer.status_code == 422
    assert sorted(answer.json()["fields"]) == ["email", "role"]
    assert api.events() == before


def test_a_body_that_is_not_json_is_400_naming_the_body(api: Api):
    before = api.events()
    answer = api.client.post("/v1/reps", content=b'{"name":', headers={
        **api.token("admin"), "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()["code"], answer.json()["fields"]) == (
        400, "invalid_json", ["body"])
    assert answer.json()["detail"].startswith("body: JSON decode error")
    assert api.events() == before


def test_capture_flags_a_duplicate_and_a_reps_lead_is_theirs(api: Api):
    admin = api.token("admin")
    rep = _hire(api, admin)
    mine = api.token("rep", rep)

    first = api.client.post("/v1/leads", json=LEAD, headers=mine)
    again = api.client.post("/v1/leads", json={**LEAD, "email": "CLARA@nordlicht.example",
                                                 "channel": "event"}, headers=admin)

    assert first.status_code == again.status_code == 201
    assert first.json()["duplicate_of"] is None
    assert again.json()["duplicate_of"] == first.json()["id"]
    lead = api.client.get(f"/v1/leads/{first.json()['id']}", headers=mine).json()
    assert (lead["owner_id"], lead["status"], lead["version"]) == (rep, "open", 3)


def test_a_rep_never_sees_another_reps_lead(api: Api):
    admin = api.token("admin")
    ann, bob = _hire(api, admin), _hire(api, admin, email="bob@example.com")
    lead = api.client.post("/v1/leads", json=LEAD, headers=api.token("rep", ann)).json()["id"]
    before = api.events()

    read = api.client.get(f"/v1/leads/{lead}", headers=api.token("rep", bob))
    write = api.client.post(f"/v1/leads/{lead}/qualify", headers=api.token("rep", bob))

    assert read.status_code == write.status_code == 404
    assert api.events() == before


def test_convert_answers_the_new_records_and_a_second_convert_is_409(api: Api):
    admin = api.token("admin")
    rep = _hire(api, admin)
    mine = api.token("rep", rep)
    lead = api.client.post("/v1/leads", json=LEAD, headers=mine).json()["id"]

    converted = api.client.post(f"/v1/leads/{lead}/convert", json={}, headers=mine)
    before = api.events()
    twice = api.client.post(f"/v1/leads/{lead}/convert", json={}, headers=mine)

    assert converted.status_code == 201
    assert set(converted.json()) == {"account_id", "opportunity_id", "contact_id", "position"}
    assert (twice.status_code, twice.json()["code"]) == (409, "lead_already_converted")
    assert api.events() == before


def test_if_match_with_a_stale_version_is_409_version_conflict(api: Api):
    admin = api.token("admin")
    rep = _hire(api, admin)
    body = {"period": "2026-Q4", "amount": "1000"}
    assert api.client.post(f"/v1/reps/{rep}/quotas", json=body,
                           headers={**admin, "If-Match": "1"}).status_code == 200
    before = api.events()

    stale = api.client.post(f"/v1/reps/{rep}/quotas", json={**body, "amount": "2000"},
                            headers={**admin, "If-Match": "1"})

    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    assert api.events() == before


def test_idempotency_key_returns_the_first_answer_and_writes_nothing_new(api: Api):
    admin = {**api.token("admin"), "Idempotency-Key": "hire-anna-1"}
    first = api.client.post("/v1/reps", json=REP, headers=admin)
    before = api.events()

    retry = api.client.post("/v1/reps", json=REP, headers=admin)
    other = api.client.post("/v1/reps", json={**REP, "name": "Someone Else"}, headers=admin)

    assert retry.status_code == 201 and retry.content == first.content  # byte for byte
    assert (other.status_code, list(other.json())) == (409, ["code", "detail", "fields"])
    assert other.json()["code"] == "idempotency_key_reused"
    assert api.events() == before


def test_read_your_writes_with_min_position(api: Api):
    admin = api.token("admin")
    created = api.client.post("/v1/reps", json=REP, headers=admin).json()

    health = api.client.get(f"/healthz?min_position={created['position']}")

    assert health.status_code in (200, 503)
    assert health.json()["position"] >= created["position"]
