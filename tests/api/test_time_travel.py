"""HTTP: the funnel and the forecast as of an instant. What the API answered *at* instants of a
scripted history (stage moves, an amount cut, a close date pushed, quotas set and corrected, a
rep moving team, a deal changing hands) is what it answers *later* with ``as_of`` those
instants — for the read-everything roles and filters, and for a rep who kept their deals. A
manager sees the team as it was, of the deals they may see now. On SQLite and PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

from infra.service.commands import CommandContext
from tests.api.query_world import get, qapi_fixture, status  # noqa: F401 (the qapi fixture)
from tests.conftest import Api, at

D = Decimal


def _hire(api: Api, name: str, role: str, team: str, manager: str | None = None) -> str:
    return str(api.sales.reps.hire(at(1), name=name, email=f"{name.lower()}@example.com",
                                   role=role, team=team, region=team,
                                   manager_id=manager).stream_id)


def _instant(day: int) -> str:
    return f"2026-11-{day:02d}T12:00:00Z"


def _figures(forecast: dict) -> dict:  # type: ignore[type-arg]
    """The forecast's facts per period: pipeline, won and quota (not the projection, which
    depends on the day it is asked, nor the periods it spans from that day)."""
    return {p["period"]: (p["pipeline_weighted"], p["won"], p["quota"], [
        (c["currency"], c["pipeline_weighted"], c["won"]) for c in p["by_currency"]
        if {c["pipeline_weighted"], c["won"]} != {"0.00"}])
        for p in forecast["periods"]}


def _same_facts(then: dict, later: dict) -> bool:  # type: ignore[type-arg]
    """The periods of both answers hold the same facts, and every period with a deal in
    one answer is in the other."""
    def busy(figures: dict) -> set[str]:  # type: ignore[type-arg]
        return {p for p, (_, _, _, parts) in figures.items()
                if any({pipeline, won} - {"0.00"} for _, pipeline, won in parts)}

    common = then.keys() & later.keys()
    return busy(then) | busy(later) <= common and all(then[p] == later[p] for p in common)


def test_answers_as_of_an_instant_are_the_answers_given_then(qapi: Api):
    sales = qapi.sales
    mia = _hire(qapi, "Mia", "manager", "north")
    ann, cy = _hire(qapi, "Ann", "rep", "north", mia), _hire(qapi, "Cy", "rep", "north", mia)
    sam = _hire(qapi, "Sam", "manager", "south")
    bob = _hire(qapi, "Bob", "rep", "south", sam)
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    beta = str(sales.accounts.open(at(1), name="Beta", region="south", owner_id=bob).stream_id)
    deals = sales.opportunities

    def deal(owner: str, account: str, amount: int, close: date, currency: str = "EUR") -> str:
        return str(deals.open(at(2), account_id=account, owner_id=owner, name=f"deal {amount}",
                              amount=D(amount), expected_close=close, currency=currency,
                              products=["A"]).stream_id)

    admin, auditor = qapi.token("admin"), qapi.token("auditor")
    people = {"admin": admin, "auditor": auditor, "ann": qapi.token("rep", ann),
              "mia": qapi.token("manager", mia)}
    asks = [("admin", {}), ("auditor", {"team": "north"}), ("admin", {"team": "south"}),
            ("admin", {"rep_id": ann}), ("admin", {"region": "south"}), ("ann", {}), ("mia", {})]
    recorded: dict[int, dict] = {}  # type: ignore[type-arg]

    def record(day: int) -> None:
        recorded[day] = {(who, tuple(params.items())): (
            get(qapi, "/v1/funnel", people[who], **params)["stages"],
            _figures(get(qapi, "/v1/forecast", people[who], **params)))
            for who, params in asks}

    d1 = deal(ann, acme, 10000, date(2026, 12, 15))
    d2 = deal(cy, acme, 20000, date(2027, 1, 20))
    d3 = deal(bob, beta, 5000, date(2026, 12, 5), currency="USD")
    sales.reps.set_quota(at(2), ann, period="2026-11", amount=D(30000))
    record(2)
    deals.change_stage(at(3), d1, stage="qualification")
    deals.change_amount(at(3), d2, amount=D(15000))
    deals.change_stage(at(3), d3, stage="proposal")
    record(3)
    deals.change_close_date(at(4), d1, expected_close=date(2027, 2, 10))
    sales.reps.set_quota(at(4), ann, period="2026-11", amount=D(35000))
    sales.reps.move(at(4, 10), cy, team="south", region="south")
    record(4)
    deals.change_stage(at(5), d1, stage="closed_won")
    deals.change_owner(at(5), d3, owner_id=cy)
    deal_4 = str(deals.open(at(5), account_id=acme, owner_id=ann, name="deal 4",
                            amount=D(8000), expected_close=date(2026, 12, 20)).stream_id)
    deals.change_stage(at(6), deal_4, stage="proposal")
    record(6)

    for day, answers in recorded.items():
        for (who, params), (funnel, forecast) in answers.items():
            asked = {**dict(params), "as_of": _instant(day)}
            if who == "mia" and day < 4:
                continue  # Cy was in Mia's team: below
            assert get(qapi, "/v1/funnel", people[who], **asked)["stages"] == funnel, (day, who)
            later = _figures(get(qapi, "/v1/forecast", people[who], **asked))
            assert _same_facts(forecast, later), (day, who, params, sorted(forecast.items()),
                                                  sorted(later.items()))

    # Mia's team on Nov 3 was Ann and Cy; Cy has moved to the south since: Mia now sees the
    # team's deals as they stood, of those she may see now — Ann's, not Cy's
    then, since = recorded[3][("mia", ())][0], get(qapi, "/v1/funnel", people["mia"],
                                                   as_of=_instant(3))
    assert since["stages"] == get(qapi, "/v1/funnel", admin, rep_id=ann,
                                  as_of=_instant(3))["stages"] != then
    assert [(s["stage"], s["count"], s["amount"]) for s in since["stages"] if s["count"]] == [
        ("qualification", 1, "10000.00")]
    assert since["as_of"] == "2026-11-03T12:00:00Z"

    # deal 4 goes to Bob: Ann's funnel as of Nov 6 keeps her deals then that are hers now
    deals.change_owner(at(7), deal_4, owner_id=bob)
    anns = get(qapi, "/v1/funnel", people["ann"], as_of=_instant(6))["stages"]
    proposal = next(s for s in anns if s["stage"] == "proposal")
    then = next(s for s in recorded[6][("ann", ())][0] if s["stage"] == "proposal")
    assert (then["count"], then["amount"], proposal["count"]) == (1, "8000.00", 0)
    assert [s for s in anns if s["stage"] != "proposal"] == [
        s for s in recorded[6][("ann", ())][0] if s["stage"] != "proposal"]
    admins = get(qapi, "/v1/funnel", admin, as_of=_instant(6))["stages"]
    assert admins == recorded[6][("admin", ())][0]


def test_before_anything_happened_the_funnel_is_empty_and_bad_instants_are_refused(qapi: Api):
    admin = qapi.token("admin")
    owner = _hire(qapi, "Ann", "rep", "north")
    account = str(qapi.sales.accounts.open(at(1), name="Acme", region="north",
                                           owner_id=owner).stream_id)
    qapi.sales.opportunities.open(at(2), account_id=account, owner_id=owner, name="d",
                                  amount=D(1000), expected_close=date(2026, 12, 1))

    before = get(qapi, "/v1/funnel", admin, as_of="2026-11-02T08:59:59Z")
    opened = get(qapi, "/v1/funnel", admin, as_of="2026-11-02T09:00:00Z")

    assert [s["count"] for s in before["stages"]] == [0] * len(before["stages"])
    assert [(s["stage"], s["count"]) for s in opened["stages"] if s["count"]] == [
        ("prospecting", 1)]
    assert get(qapi, "/v1/forecast", admin, as_of="2026-11-02")["instant"] == (
        "2026-11-02T00:00:00Z")
    for path in ("/v1/funnel", "/v1/forecast"):
        for bad in ("0", "yesterday", "9999-01-01", "2026-13-01"):
            assert status(qapi, path, admin, as_of=bad) == (422, "invalid_input", ["as_of"])


def on(month: int, day: int, year: int = 2025) -> CommandContext:
    return CommandContext(actor="tester", now=datetime(year, month, day, 9, tzinfo=UTC))


def test_forecast_accuracy_checks_each_checkpoint_against_what_was_won(qapi: Api):
    """2025-Q4, by hand: checkpoints Oct 1, Nov 1, Dec 1; Ann won 10,000 and Bob 16,000."""
    sales, deals = qapi.sales, qapi.sales.opportunities
    mia = str(sales.reps.hire(on(9, 1), name="Mia", email="mia@example.com", role="manager",
                              team="north", region="north").stream_id)
    ann = str(sales.reps.hire(on(9, 1), name="Ann", email="ann@example.com", role="rep",
                              team="north", region="north", manager_id=mia).stream_id)
    bob = str(sales.reps.hire(on(9, 1), name="Bob", email="bob@example.com", role="rep",
                              team="south", region="south").stream_id)
    acme = str(sales.accounts.open(on(9, 1), name="Acme", region="north", owner_id=ann).stream_id)

    def deal(owner: str, amount: int, close: date) -> str:
        return str(deals.open(on(9, 25), account_id=acme, owner_id=owner, name=f"d {amount}",
                              amount=D(amount), expected_close=close).stream_id)

    d1, d2 = deal(ann, 10000, date(2025, 11, 15)), deal(bob, 20000, date(2025, 12, 10))
    d3 = deal(ann, 5000, date(2026, 1, 15))  # closing after the quarter: not in it
    deals.change_stage(on(10, 10), d1, stage="proposal")  # 50 %
    deals.change_stage(on(10, 10), d2, stage="qualification")  # 25 %
    deals.change_close_date(on(10, 20), d3, expected_close=date(2025, 12, 20))
    deals.change_stage(on(10, 20), d3, stage="negotiation")  # 75 %
    deals.change_stage(on(11, 15), d1, stage="closed_won")
    deals.change_amount(on(11, 16), d2, amount=D(16000))
    deals.change_stage(on(12, 5), d3, stage="closed_lost", reason="price")
    deals.change_stage(on(12, 8), d2, stage="closed_won")

    def rows(answer: dict) -> dict:  # type: ignore[type-arg]
        return {(r["level"], r["rep_name"], r["team"]): (r["won"], [
            (f["expected"], f["error"], f["error_percent"]) for f in r["forecasts"]])
            for r in answer["items"]}

    admin = get(qapi, "/v1/forecast/accuracy", qapi.token("admin"), period="2025-Q4")
    assert admin["checkpoints"] == ["2025-10-01T00:00:00Z", "2025-11-01T00:00:00Z",
                                    "2025-12-01T00:00:00Z"]
    assert admin["closed"] is True and admin["won_until"] == "2026-01-01T00:00:00Z"
    ann_row = ("10000.00", [("1000.00", "-9000.00", -90.0), ("8750.00", "-1250.00", -12.5),
                            ("13750.00", "3750.00", 37.5)])
    bob_row = ("16000.00", [("2000.00", "-14000.00", -87.5), ("5000.00", "-11000.00", -68.8),
                            ("4000.00", "-12000.00", -75.0)])
    assert rows(admin) == {
        ("rep", "Ann", "north"): ann_row, ("rep", "Bob", "south"): bob_row,
        ("team", None, "north"): ann_row, ("team", None, "south"): bob_row,
        ("scope", None, None): ("26000.00", [("3000.00", "-23000.00", -88.5),
                                             ("13750.00", "-12250.00", -47.1),
                                             ("17750.00", "-8250.00", -31.7)])}
    assert [(s["period"]["pipeline_weighted"], s["period"]["won"]) for s in admin["said"]] == [
        ("3000.00", "0.00"), ("13750.00", "0.00"), ("7750.00", "10000.00")]
    manager = get(qapi, "/v1/forecast/accuracy", qapi.token("manager", mia), period="2025-Q4")
    assert rows(manager) == {("rep", "Ann", "north"): ann_row, ("team", None, "north"): ann_row,
                             ("scope", None, None): ann_row}
    rep = get(qapi, "/v1/forecast/accuracy", qapi.token("rep", bob), period="2025-Q4",
              rep_id=ann)
    assert rows(rep) == {("rep", "Bob", "south"): bob_row, ("team", None, "south"): bob_row,
                         ("scope", None, None): bob_row}
    assert status(qapi, "/v1/forecast/accuracy", qapi.token("admin"), period="2025-Q5") == (
        422, "invalid_input", ["period"])


def test_as_of_during_a_departure_in_steps_and_a_plan_recorded_late(qapi: Api):
    """Ann gives notice; Mia splits her deals over Dee and Eve, changes the split, approves;
    the plan executes on the day; Eve moves team; deals are won after the hand-over; Dee's
    commission plan changes, once recorded late. What the API answered on each day is what
    it answers as of that day later — funnel, forecast and commission statements."""
    sales, deals = qapi.sales, qapi.sales.opportunities
    mia = _hire(qapi, "Mia", "manager", "north")
    ann, dee, eve = (_hire(qapi, name, "rep", "north", mia) for name in ("Ann", "Dee", "Eve"))
    acme = str(sales.accounts.open(at(1), name="Acme", region="north", owner_id=ann).stream_id)
    sales.policies.set_handover_credit(at(1), upper=D("0.5"), middle=D("0.25"), lower=D(0),
                                       effective_from=date(2026, 1, 1))
    for rep, rate in ((ann, "0.10"), (dee, "0.05"), (eve, "0.05")):
        sales.reps.set_commission_plan(at(1), rep, rate=D(rate), effective_from=date(2026, 1, 1))

    def deal(owner: str, amount: int, stage: str) -> str:
        opened = str(deals.open(at(2), account_id=acme, owner_id=owner, name=f"deal {amount}",
                                amount=D(amount), expected_close=date(2026, 12, 15)).stream_id)
        if stage != "prospecting":
            deals.change_stage(at(2), opened, stage=stage)
        return opened

    d1, d2 = deal(ann, 10000, "proposal"), deal(ann, 20000, "negotiation")  # middle, lower
    d3, d4 = deal(ann, 5000, "prospecting"), deal(dee, 7000, "prospecting")  # upper; Dee's
    admin = qapi.token("admin")
    asks = [{}, {"team": "north"}, {"team": "south"}, {"rep_id": ann}, {"rep_id": dee},
            {"rep_id": eve}]
    recorded: dict[int, dict] = {}  # type: ignore[type-arg]

    def statements(**params: object) -> dict[str, list]:  # type: ignore[type-arg]
        return {rep: [get(qapi, f"/v1/commissions/{rep}", admin, period="2026-Q4",
                          **params)[part] for part in ("items", "totals")]
                for rep in (ann, dee, eve)}

    def record(day: int) -> None:
        recorded[day] = {"funnel": [get(qapi, "/v1/funnel", admin, **a)["stages"]
                                    for a in asks],
                         "forecast": [_figures(get(qapi, "/v1/forecast", admin, **a))
                                      for a in asks],
                         "statements": statements()}

    record(2)
    sales.departure.give_notice(at(3), ann, effective_date=date(2026, 11, 5))
    sales.departure.plan(at(3, 11), ann, [(d2, dee), (d1, eve)])
    record(3)
    sales.departure.plan(at(4), ann, [(d2, dee), (d1, eve), (d3, eve)])  # the split changes
    sales.departure.approve(at(4, 10), ann)
    sales.reps.set_commission_plan(at(4, 10), dee, rate=D("0.08"),
                                   effective_from=date(2026, 11, 4))
    deals.change_amount(at(4, 11), d1, amount=D(9000))
    record(4)
    assert sales.departure.execute_due(at(5)) == 1  # the flow runner's round on the day
    sales.reps.move(at(5, 11), eve, team="south", region="south")
    record(5)
    deals.change_stage(at(6), d2, stage="closed_won")
    deals.change_stage(at(6), d1, stage="negotiation")
    deals.change_stage(at(6, 11), d3, stage="closed_won")
    record(6)
    sales.reps.set_commission_plan(at(7), dee, rate=D("0.06"),
                                   effective_from=date(2026, 11, 5))  # recorded late

    for day, answers in recorded.items():
        as_of = _instant(day)
        assert [get(qapi, "/v1/funnel", admin, **a, as_of=as_of)["stages"]
                for a in asks] == answers["funnel"], day
        for asked, then in zip(asks, answers["forecast"], strict=True):
            later = _figures(get(qapi, "/v1/forecast", admin, **asked, as_of=as_of))
            assert _same_facts(then, later), (day, asked)
        assert statements(as_of=as_of) == answers["statements"], day

    # the plan as executed: d2 and Acme (which follows it) to Dee, d1 and d3 to Eve
    handed = {i["id"]: (i["successor_id"], i["tier"]) for i in get(
        qapi, f"/v1/handovers/{ann}", admin)["items"]}
    assert handed == {d2: (dee, "lower"), acme: (dee, "lower"), d1: (eve, "middle"),
                      d3: (eve, "upper")}
    # by hand: Dee 20,000 (lower: Ann's share 0) at the plan in force on Nov 6 — 6 % now,
    # 8 % as issued on Nov 6, before the late plan; Eve and Ann half of d3's 5,000 each
    dees = get(qapi, f"/v1/commissions/{dee}", admin, period="2026-Q4")
    assert [(i["name"], D(i["share"]), i["credited_amount"], i["commission"])
            for i in dees["items"]] == [("deal 20000", 1, "20000.00", "1200.00")]
    assert [i["commission"] for i in recorded[6]["statements"][dee][0]] == ["1600.00"]
    eves, anns = (get(qapi, f"/v1/commissions/{r}", admin, period="2026-Q4") for r in (eve, ann))
    assert [(i["name"], i["role"], i["credited_amount"], i["commission"])
            for i in eves["items"]] == [("deal 5000", "owner", "2500.00", "125.00")]
    assert [(i["name"], i["role"], i["credited_amount"], i["commission"])
            for i in anns["items"]] == [("deal 5000", "departing", "2500.00", "250.00")]
    assert d4 not in handed
