"""Which quota holds for a period: the one set for it, else the sum of its parts (pure)."""

from decimal import Decimal as D

import pytest

from domain.errors import ValidationError
from domain.quotas import Quota, parts_of, quota_of, total, within


def test_a_period_set_keeps_its_own_quota_even_when_its_parts_have_one():
    quotas = {"FY2026": D(400000), "2026-Q4": D(120000), "2026-11": D(50000)}

    assert quota_of("FY2026", quotas) == Quota(D(400000), ("FY2026",))
    assert quota_of("2026-Q4", quotas) == Quota(D(120000), ("2026-Q4",))
    assert quota_of("2026-11", quotas) == Quota(D(50000), ("2026-11",))


def test_a_year_without_a_quota_adds_its_quarters_and_a_quarter_its_months():
    quotas = {"2026-Q1": D(10000), "2026-Q2": D(20000), "2026-10": D(3000),
              "2026-11": D(4000), "2026-02": D(99999)}  # February: Q1 has its own

    assert quota_of("FY2026", quotas) == Quota(
        D(37000), ("2026-Q1", "2026-Q2", "2026-10", "2026-11"))
    assert quota_of("2026-Q4", quotas) == Quota(D(7000), ("2026-10", "2026-11"))
    assert quota_of("2026-Q3", quotas) is None
    assert quota_of("2026-12", quotas) is None  # never split down from a quarter
    assert quota_of("FY2027", quotas) is None


def test_a_teams_quota_adds_its_reps_quotas_each_found_alone():
    ann = {"FY2026": D(100000), "2026-Q1": D(1)}
    bob = {"2026-Q1": D(20000), "2026-Q2": D(30000)}

    found = total(quota_of("FY2026", q) for q in (ann, bob, {}))

    assert found == Quota(D(150000), ("FY2026", "2026-Q1", "2026-Q2"))
    assert total([None, None]) is None


def test_parts_and_the_periods_within():
    assert parts_of("FY2026") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert parts_of("2026-Q3") == ["2026-07", "2026-08", "2026-09"]
    assert parts_of("2026-07") == []
    assert within("2026-Q2") == ["2026-Q2", "2026-04", "2026-05", "2026-06"]
    assert len(within("FY2026")) == 1 + 4 + 12
    with pytest.raises(ValidationError, match="period"):
        quota_of("2026-13", {})
