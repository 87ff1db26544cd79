"""The projector process: keeps every read model at the head of the log until stopped.

``sfa serve --workers N`` runs it as a child process under a ``ProjectorSupervisor``: a
child that dies for any reason is reported and started again (with back-off), never left a
zombie, and it dies with the server. Its heartbeat (``infra.readside.follower``) tells ``/healthz``
whether it is alive meanwhile.
"""

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from types import FrameType

from infra.bootstrap import Root
from infra.memory import settle_garbage_collector
from infra.readside.follower import Backoff, follow_until_stopped
from infra.readside.read_models import die_with_parent
from infra.settings import Settings

log = logging.getLogger("uvicorn.error")  # the server's log: where an operator looks
RESTART_BACKOFF = (1.0, 30.0)  # seconds: first and longest wait before a dead child restarts
STEADY_AFTER = 60.0  # seconds: a child that lived this long restarts after the shortest wait


def run(settings: Settings, stop: threading.Event | None = None) -> None:
    """Follows the log; SIGTERM or SIGINT stop it after the current batch."""
    stop = stop or threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settle_garbage_collector()  # a process of its own (sfa serve, sfa project)
    with Root(settings) as root:
        flows = threading.Thread(target=resume_flows, args=(root, stop), name="flows",
                                 daemon=True)
        flows.start()
        follow_until_stopped(root.read_models, stop)
        flows.join(timeout=10)


def resume_flows(root: Root, stop: threading.Event) -> None:
    """Resumes interrupted flows on a timer (``SFA_FLOW_RESUME_INTERVAL``) until ``stop``."""
    root.sales.flows.keep_resuming(stop, root.settings.flow_resume_interval)


def run_child(settings: Settings) -> None:
    """The child of ``sfa serve``: killed with the supervising thread (``kill -9`` included)."""
    die_with_parent()
    run(settings)


class ProjectorSupervisor:
    """Keeps one projector child running beside the API workers until ``stop``."""

    def __init__(self, settings: Settings) -> None:
        # one node name for every child it starts: a child started again takes the read
        # models of the one that died back at once (infra.readside.leases)
        self.settings = settings if settings.projector_node else settings.model_copy(
            update={"projector_node": f"{socket.gethostname()}:serve-{os.getpid()}"})
        self.stopping = threading.Event()
        self.context = multiprocessing.get_context("spawn")
        self.child: multiprocessing.process.BaseProcess | None = None
        self.starts = 0
        self.thread = threading.Thread(target=self._watch, name="projector-supervisor",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)

    def _watch(self) -> None:
        backoff = Backoff(*RESTART_BACKOFF)
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                child = self._start_child()
                while child.is_alive() and not self.stopping.is_set():
                    child.join(timeout=0.5)  # join also reaps it: no zombie
                if self.stopping.is_set():
                    return
                if time.monotonic() - started > STEADY_AFTER:
                    backoff.reset()
                wait = backoff.next()
                log.error("projector process %s exited with status %s; starting it again in "
                          "%.0f s", child.pid, child.exitcode, wait)
                self.stopping.wait(wait)
        finally:
            self._end_child()

    def _start_child(self) -> multiprocessing.process.BaseProcess:
        child = self.context.Process(target=run_child, args=(self.settings,),
                                     name="sfa-projectors", daemon=True)
        child.start()
        self.child, self.starts = child, self.starts + 1
        return child

    def _end_child(self) -> None:
        child = self.child
        if child is None or not child.is_alive():
            return
        child.terminate()
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)
