"""The projector process: keeps every read model at the head of the log until stopped."""

import logging
import signal
import threading
from types import FrameType

from infra.bootstrap import bootstrap
from infra.memory import settle_garbage_collector
from infra.read_models import ReadModels
from infra.settings import Settings


def run(settings: Settings, stop: threading.Event | None = None) -> None:
    """Follows the log; SIGTERM or SIGINT stop it after the current batch."""
    stop = stop or threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    models = ReadModels(settings)
    flows = threading.Thread(target=resume_flows, args=(settings, stop), name="flows",
                             daemon=True)
    flows.start()
    settle_garbage_collector()  # a process of its own (sfa serve, sfa project)
    try:
        models.follow(stop)
    finally:
        models.close()


def resume_flows(settings: Settings, stop: threading.Event) -> None:
    """Resumes interrupted flows on a timer (``SFA_FLOW_RESUME_INTERVAL``) until ``stop``."""
    sales = bootstrap(settings)
    try:
        sales.flows.keep_resuming(stop, settings.flow_resume_interval)
    finally:
        sales.close()
