"""Every read model, by name. A projection added here is built from the first event by itself."""

from projections.activities import ActivitiesProjection
from projections.base import Projection
from projections.forecasts import ForecastProjection
from projections.funnel import FunnelProjection
from projections.handover import HandOverProjection
from projections.inventory import InventoryProjection
from projections.performance import PerformanceProjection
from projections.reports import ReportsProjection
from projections.timeline import TimelineProjection

ALL: tuple[Projection, ...] = (
    FunnelProjection(), HandOverProjection(), InventoryProjection(), ForecastProjection(),
    TimelineProjection(), PerformanceProjection(), ActivitiesProjection(), ReportsProjection(),
)
BY_NAME: dict[str, Projection] = {p.name: p for p in ALL}
