"""Configuration from the environment (CONTRACT.md), validated at start-up."""

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./.sfa/sfa.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFA_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    # where the read models, their registry and the projectors' positions live; none: the
    # store's own database (the embedded default). See ``read_side``.
    read_database_url: str | None = None
    # this projector's name among the nodes sharing the read models (infra.readside.leases);
    # unset: host:pid. ``sfa project --node`` sets it.
    projector_node: str | None = Field(default=None, min_length=1, max_length=100,
                                       pattern=r"^[A-Za-z0-9_.:@-]+$")
    kafka_bootstrap: str | None = None
    kafka_topic: str = "sfa.events"
    pool_size: int = 5
    projection_batch: int = 1000  # events per read-model transaction
    # rows each read model's projector keeps between batches (infra.readside.row_cache)
    projection_cache_rows: int = Field(default=20_000, ge=100)
    # segments a splittable read model is split into (``Projection.splittable``), each a
    # share of its own among projector nodes; every node of a store must use the same
    projection_segments: int = Field(default=1, ge=1, le=64)
    # under sustained writes, the live projectors take a batch at most this often (seconds):
    # bigger batches, far less work per event, at the cost of this much more lag
    projection_interval: float = Field(default=0.02, ge=0, le=5)
    # concurrent commands share write transactions (infra.eventstore.group_commit); off:
    # one transaction per command (infra.eventstore.committer.SimpleCommitter)
    group_commit: bool = True
    run_projectors: bool = True  # the API process also follows the log (embedded default)
    # a serving process freezes its start-up objects for the garbage collector (infra.memory);
    # ``sfa serve`` sets it, tests that start many apps in one process leave it off
    settle_gc: bool = False
    max_body_bytes: int = Field(default=1_048_576, ge=1)  # larger request bodies: 413
    # bounded waits on the database (seconds): a stalled or locked database answers 503
    # with Retry-After instead of holding every request (README, "Limits")
    db_statement_timeout: float = Field(default=5.0, gt=0, le=3600)
    db_lock_timeout: int = Field(default=5, ge=1, le=3600)  # also SQLite's busy timeout
    db_pool_timeout: float = Field(default=5.0, gt=0, le=3600)  # a pooled connection; connecting
    request_timeout: float = Field(default=10.0, gt=0, le=3600)  # then 503, whatever it waits on
    health_timeout: float = Field(default=2.0, gt=0, le=60)  # /healthz answers within this
    # an Idempotency-Key's claim: a running request renews it; a dead process's claim is
    # taken over once it expires
    idempotency_lease: float = Field(default=30.0, gt=0, le=86400)
    # interrupted flows resume at start-up and then every this many seconds (those started
    # at least this long ago, so a request still running its own flow is left alone)
    flow_resume_interval: float = Field(default=30.0, gt=0, le=86400)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if url == "memory://":  # an event store in memory, for service-layer tests only
            return url
        return _checked_url(url, "SFA_DATABASE_URL")

    @field_validator("read_database_url")
    @classmethod
    def _known_read_scheme(cls, url: str | None) -> str | None:
        return _checked_url(url, "SFA_READ_DATABASE_URL") if url else None

    def read_side(self) -> "Settings":
        """The settings of the read models' database: these, with ``read_database_url`` as
        the database (the same settings when there is none, or it names the store's)."""
        if not self.read_database_url or self.read_database_url == self.database_url:
            return self
        return self.model_copy(update={"database_url": self.read_database_url,
                                       "read_database_url": None})

    @property
    def separate_read_side(self) -> bool:
        return self.read_side() is not self

    @property
    def backend(self) -> str:
        """Which backend the URL names; decisions by it are the dialect's (infra.sql.dialects)."""
        if self.database_url == "memory://":
            return "memory"
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    @property
    def postgres_options(self) -> str:
        """libpq ``options`` for every connection: the server cancels a statement, or a wait
        for a lock, that takes longer than the settings allow."""
        return (f"-c statement_timeout={int(self.db_statement_timeout * 1000)} "
                f"-c lock_timeout={self.db_lock_timeout * 1000}")



def _checked_url(url: str, name: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(f"{name} must start with sqlite:/// or postgresql://, got {url!r}")
    if scheme == "sqlite" and not url.startswith("sqlite:///"):
        raise ValueError(f"{name} for SQLite must look like sqlite:///PATH")
    return url
