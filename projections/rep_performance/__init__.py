"""How is each rep doing against quota, and what commission is due?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model keeps the name it was registered with,
``performance``: ``sfa projections``, /healthz, /metrics and the stores written before show it so.
"""

from projections.rep_performance.projection import RepPerformanceProjection

__all__ = ["RepPerformanceProjection"]
