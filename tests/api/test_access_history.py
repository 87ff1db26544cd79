"""Who could see what, when (SQLite and PostgreSQL): during a scripted history — tokens
issued and revoked, a record given to a rep of another team, that rep moved to the first
team, a lead nobody owned assigned — every token's access to every record is tried over
HTTP at each instant (the rule as it is applied then); asked later, `GET
/v1/access/history` names exactly the holders of the tokens that could read each record at
each instant, and why. Tokens are events of the store: their hash is not."""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.conftest import Api

RECORD_PATHS = {"lead": "/v1/leads/{}", "account": "/v1/accounts/{}",
                "opportunity": "/v1/opportunities/{}", "order": "/v1/orders/{}",
                "rep": "/v1/reps/{}"}


class Story:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.admin_token = self._issue("admin")
        self.admin = _bearer(self.admin_token)
        self.mia = self._hire("Mia", "manager", "north")
        self.sam = self._hire("Sam", "manager", "south")
        self.ann = self._hire("Ann", "rep", "north", self.mia)
        self.sue = self._hire("Sue", "rep", "south", self.sam)
        self.tokens: dict[str, str] = {self.admin_token.split("_")[1]: self.admin_token}
        for role, rep in (("rep", self.ann), ("rep", self.sue), ("manager", self.mia),
                          ("manager", self.sam), ("auditor", None), ("integrator", None)):
            self.add_token(role, rep)
        self.account = self._created("/v1/accounts", {"name": "Acme", "region": "north",
                                                      "owner_id": self.ann})
        self.deal = self._created("/v1/opportunities", {
            "account_id": self.account, "owner_id": self.ann, "name": "Roll-out",
            "amount": "5000.00", "expected_close": "2027-06-30"})
        self.lead = self._created("/v1/leads", {"person": "Lea", "company": "Lea AG",
                                                "email": "lea@lea.example",
                                                "channel": "web_form", "region": "north"})
        api.sales.stock.register(_ctx(), sku="AH-1", name="Sensor", base_price=Decimal("10"))
        api.sales.stock.receive(_ctx(), "AH-1", quantity=10)
        self.order = str(api.sales.orders.place(_ctx(), account_id=self.account,
                                                lines=[("AH-1", 1)]).stream_id)
        self.records = {"lead": self.lead, "account": self.account,
                        "opportunity": self.deal, "order": self.order, "rep": self.ann}

    def _issue(self, role: str, rep_id: str | None = None) -> str:
        return self.api.tokens.create(role, rep_id)

    def add_token(self, role: str, rep_id: str | None) -> str:
        token = self._issue(role, rep_id)
        self.tokens[token.split("_")[1]] = token
        return token.split("_")[1]

    def _created(self, path: str, body: dict[str, Any]) -> str:
        answer = self.api.client.post(path, json=body, headers=self.admin)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def _hire(self, name: str, role: str, team: str, manager_id: str | None = None) -> str:
        return self._created("/v1/reps", {"name": name, "email": f"{name.lower()}@x.example",
                                          "role": role, "team": team, "region": team,
                                          "manager_id": manager_id})

    def post(self, path: str, body: dict[str, Any]) -> None:
        answer = self.api.client.post(path, json=body, headers=self.admin)
        assert answer.status_code in (200, 201), answer.text

    def who_reads_now(self) -> tuple[datetime, dict[str, set[str]]]:
        """The instant, and per record the ids of the tokens that can read it over HTTP."""
        at = datetime.now(UTC)
        return at, {kind: {token_id for token_id, token in self.tokens.items()
                           if self.api.client.get(path.format(self.records[kind]),
                                                  headers=_bearer(token)).status_code == 200}
                    for kind, path in RECORD_PATHS.items()}

    def history(self, kind: str, at: datetime, token: str | None = None) -> dict[str, Any]:
        answer = self.api.client.get("/v1/access/history", headers=_bearer(
            token or self.admin_token), params={
                "record_id": self.records[kind], "at": at.isoformat(),
                "min_position": self.api.sales.store.max_position()})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ctx() -> Any:
    from infra.service.context import CommandContext
    return CommandContext(actor="tester")


