"""The pure rules: stages and tiers, duplicate keys, lead score, evaluation, hand-over policy
and lead distribution (prices: test_pricing.py)."""

from datetime import date
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.activities import FollowUp, overdue
from domain.dedup import duplicate_keys, normalise_email, normalise_name, normalise_phone
from domain.distribution import least_loaded, round_robin
from domain.errors import DomainError, InvalidTransitionError, ValidationError
from domain.evaluation import Evaluation, evaluate
from domain.handover import (
    Departure,
    HandOverPlan,
    HandOverStatus,
    OpenItem,
    account_tier,
    following,
    next_status,
    plan_departure,
    plan_handover,
)
from domain.scoring import LeadProfile, ScoreFactor, ScoringModel, score_lead
from domain.stages import DEFAULT_PROBABILITIES, Stage, is_open, probability_of, tier_of
from domain.values import Tier

# --- stages ----------------------------------------------------------------------------------


def test_default_stage_probabilities() -> None:
    assert {stage.value: probability_of(stage) for stage in Stage} == {
        "prospecting": 10, "qualification": 25, "proposal": 50, "negotiation": 75,
        "closed_won": 100, "closed_lost": 0,
    }


def test_stage_probabilities_are_configurable() -> None:
    table = MappingProxyType({**DEFAULT_PROBABILITIES, Stage.PROPOSAL: 40})
    assert (probability_of(Stage.PROPOSAL, table), probability_of(Stage.NEGOTIATION, table)) == (
        40, 75)


def test_the_default_table_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        DEFAULT_PROBABILITIES[Stage.PROPOSAL] = 40  # type: ignore[index]


@pytest.mark.parametrize(
    ("probability", "tier"),
    [(0, Tier.UPPER), (10, Tier.UPPER), (25, Tier.UPPER), (49, Tier.UPPER), (50, Tier.MIDDLE),
     (51, Tier.LOWER), (75, Tier.LOWER), (90, Tier.LOWER)],
)
def test_tier_of_probability(probability: int, tier: Tier) -> None:
    assert tier_of(probability) is tier


def test_only_won_and_lost_are_closed_stages() -> None:
    assert [stage.value for stage in Stage if not is_open(stage)] == ["closed_won", "closed_lost"]


# --- dedup -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "email", ["anna.schmidt@acme.example", "Anna.Schmidt@ACME.example",
              " anna.schmidt+newsletter@acme.example ", "ANNA.SCHMIDT+a+b@Acme.Example"],
)
def test_normalise_email_ignores_case_and_plus_tags(email: str) -> None:
    assert normalise_email(email) == "anna.schmidt@acme.example"


@pytest.mark.parametrize(
    "phone", ["+49 (30) 1234-567", "0049301234567", "+49-30-1234567", "0049 30 123 45 67"],
)
def test_normalise_phone_reads_international_formats_alike(phone: str) -> None:
    assert normalise_phone(phone) == "49301234567"


@pytest.mark.parametrize("phone", ["", "  ", "12345", "+1 23"])
def test_normalise_phone_gives_nothing_for_short_numbers(phone: str) -> None:
    assert normalise_phone(phone) == ""


@pytest.mark.parametrize("company", ["Acme GmbH", "ACME", "Acme Inc.", " acme, ltd ", "Acme Corp."])
def test_normalise_name_drops_case_punctuation_and_legal_suffixes(company: str) -> None:
    assert normalise_name(company) == "acme"


