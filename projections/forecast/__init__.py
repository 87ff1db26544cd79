"""What will we win, month by month, against quota?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.forecast.projection import ForecastProjection

__all__ = ["ForecastProjection"]
