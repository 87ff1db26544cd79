"""The cyclic garbage collector in a long-running process (an API worker, the projectors).

CPython's collector walks every tracked object of a generation it collects, and a full
collection walks them all. A server's start-up leaves about 125,000 objects (modules, the
app, its routes and schemas) that live until it stops: each full collection walked them,
30–150 ms under load in which the worker's event loop answered nothing (most of the API's
99th-percentile latency, measured with ``gc.callbacks`` under bench/api.py). Our own request
handling makes no reference cycles (a stored error's traceback was one, see
``GroupCommitter.append_async``), so garbage is freed by reference counting and the
collector is needed only as a safety net.
"""

import gc

# Young objects before a collection (CPython's default is 700: under load that ran on
# in-flight requests' objects many times a second, promoting them to older generations);
# the older generations then run rarely.
THRESHOLDS = (10_000, 10, 100)


def settle_garbage_collector() -> None:
    """Collects once, moves every surviving object out of the collector's sight for good
    (``gc.freeze``: start-up objects are never garbage) and widens the young generation.
    Call once a process has started up, before it serves."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
