"""Segments of a splittable read model (``Projection.splittable``).

A generation of such a model may be built in ``SFA_PROJECTION_SEGMENTS`` segments: segment
``i`` of ``n`` applies the events of the streams whose hash (CRC-32 of the stream id, the same
in every process) is ``i`` modulo ``n``, with a position of its own
(``sfa_projection_segments``). Its rows are written to the model's tables like any others —
the model's questions guarantee that no row belongs to two streams. The registry's position
of the generation is the lowest of its segments' (every event up to it is in the model,
which is what ``min_position`` asks).

A generation in segments is swapped in once every segment has caught up with the head once
(``caught_up``) and the lowest of them is not behind the generation serving now: the holders
of its segments keep them at the head until then, and whichever of them finds the condition
true swaps it in.

Each segment is a share of its own among projector nodes (``infra.readside.leases``), named
``model/i``; with one segment configured, the share is the model's name. A generation built
with another count than the one configured is followed (segment ``i`` by the holder of share
``i`` modulo the configured count) and rebuilt with the configured count.
"""

import zlib

SEGMENTS = "sfa_projection_segments"
CREATE_SEGMENTS = f"""CREATE TABLE IF NOT EXISTS {SEGMENTS} (
    name TEXT NOT NULL, generation INTEGER NOT NULL, segment INTEGER NOT NULL,
    position BIGINT NOT NULL DEFAULT 0, caught_up BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (name, generation, segment))"""


def segment_of(stream_id: str, count: int) -> int:
    """The segment (of ``count``) that applies the events of ``stream_id``."""
    return zlib.crc32(stream_id.encode()) % count


def share_of(name: str, segment: int | None, configured: int) -> str:
    """The lease under which a node applies ``segment`` of a generation of model ``name``
    (None: a generation in one piece)."""
    if configured <= 1:
        return name
    return f"{name}/{(segment or 0) % configured}"


def shares(name: str, splittable: bool, configured: int) -> list[str]:
    """The shares of a model among nodes."""
    count = configured if splittable else 1
    return [name] if count <= 1 else [f"{name}/{i}" for i in range(count)]
