"""Which follow-ups are due or overdue, and what does each lead channel bring?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.follow_ups_and_channels.projection import ActivitiesProjection

__all__ = ["ActivitiesProjection"]
