"""One forecast answer from the forecasts made for each currency alone (CONTRACT.md, "Money").

The trend is fitted, its backtest run, the method chosen and the pipeline weighted per
currency: a dollar series and a euro series are two series. The answer keeps its fields for
the common case of one currency and names it in ``currency``; ``by_currency`` holds each
currency's whole forecast (its method and why included), and every period lists its figures
per currency. With several currencies every money field outside ``by_currency`` is null
(``backtest.months`` too), as a sum would add euros to dollars; ``method`` is the currencies'
common method, else ``per_currency``, and ``method_reason`` gives each currency's reason.
A period's ``kind`` is the calendar's (which of its months have passed): the same for every
currency. Quotas carry no currency (a quota is set as an amount alone): they stay beside the
periods as set, added over the reps in scope and over a period's parts (``domain.quotas``).
"""

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.quotas import Quota

FIGURES = ("pipeline_weighted", "historical", "won", "history_won", "projected")
PER_CURRENCY = "per_currency"


def together(period: str, as_of: Any, parts: Mapping[str, dict[str, Any]],
             empty: dict[str, Any] | None, quota: Callable[[str], Quota | None],
             ) -> dict[str, Any]:
    """``parts``: currency -> its forecast; ``empty``: the forecast when there is no deal;
    ``quota``: the quota of a period label."""
    single = next(iter(parts.values())) if len(parts) == 1 else empty
    periods = _periods(parts, single, quota)
    first = single or next(iter(parts.values()))
    return {
        "period": period, "as_of": as_of, "periods": periods, **_method(parts, single),
        "backtest": single["backtest"] if single else _unknown(first["backtest"], "baseline"),
        "next_quarter": (single["next_quarter"] if single
                         else _unknown(first["next_quarter"], "period")),
        "fiscal_year": single["fiscal_year"] if single else _unknown(first["fiscal_year"], "period"),
        "quota": _total_quota(periods),
        "currency": next(iter(parts)) if len(parts) == 1 else None,
        "by_currency": [{"currency": c, **part} for c, part in sorted(parts.items())],
    }


def _periods(parts: Mapping[str, dict[str, Any]], single: dict[str, Any] | None,
             quota: Callable[[str], Quota | None]) -> list[dict[str, Any]]:
    per_label: dict[str, dict[str, Any]] = {}
    for currency, part in sorted(parts.items()):
        for row in part["periods"]:
            entry = per_label.setdefault(row["period"], {"period": row["period"],
                                                         "kind": row["kind"], "by_currency": []})
            entry["by_currency"].append({"currency": currency, **{k: row[k] for k in FIGURES}})
    rows = single["periods"] if single else [per_label[label] for label in sorted(per_label)]
    return [{**dict.fromkeys(FIGURES), **row, "by_currency": [],
             **per_label.get(row["period"], {}), **_quota(quota(row["period"]))}
            for row in rows]


def _method(parts: Mapping[str, dict[str, Any]], single: dict[str, Any] | None) -> dict[str, str]:
    if single is not None:
        return {"method": single["method"], "method_reason": single["method_reason"]}
    methods = {part["method"] for part in parts.values()}
    return {"method": methods.pop() if len(methods) == 1 else PER_CURRENCY,
            "method_reason": "; ".join(f"{c}: {part['method_reason']}"
                                       for c, part in sorted(parts.items()))}


def _quota(found: Quota | None) -> dict[str, Any]:
    if found is None:
        return {"quota": None, "quota_periods": []}
    return {"quota": _cents(found.amount), "quota_periods": list(found.periods)}


def _unknown(figures: dict[str, Any], keep: str) -> dict[str, Any]:
    """The figures with every value null but ``keep`` (a label)."""
    return {k: (v if k == keep else None) for k, v in figures.items()}


def _total_quota(periods: list[dict[str, Any]]) -> Decimal | None:
    quotas = [p["quota"] for p in periods if p["quota"] is not None]
    return sum(quotas, Decimal(0)) if quotas else None


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
