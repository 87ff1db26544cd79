"""HTTP: funnel, stuck deals, forecast and performance queries — exact values after real
commands, each role's scope, 401, 422 naming the field, and the read-your-writes wait."""

from decimal import Decimal

import pytest

import api.deps
from tests.api.query_world import build_world, get, qapi_fixture, status  # noqa: F401
from tests.conftest import Api, at

STAGES = ["prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost"]
ZERO = {"count": 0, "amount": "0.00", "weighted_amount": "0.00"}
ANNS = {"proposal": {"count": 1, "amount": "10000.00", "weighted_amount": "5000.00"},
        "negotiation": {"count": 1, "amount": "24000.00", "weighted_amount": "18000.00"}}
BOBS = {"closed_won": {"count": 1, "amount": "40000.00", "weighted_amount": "40000.00"},
        "closed_lost": {"count": 1, "amount": "5000.00", "weighted_amount": "0.00"}}
QUERIES = ["/v1/funnel", "/v1/funnel/conversion", "/v1/opportunities/stuck", "/v1/forecast",
           "/v1/performance?period=2026-11", "/v1/inventory", "/v1/inventory/W-1",
           "/v1/inventory/W-1/movements", "/v1/activities/follow-ups", "/v1/activities/channels",
           "/v1/reports/sales", "/v1/reports/churn",
           "/v1/handovers/2d9f8ae8-372c-48df-95e7-008663e3c030",
           "/v1/accounts/2d9f8ae8-372c-48df-95e7-008663e3c030/timeline"]


