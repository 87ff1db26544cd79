"""Totals that never add different currencies (CONTRACT.md, "Money").

An answer's record (a stage, a rep, a channel, an account) keeps its money fields for the
common case of one currency, names that currency in ``currency``, and lists the figures of
every currency in ``by_currency``:
- no money at all: money fields 0.00, ``currency`` null, ``by_currency`` empty;
- one currency: money fields are that currency's, ``currency`` names it;
- several: money fields null (a sum would add euros to dollars), ``currency`` null, and
  ``by_currency`` carries the figures, one entry per currency, by currency code.
Counts (deals, orders, wins) are not money: they stay summed over every currency.
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def split_by_currency(parts: Iterable[Mapping[str, Any]], money: Sequence[str],
                      counts: Sequence[str] = ()) -> dict[str, Any]:
    """``parts``: one mapping per currency with ``currency`` and the figures. Returns the
    record's figures: ``currency``, the money and count fields, and ``by_currency``."""
    entries = sorted(({"currency": p["currency"], **{c: int(p[c] or 0) for c in counts},
                       **{m: cents(p[m]) for m in money}} for p in parts),
                     key=lambda e: str(e["currency"]))
    single = entries[0] if len(entries) == 1 else None
    totals: dict[str, Any] = {c: sum(e[c] for e in entries) for c in counts}
    for m in money:
        totals[m] = single[m] if single else (cents(0) if not entries else None)
    return {**totals, "currency": single["currency"] if single else None, "by_currency": entries}
