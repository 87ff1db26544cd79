"""Every read model, by name. A projection added here is built from the first event by itself."""

from projections.base import Projection
from projections.customer_timeline import CustomerTimelineProjection
from projections.follow_ups_and_channels import FollowUpsAndChannelsProjection
from projections.forecast import ForecastProjection
from projections.funnel import FunnelProjection
from projections.handovers import HandOverProjection
from projections.inventory import InventoryProjection
from projections.rep_performance import RepPerformanceProjection
from projections.sales_and_churn import SalesAndChurnProjection

ALL: tuple[Projection, ...] = (
    FunnelProjection(), HandOverProjection(), InventoryProjection(), ForecastProjection(),
    CustomerTimelineProjection(), RepPerformanceProjection(), FollowUpsAndChannelsProjection(),
    SalesAndChurnProjection(),
)
BY_NAME: dict[str, Projection] = {p.name: p for p in ALL}
