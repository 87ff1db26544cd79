"""Every read model, by name. A projection added here is built from the first event by itself."""

from projections.base import Projection
from projections.funnel import FunnelProjection

ALL: tuple[Projection, ...] = (FunnelProjection(),)
BY_NAME: dict[str, Projection] = {p.name: p for p in ALL}
