"""Where does every deal stand, and how do deals flow between stages?

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns.
"""

from projections.funnel.projection import FunnelProjection

__all__ = ["FunnelProjection"]
