"""One forecast answer from the forecasts made for each currency alone (CONTRACT.md, "Money").

The trend is fitted, and the pipeline weighted, per currency: a dollar series and a euro
series are two series. The answer keeps its fields for the common case of one currency and
names it in ``currency``; ``by_currency`` holds each currency's whole forecast, and every
period lists its figures per currency. With several currencies the money fields outside
``by_currency`` are null (``backtest.months`` too), as a sum would add euros to dollars.
Quotas carry no currency: they stay beside the periods as set.
"""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FIGURES = ("pipeline_weighted", "historical", "won")


def together(period: str, as_of: Any, parts: Mapping[str, dict[str, Any]],
             empty: dict[str, Any] | None, quotas: Mapping[str, Decimal] | None,
             ) -> dict[str, Any]:
    """``parts``: currency -> its forecast; ``empty``: the forecast when there is no deal."""
    single = next(iter(parts.values())) if len(parts) == 1 else empty
    periods = _periods(parts, single, quotas)
    first = single or next(iter(parts.values()))
    return {
        "period": period, "as_of": as_of, "periods": periods,
        "backtest": single["backtest"] if single else _unknown(first["backtest"], "baseline"),
        "next_quarter": (single["next_quarter"] if single
                         else _unknown(first["next_quarter"], "period")),
        "fiscal_year": single["fiscal_year"] if single else _unknown(first["fiscal_year"], "period"),
        "quota": _total_quota(periods),
        "currency": next(iter(parts)) if len(parts) == 1 else None,
        "by_currency": [{"currency": c, **part} for c, part in sorted(parts.items())],
    }


def _periods(parts: Mapping[str, dict[str, Any]], single: dict[str, Any] | None,
             quotas: Mapping[str, Decimal] | None) -> list[dict[str, Any]]:
    per_label: dict[str, dict[str, Any]] = {}
    for currency, part in sorted(parts.items()):
        for row in part["periods"]:
            entry = per_label.setdefault(row["period"], {"period": row["period"], "by_currency": []})
            entry["by_currency"].append({"currency": currency, **{k: row[k] for k in FIGURES}})
    rows = single["periods"] if single else [{"period": label} for label in sorted(per_label)]
    return [{**dict.fromkeys(FIGURES), **row, "by_currency": [],
             **per_label.get(row["period"], {}),
             "quota": None if quotas is None else _cents(quotas.get(row["period"]))}
            for row in rows]


def _unknown(figures: dict[str, Any], keep: str) -> dict[str, Any]:
    """The figures with every value null but ``keep`` (a label)."""
    return {k: (v if k == keep else None) for k, v in figures.items()}


def _total_quota(periods: list[dict[str, Any]]) -> Decimal | None:
    quotas = [p["quota"] for p in periods if p["quota"] is not None]
    return sum(quotas, Decimal(0)) if quotas else None


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