def _stages(*parts: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    merged = {k: v for part in parts for k, v in part.items()}
    return [{"stage": s, **merged.get(s, ZERO), **_in_euros(merged.get(s, ZERO))} for s in STAGES]


def _funnel(*parts: dict[str, dict[str, object]]) -> dict[str, object]:
    """The funnel now (``as_of`` null) of those parts."""
    return {"stages": _stages(*parts), "as_of": None}


def _in_euros(figures: dict[str, object]) -> dict[str, object]:
    """The world's deals are all in EUR: one currency, named, and its figures."""
    if not figures["count"]:
        return {"currency": None, "by_currency": []}
    return {"currency": "EUR", "by_currency": [{"currency": "EUR", **figures}]}


def test_funnel_for_the_read_everything_roles_and_with_filters(qapi: Api):
    w = build_world(qapi.sales)
    for role in ("admin", "auditor", "integrator"):
        assert get(qapi, "/v1/funnel", qapi.token(role)) == _funnel(ANNS, BOBS)
    admin = qapi.token("admin")
    assert get(qapi, "/v1/funnel", admin, region="south") == _funnel(BOBS)
    assert get(qapi, "/v1/funnel", admin, team="north") == _funnel(ANNS)
    assert get(qapi, "/v1/funnel", admin, rep_id=w.bob) == _funnel(BOBS)


def test_a_rep_sees_only_their_own_deals_whatever_rep_id_they_ask_for(qapi: Api):
    w = build_world(qapi.sales)
    ann, cy = qapi.token("rep", w.ann), qapi.token("rep", w.cy)

    assert get(qapi, "/v1/funnel", ann) == _funnel(ANNS)
    assert get(qapi, "/v1/funnel", ann, rep_id=w.bob) == _funnel(ANNS)
    assert get(qapi, "/v1/funnel", cy) == _funnel()
    assert get(qapi, "/v1/funnel", ann, region="south") == _funnel()


def test_a_manager_sees_only_their_teams_deals_whatever_team_they_ask_for(qapi: Api):
    w = build_world(qapi.sales)
    mia, sam = qapi.token("manager", w.mia), qapi.token("manager", w.sam)

    assert get(qapi, "/v1/funnel", mia) == _funnel(ANNS)
    assert get(qapi, "/v1/funnel", mia, team="south") == _funnel(ANNS)
    assert get(qapi, "/v1/funnel", mia, rep_id=w.bob) == _funnel()
    assert get(qapi, "/v1/funnel", sam) == _funnel(BOBS)


def test_conversion_rates_are_company_wide_and_win_rate_follows_the_scope(qapi: Api):
    w = build_world(qapi.sales)

    whole = get(qapi, "/v1/funnel/conversion", qapi.token("auditor"))
    of_bob = get(qapi, "/v1/funnel/conversion", qapi.token("rep", w.bob))
    of_north = get(qapi, "/v1/funnel/conversion", qapi.token("manager", w.mia))
    filtered = get(qapi, "/v1/funnel/conversion", qapi.token("admin"), region="south")

    assert whole == {"rates": [
        {"from_stage": "prospecting", "to_stage": "qualification", "reached": 4, "rate": 0.75},
        {"from_stage": "qualification", "to_stage": "proposal", "reached": 3, "rate": 1.0},
        {"from_stage": "proposal", "to_stage": "negotiation", "reached": 3, "rate": 0.6667},
        {"from_stage": "negotiation", "to_stage": "closed_won", "reached": 2, "rate": 0.5}],
        "won": 1, "lost": 1, "win_rate": 0.5, "average_cycle_days": 17.0}
    assert of_bob == filtered == {"rates": None, "won": 1, "lost": 1, "win_rate": 0.5,
                                  "average_cycle_days": 17.0}
    assert of_north == {"rates": None, "won": 0, "lost": 0, "win_rate": None,
                        "average_cycle_days": None}


def test_stuck_deals_against_a_what_if_clock_scoped_and_paged(qapi: Api):
    w = build_world(qapi.sales)
    admin = qapi.token("admin")
    names = {"owner_id": w.ann, "owner_name": "Ann", "account_id": w.acme,
             "account_name": "Acme", "last_contact_at": None}
    d1 = {"id": w.d1, "name": "deal 10000", "stage": "proposal", "days_in_stage": 35,
          "days_without_contact": 38, **names}
    d2 = {"id": w.d2, "name": "deal 20000", "stage": "negotiation", "days_in_stage": 34,
          "days_without_contact": 38, **names}

    on_dec_10 = get(qapi, "/v1/opportunities/stuck", admin, as_of="2026-12-10T12:00:00Z")
    naive = get(qapi, "/v1/opportunities/stuck", admin, as_of="2026-12-10T12:00:00")
    second = get(qapi, "/v1/opportunities/stuck", admin, as_of="2026-12-10T12:00:00Z",
                 limit=1, offset=1)
    on_nov_30 = get(qapi, "/v1/opportunities/stuck", admin, as_of="2026-11-30T12:00:00Z")
    by_bob = get(qapi, "/v1/opportunities/stuck", qapi.token("rep", w.bob),
                 as_of="2026-12-10T12:00:00Z")

    assert on_dec_10 == naive == {"as_of": "2026-12-10T12:00:00Z", "items": [d1, d2],
                                  "total": 2, "limit": 100, "offset": 0}
    assert (second["items"], second["total"]) == ([d2], 2)
    assert (on_nov_30["items"], by_bob["items"]) == ([], [])
    assert status(qapi, "/v1/opportunities/stuck", admin, as_of="soon") == (
        422, "invalid_input", ["as_of"])
    assert status(qapi, "/v1/opportunities/stuck", admin, limit=0) == (
        422, "invalid_input", ["limit"])


def test_deals_nobody_contacted_for_n_days_counting_from_the_last_interaction(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.opportunities.log_interaction(at(25), w.d1, interaction_id="i-1", kind="call")
    admin, url = qapi.token("admin"), "/v1/opportunities/stuck"

    silent = get(qapi, url, admin, as_of="2026-12-10T12:00:00Z", no_contact_days=20)
    rows = [(d["id"], d["days_without_contact"], d["last_contact_at"]) for d in silent["items"]]
    # d2 silent since it opened on Nov 2 (38 days); d1 called on Nov 25 (15 days): not yet
    assert rows == [(w.d2, 38, None)]
    both = get(qapi, url, admin, as_of="2026-12-10T12:00:00Z", no_contact_days=15)
    assert [(d["id"], d["days_without_contact"], d["last_contact_at"]) for d in both["items"]] == [
        (w.d2, 38, None), (w.d1, 15, "2026-11-25T09:00:00Z")]
    by_bob = get(qapi, url, qapi.token("rep", w.bob), as_of="2026-12-10T12:00:00Z",
                 no_contact_days=0)
    assert by_bob["items"] == []  # Bob's deals are closed; Ann's are not his to see
    assert status(qapi, url, admin, no_contact_days=-1) == (
        422, "invalid_input", ["no_contact_days"])


def test_forecast_per_quarter_and_a_reps_own_forecast_with_quota(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.reps.set_quota(at(1), w.ann, period="2026-11", amount=Decimal(50000))

    whole = get(qapi, "/v1/forecast", qapi.token("admin"), period="quarter", as_of="2026-11-25")
    anns = get(qapi, "/v1/forecast", qapi.token("rep", w.ann), rep_id=w.bob, as_of="2026-11-25")

    # the company's quota: Ann's November one is Q4's (no quarter quota set)
    assert [(p["period"], p["pipeline_weighted"], p["historical"], p["won"], p["quota"])
            for p in whole["periods"]] == [("2026-Q4", "0.00", None, "40000.00", "50000.00"),
                                           ("2027-Q1", "23000.00", None, "0.00", None)]
    assert (whole["period"], whole["as_of"], whole["method"], whole["quota"]) == (
        "quarter", "2026-11-25", "linear_trend", "50000.00")
    assert whole["method_reason"] == ("0 complete month(s) of won revenue: 3 are needed to "
                                      "project, so nothing is projected")
    assert [(p["kind"], p["history_won"], p["projected"]) for p in whole["periods"]] == [
        ("history_and_projection", "0.00", None), ("projection", None, None)]
    assert whole["next_quarter"] == {"period": "2027-Q1", "projected": None}
    assert whole["backtest"]["months"] == 0
    assert [(p["period"], p["pipeline_weighted"], p["won"], p["quota"])
            for p in anns["periods"]] == [
        ("2026-11", "0.00", "0.00", "50000.00"), ("2026-12", "0.00", "0.00", None),
        ("2027-01", "23000.00", "0.00", None), ("2027-02", "0.00", "0.00", None),
        ("2027-03", "0.00", "0.00", None)]
    assert anns["quota"] == "50000.00"


def test_forecast_with_an_unknown_period_is_422_naming_period(qapi: Api):
    build_world(qapi.sales)
    assert status(qapi, "/v1/forecast", qapi.token("admin"), period="decade") == (
        422, "invalid_input", ["period"])


def test_performance_per_rep_with_each_roles_scope(qapi: Api):
    w = build_world(qapi.sales)
    qapi.sales.reps.set_quota(at(1), w.ann, period="2026-11", amount=Decimal(50000))
    qapi.sales.reps.set_commission_plan(at(1), w.bob, rate=Decimal("0.04"))

    def names(headers, **params):
        found = get(qapi, "/v1/performance", headers, period="2026-11", **params)
        return [r["name"] for r in found["items"]]

    everyone = get(qapi, "/v1/performance", qapi.token("auditor"), period="2026-11")
    assert [r["name"] for r in everyone["items"]] == ["Ann", "Bob", "Cy", "Mia", "Sam"]
    ann, bob = everyone["items"][0], everyone["items"][1]
    assert (ann["quota"], ann["attainment"], ann["won_revenue"], ann["new_customers"]) == (
        "50000.00", "0.0000", "0.00", 1)
    assert (bob["won_revenue"], bob["wins"], bob["quota"], bob["commission"]) == (
        "40000.00", 1, None, "1600.00")
    assert names(qapi.token("admin"), team="north") == ["Ann", "Cy", "Mia"]
    assert names(qapi.token("rep", w.ann), rep_id=w.bob) == ["Ann"]
    assert names(qapi.token("manager", w.mia), team="south") == ["Ann", "Cy", "Mia"]
    assert names(qapi.token("manager", w.sam)) == ["Bob", "Sam"]
    assert names(qapi.token("admin"), limit=2, offset=3) == ["Mia", "Sam"]


@pytest.mark.parametrize("period", ["2026-13", "Q4-2026", "FY26"])
def test_performance_with_a_bad_period_is_422_naming_period(qapi: Api, period: str):
    assert status(qapi, "/v1/performance", qapi.token("admin"), period=period) == (
        422, "invalid_input", ["period"])


def test_every_query_needs_a_valid_token(qapi: Api):
    for path in QUERIES:
        assert qapi.client.get(path).status_code == 401, path
        bad = qapi.client.get(path, headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()["code"]) == (401, "unauthorized"), path


def test_min_position_beyond_the_last_event_is_409(qapi: Api):
    """A valid number (the schema cannot bound it by the head) the store has not reached."""
    build_world(qapi.sales)
    answer = qapi.client.get("/v1/funnel", headers=qapi.token("admin"),
                             params={"min_position": qapi.events() + 1000})
    assert (answer.status_code, answer.json()["code"], answer.json()["fields"]) == (
        409, "position_ahead", ["min_position"])


def test_read_models_behind_min_position_answer_503_with_retry_after(qapi: Api, monkeypatch):
    build_world(qapi.sales)
    monkeypatch.setattr(api.deps, "MIN_POSITION_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(api.deps, "read_models_at", lambda db, names=(): 0)  # never catch up

    answer = qapi.client.get("/v1/funnel", headers=qapi.token("admin"),
                             params={"min_position": qapi.events()})

    assert (answer.status_code, answer.json()["code"]) == (503, "not_caught_up")
    assert answer.headers["Retry-After"] == "1"
