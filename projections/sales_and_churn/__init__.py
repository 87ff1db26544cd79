"""What did we sell, by period, region, product and rep, and which customers stopped buying?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model keeps the name it was registered with,
``reports``: ``sfa projections``, /healthz, /metrics and the stores written before show it so.
"""

from projections.sales_and_churn.projection import SalesAndChurnProjection

__all__ = ["SalesAndChurnProjection"]
