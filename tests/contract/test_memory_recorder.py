"""The in-memory recorder (``memory://``, for service-layer tests) against the library's own
application-recorder contract, plus what our server recorders add: duplicate-key claims and
read-stream checks, atomic with the events."""

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from infra.eventstore.memory import MemorySalesRecorder


class TestMemoryRecorderContract(ApplicationRecorderTestCase[MemorySalesRecorder]):
    def create_recorder(self) -> MemorySalesRecorder:
        return MemorySalesRecorder()


def _event(stream_id, version=1, topic="RepHired") -> StoredEvent:
    return StoredEvent(stream_id, version, topic, b"{}")


def test_a_claimed_key_fails_a_second_insert_and_stores_none_of_it():
    recorder, a, b = MemorySalesRecorder(), uuid4(), uuid4()
    assert recorder.insert_events([_event(a)], claimed_keys=[("k1", str(a))]) == [1]

    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(b)], claimed_keys=[("k2", str(b)), ("k1", str(b))])

    assert recorder.select_events(b) == []
    assert recorder.max_notification_id() == 1
    assert recorder.find_claims(["k1", "k2", "k3"]) == {"k1": str(a)}


def test_one_insert_claiming_a_key_twice_fails_whole():
    recorder, a = MemorySalesRecorder(), uuid4()

    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(a)], claimed_keys=[("k", str(a)), ("k", str(a))])

    assert (recorder.max_notification_id(), recorder.find_claims(["k"])) == (None, {})


def test_a_version_taken_keeps_the_claims_of_the_failed_insert_out():
    recorder, a = MemorySalesRecorder(), uuid4()
    recorder.insert_events([_event(a)])

    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(a)], claimed_keys=[("k", str(a))])

    assert recorder.find_claims(["k"]) == {}


def test_an_insert_fails_when_a_stream_it_read_has_changed_since():
    recorder, read, written = MemorySalesRecorder(), uuid4(), uuid4()
    recorder.insert_events([_event(read, 1), _event(read, 2)])

    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(written)], unchanged=[(read, 1)], claimed_keys=[("k", "x")])
    ids = recorder.insert_events([_event(written)], unchanged=[(read, 2), (uuid4(), 0)])

    assert ids == [3]
    assert recorder.find_claims(["k"]) == {}
    assert [e.originator_version for e in recorder.select_events(written)] == [1]
