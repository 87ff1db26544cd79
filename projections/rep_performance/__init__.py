"""How is each rep doing against quota, and what commission is due?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.rep_performance.projection import PerformanceProjection

__all__ = ["PerformanceProjection"]
