"""What did each departing rep hand over, to whom, who must act, and what is left?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.handovers.projection import HandOverProjection

__all__ = ["HandOverProjection"]