@pytest.mark.parametrize(
    ("name", "normalised"),
    [("Müller & Söhne AG", "muller sohne"), ("Société Générale", "societe generale"),
     ("José Núñez", "jose nunez"), ("MÜLLER", "muller")],
)
def test_normalise_name_folds_accents(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


def test_duplicate_keys_name_email_phone_and_company_person() -> None:
    keys = duplicate_keys("Anna Schmidt", "Acme GmbH", "Anna.Schmidt+fair@Acme.example",
                          "+49 (30) 1234-567")
    assert keys == ("email:anna.schmidt@acme.example", "phone:49301234567",
                    "name:acme|anna schmidt")


def test_duplicate_keys_of_the_same_person_written_differently_match() -> None:
    first = duplicate_keys("José Núñez", "Acme GmbH", "jose@acme.example", "0049301234567")
    second = duplicate_keys("Jose Nunez", "ACME", "JOSE+crm@acme.example", "+49 (30) 1234-567")
    assert first == second


def test_duplicate_keys_leave_out_what_is_missing() -> None:
    assert duplicate_keys("Anna", "", " ", None) == ()
    assert duplicate_keys("", "Acme", "anna@acme.example", "123") == ("email:anna@acme.example",)


def test_duplicate_keys_of_different_people_with_non_latin_names_do_not_collide() -> None:
    # Names in Cyrillic (or Greek, CJK, ...) must not all fold to the same empty name key.
    ivan = duplicate_keys("Иван Петров", "Газпром", "", None)
    olga = duplicate_keys("Ольга Смирнова", "Роснефть", "", None)
    assert set(ivan) & set(olga) == set()


# --- scoring ---------------------------------------------------------------------------------

PROFILE = LeadProfile("Software", 250, "North", "referral", ("crm", "erp"))


def test_score_lists_every_factor_that_gave_points() -> None:
    score, factors = score_lead(PROFILE, {"site_visit": 3, "seminar": 1})
    assert score == 67
    assert factors == (
        ScoreFactor("industry", 15, "software"),
        ScoreFactor("company_size", 15, ">= 200 employees"),
        ScoreFactor("region", 5, "north"),
        ScoreFactor("channel", 15, "referral"),
        ScoreFactor("interests", 6, "crm, erp"),
        ScoreFactor("intent", 11, "1x seminar, 3x site_visit"),
    )


def test_score_leaves_out_factors_without_points() -> None:
    profile = LeadProfile("mining", 5, "abroad", "purchased_list")
    assert score_lead(profile, {"unknown_kind": 4}) == (0, ())


@pytest.mark.parametrize(
    ("size", "points", "band"),
    [(10_000, 20, 1000), (1000, 20, 1000), (999, 15, 200), (200, 15, 200), (50, 10, 50),
     (10, 5, 10)],
)
def test_score_company_size_takes_the_highest_band_reached(size: int, points: int,
                                                           band: int) -> None:
    _, factors = score_lead(LeadProfile(None, size, None, "purchased_list"), {})
    assert factors == (ScoreFactor("company_size", points, f">= {band} employees"),)


def test_score_company_size_below_the_smallest_band_gives_nothing() -> None:
    assert score_lead(LeadProfile(None, 9, None, "purchased_list"), {}) == (0, ())


def test_score_interest_points_are_capped() -> None:
    profile = LeadProfile(None, None, None, "purchased_list", tuple(f"topic-{n}" for n in range(7)))
    _, factors = score_lead(profile, {})
    assert [(f.name, f.points) for f in factors] == [("interests", 15)]


def test_score_engagement_points_are_capped() -> None:
    score, factors = score_lead(LeadProfile(None, None, None, "purchased_list"),
                                {"demo_request": 3})
    assert (score, factors) == (30, (ScoreFactor("intent", 30, "3x demo_request"),))


def test_score_is_capped_at_100() -> None:
    generous = ScoringModel(max_engagement_points=200)
    score, factors = score_lead(PROFILE, {"demo_request": 10}, generous)
    assert sum(f.points for f in factors) == 206
    assert score == 100


# --- evaluation ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("scores", "priority", "win_probability"),
    [((10, 10, 10, 0), "high", 95), ((0, 0, 0, 10), "low", 5), ((5, 5, 5, 5), "medium", 50),
     ((8, 7, 6, 4), "medium", 67), ((9, 9, 8, 2), "high", 82), ((2, 3, 2, 8), "low", 26)],
)
def test_evaluate_gives_priority_and_win_probability(scores: tuple[int, int, int, int],
                                                     priority: str, win_probability: int) -> None:
    assert evaluate(*scores) == Evaluation(*scores, priority, win_probability)


