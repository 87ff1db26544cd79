"""Which follow-ups are due or overdue, and what does each lead channel bring?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model keeps the name it was registered with,
``activities``: ``sfa projections``, /healthz, /metrics and the stores written before show it so.
"""

from projections.follow_ups_and_channels.projection import FollowUpsAndChannelsProjection

__all__ = ["FollowUpsAndChannelsProjection"]
