"""How did each deal stand at any instant? Every fact of a deal with the interval it held.

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model is named ``intervals``.
"""

from projections.deal_intervals.projection import DealIntervalsProjection

__all__ = ["DealIntervalsProjection"]
