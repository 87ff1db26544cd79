"""What happened to a customer, event by event, as stored?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.customer_timeline.projection import TimelineProjection

__all__ = ["TimelineProjection"]