def _readers(answer: dict[str, Any]) -> set[str]:
    return {t for viewer in answer["viewers"] for t in viewer["token_ids"]}


def _why(answer: dict[str, Any]) -> dict[str, str]:
    return {v["subject"]: v["why"] for v in answer["viewers"] if not v["subject"].startswith(
        "token:")}


def test_who_could_see_each_record_at_each_instant_is_who_could_read_it(api: Api):
    s = Story(api)
    seen = [s.who_reads_now()]
    s.post(f"/v1/accounts/{s.account}/owner", {"owner_id": s.sue})  # to the south team
    seen.append(s.who_reads_now())
    s.post(f"/v1/reps/{s.sue}/move", {"team": "north", "region": "north",
                                      "manager_id": s.mia})  # Sue joins Mia's team
    seen.append(s.who_reads_now())
    ann_token = next(t for t, v in s.tokens.items() if v and api.tokens.verify(v).rep_id == s.ann)
    api.tokens.revoke(ann_token)
    s.add_token("rep", s.ann)  # Ann's new token
    s.post(f"/v1/leads/{s.lead}/assign", {"rep_id": s.ann})
    seen.append(s.who_reads_now())

    for n, (at, readers) in enumerate(seen):
        for kind in RECORD_PATHS:
            answer = s.history(kind, at)
            assert answer["existed"] is True
            assert _readers(answer) == readers[kind], (n, kind)

    # why, at three of those instants
    first, moved_away, joined = (s.history("account", at) for at, _ in seen[:3])
    assert _why(first) == {s.ann: "owner", s.mia: "team_manager"}
    assert (moved_away["owner_id"], moved_away["owner_team"]) == (s.sue, "south")
    assert _why(moved_away) == {s.sue: "owner", s.sam: "team_manager"}
    assert _why(joined) == {s.sue: "owner", s.mia: "team_manager"}
    lead_before, lead_after = s.history("lead", seen[2][0]), s.history("lead", seen[3][0])
    assert _why(lead_before) == {s.mia: "unassigned_lead", s.sam: "unassigned_lead"}
    assert _why(lead_after) == {s.ann: "owner", s.mia: "team_manager"}
    assert ann_token not in _readers(lead_after)  # revoked by then
    roles = {v["subject"]: v["why"] for v in first["viewers"] if v["subject"].startswith("token:")}
    assert set(roles.values()) == {"role"} and len(roles) == 3  # admin, auditor, integrator
    before = s.history("account", datetime(2020, 1, 1, tzinfo=UTC))
    assert (before["existed"], before["viewers"]) == (False, [])


def test_tokens_are_events_without_their_secret_and_only_auditors_and_admins_ask(api: Api):
    s = Story(api)
    issued = api.sales.store.notifications(0, 1000, ("TokenIssued",))
    assert sorted(json.loads(n.state)["data"]["token_id"] for n in issued) == sorted(s.tokens)
    for stored in (n.state.decode() for n in issued):  # who held which role; no secret
        for token in s.tokens.values():
            assert token.split("_", 2)[2] not in stored
            assert hashlib.sha256(token.encode()).hexdigest() not in stored
    at = datetime.now(UTC).isoformat()
    for role, rep in (("manager", s.mia), ("rep", s.ann), ("integrator", None)):
        answer = api.client.get("/v1/access/history", headers=_bearer(api.tokens.create(
            role, rep)), params={"record_id": s.account, "at": at})
        assert answer.status_code == 403, answer.text
    auditor = api.tokens.create("auditor")
    assert s.history("account", datetime.now(UTC), auditor)["owner_id"] == s.ann
    unknown = api.client.get("/v1/access/history", headers=s.admin, params={
        "record_id": "2d9f8ae8-372c-48df-95e7-008663e3c030"})
    assert unknown.status_code == 404
    bad = api.client.get("/v1/access/history", headers=s.admin,
                         params={"record_id": s.account, "at": "yesterday"})
    assert (bad.status_code, bad.json()["fields"]) == (422, ["at"])
