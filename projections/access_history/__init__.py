"""Who could see a record at an instant, and why?

``projection`` keeps the records' owners and the reps' teams with the interval each held, and
every token's life; ``queries`` applies the access rule (``infra.service.visibility``: owner,
team manager, role) as it stood at the instant asked; ``answers`` are the API's shapes.
"""

from projections.access_history.projection import AccessHistoryProjection

__all__ = ["AccessHistoryProjection"]
