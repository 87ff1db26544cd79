"""What did we sell, by period, region, product and rep, and which customers stopped buying?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.sales_and_churn.projection import ReportsProjection

__all__ = ["ReportsProjection"]
