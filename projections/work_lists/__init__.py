"""Which records are there to work on? Leads, accounts, deals, orders and reps, found by
filter, sort and words, a page at a time, with names beside every id.

``projection`` keeps the tables, ``queries`` asks them (through a ``projections.base.Reader``),
``answers`` are the shapes the API returns. Stock items are listed from the inventory model.
"""

from projections.work_lists.projection import WorkListsProjection

__all__ = ["WorkListsProjection"]
