"""What will we win, month by month, against quota?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model keeps the name it was registered with,
``forecasts``: ``sfa projections``, /healthz, /metrics and the stores written before show it so.
"""

from projections.forecast.projection import ForecastProjection

__all__ = ["ForecastProjection"]
