"""What happened to a customer, event by event, as stored?

``projection`` keeps the index (which streams and stock movements belong to which account),
``answers`` are the shapes the API returns. The query lives in ``infra.readside.queries.timeline``:
it reads the events themselves from the event store and folds the domain's ``evolve``. The
model keeps the name it was registered with, ``timeline``: ``sfa projections``, /healthz,
/metrics and the stores written before show it so.
"""

from projections.customer_timeline.projection import CustomerTimelineProjection

__all__ = ["CustomerTimelineProjection"]
