"""What did each departing rep hand over, to whom, who must act, and what is left?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. The model keeps the name it was registered with,
``handover``: ``sfa projections``, /healthz, /metrics and the stores written before show it so.
"""

from projections.handovers.projection import HandOverProjection

__all__ = ["HandOverProjection"]