@pytest.mark.parametrize(
    ("scores", "priority"),
    [((0, 6, 9, 8), "medium"),  # weighted exactly 4.0
     ((3, 9, 8, 1), "high")],  # weighted exactly 7.0
    ids=["weighted-4.0-is-medium", "weighted-7.0-is-high"],
)
def test_evaluate_priority_at_the_exact_thresholds(scores: tuple[int, int, int, int],
                                                   priority: str) -> None:
    assert evaluate(*scores).priority == priority


@pytest.mark.parametrize(
    ("scores", "field"),
    [((11, 5, 5, 5), "budget"), ((5, -1, 5, 5), "need"), ((5, 5, 11, 5), "authority"),
     ((5, 5, 5, -1), "competition")],
)
def test_evaluate_refuses_scores_outside_0_to_10(scores: tuple[int, int, int, int],
                                                 field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        evaluate(*scores)
    assert (caught.value.code, caught.value.field) == ("invalid_input", field)


# --- hand-over policy ------------------------------------------------------------------------

EFFECTIVE = date(2026, 3, 31)
DEPARTURE = Departure("rep-1", "rep-2", "mgr-1", EFFECTIVE)


def test_lower_tier_is_taken_over_by_the_manager_on_the_effective_date() -> None:
    assert plan_handover(Tier.LOWER, DEPARTURE) == HandOverPlan(
        Tier.LOWER, "manager_introduces_successor_in_person", "mgr-1", EFFECTIVE)


def test_lower_tier_without_a_manager_falls_back_to_the_successor() -> None:
    departure = Departure("rep-1", "rep-2", None, EFFECTIVE)
    assert plan_handover(Tier.LOWER, departure).actor_id == "rep-2"


def test_middle_tier_is_introduced_by_the_departing_rep_on_the_effective_date() -> None:
    assert plan_handover(Tier.MIDDLE, DEPARTURE) == HandOverPlan(
        Tier.MIDDLE, "departing_rep_calls_and_fixes_next_meeting", "rep-1", EFFECTIVE)


def test_upper_tier_is_called_by_the_successor_a_week_later() -> None:
    assert plan_handover(Tier.UPPER, DEPARTURE) == HandOverPlan(
        Tier.UPPER, "successor_calls_customer", "rep-2", date(2026, 4, 7))


@pytest.mark.parametrize(
    ("tiers", "tier"),
    [([Tier.UPPER, Tier.MIDDLE, Tier.LOWER], Tier.LOWER), ([Tier.MIDDLE, Tier.UPPER], Tier.MIDDLE),
     ([Tier.UPPER, Tier.UPPER], Tier.UPPER), ([], Tier.UPPER)],
)
def test_account_follows_its_most_advanced_open_opportunity(tiers: list[Tier], tier: Tier) -> None:
    assert account_tier(tiers) is tier


def test_next_status_moves_pending_to_introduced_to_completed() -> None:
    assert next_status("pending", "introduced") is HandOverStatus.INTRODUCED
    assert next_status("introduced", "completed") is HandOverStatus.COMPLETED


def test_following_names_the_one_step_next_status_takes() -> None:
    assert [following(s) for s in ("pending", "introduced", "completed")] == [
        HandOverStatus.INTRODUCED, HandOverStatus.COMPLETED, None]


@pytest.mark.parametrize(
    ("current", "requested"),
    [(None, "introduced"), ("pending", "completed"), ("pending", "pending"),
     ("introduced", "introduced"), ("introduced", "pending"), ("completed", "completed")],
)
def test_next_status_refuses_skips_repeats_and_reversals(current: str | None,
                                                         requested: str) -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        next_status(current, requested)
    assert caught.value.code == "invalid_transition"


# --- distribution ----------------------------------------------------------------------------

def test_round_robin_goes_through_the_reps_in_id_order_and_wraps_around() -> None:
    candidates = ["rep-c", "rep-a", "rep-b"]
    assert [round_robin(candidates, n) for n in range(5)] == [
        "rep-a", "rep-b", "rep-c", "rep-a", "rep-b"]


def test_least_loaded_picks_the_rep_with_fewest_open_leads() -> None:
    assert least_loaded({"rep-a": 4, "rep-b": 2, "rep-c": 3}) == "rep-b"


def test_least_loaded_tie_goes_to_the_smallest_rep_id() -> None:
    assert least_loaded({"rep-c": 1, "rep-b": 1, "rep-d": 5}) == "rep-b"


@pytest.mark.parametrize("pick", [lambda: round_robin([], 0), lambda: least_loaded({})],
                         ids=["round_robin", "least_loaded"])
def test_distribution_without_candidates_is_refused(pick: object) -> None:
    with pytest.raises(DomainError) as caught:
        pick()  # type: ignore[operator]
    assert (type(caught.value), caught.value.code) == (DomainError, "rule_violation")


# --- follow-ups ------------------------------------------------------------------------------

def test_overdue_follow_ups_are_the_open_ones_due_before_today() -> None:
    follow_ups = {
        "late": FollowUp("late", date(2026, 3, 1), "call back"),
        "done": FollowUp("done", date(2026, 2, 1), "sent", done=True),
        "today": FollowUp("today", date(2026, 3, 2), ""),
        "later": FollowUp("later", date(2026, 3, 9), ""),
    }
    assert overdue(follow_ups, date(2026, 3, 2)) == [follow_ups["late"]]


# --- a departure's plan ------------------------------------------------------------------------


def test_a_plan_splits_by_item_and_by_account_and_accounts_follow_their_deals() -> None:
    items = [OpenItem("opportunity", "d-lower", "acme", 75), OpenItem("opportunity", "d-up", "acme", 10),
             OpenItem("opportunity", "d-mid", "beta", 50), OpenItem("account", "acme"),
             OpenItem("account", "beta"), OpenItem("account", "gamma"), OpenItem("lead", "l1")]
    planned = plan_departure(items, DEPARTURE, {"d-lower": "cy", "beta": "dee"})

    assert [(p.item.item_id, p.plan.tier, p.successor_id, p.plan.actor_id) for p in planned] == [
        ("d-lower", Tier.LOWER, "cy", "mgr-1"),  # named
        ("d-up", Tier.UPPER, "rep-2", "rep-2"),  # not named, nor is its account: the default
        ("d-mid", Tier.MIDDLE, "dee", "rep-1"),  # goes with its account, named
        ("acme", Tier.LOWER, "cy", "mgr-1"),  # follows its most advanced deal
        ("beta", Tier.MIDDLE, "dee", "rep-1"),
        ("gamma", Tier.UPPER, "rep-2", "rep-2"),  # no open deal: upper, the default
        ("l1", Tier.UPPER, "rep-2", "rep-2")]


@given(st.lists(st.tuples(st.sampled_from(["opportunity", "account", "lead"]),
                          st.sampled_from(["a1", "a2", None]), st.integers(0, 95)),
                max_size=12),
       st.dictionaries(st.integers(0, 11), st.sampled_from(["s1", "s2", "s3"]), max_size=5))
def test_every_open_item_is_planned_once_and_a_named_one_goes_where_named(
        shapes: list[tuple[str, str | None, int]], named: dict[int, str]) -> None:
    items = [OpenItem(kind, f"i{n}" if kind != "account" else (account or f"i{n}"),
                      account if kind == "opportunity" else None, probability)
             for n, (kind, account, probability) in enumerate(shapes)]
    items = list({i.item_id: i for i in items}.values())
    assignments = {items[n].item_id: s for n, s in named.items() if n < len(items)}

    planned = plan_departure(items, DEPARTURE, assignments)

    assert sorted(p.item.item_id for p in planned) == sorted(i.item_id for i in items)
    for p in planned:
        assert p.successor_id == assignments.get(p.item.item_id, p.successor_id)
        actor = {Tier.LOWER: "mgr-1", Tier.MIDDLE: "rep-1", Tier.UPPER: p.successor_id}
        assert p.plan.actor_id == actor[p.plan.tier]
