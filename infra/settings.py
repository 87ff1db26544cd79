"""Configuration from the environment (CONTRACT.md), validated at start-up."""

from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./.sfa/sfa.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFA_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    kafka_bootstrap: str | None = None
    kafka_topic: str = "sfa.events"
    pool_size: int = 5
    projection_batch: int = 1000  # events per read-model transaction
    # under sustained writes, the live projectors take a batch at most this often (seconds):
    # bigger batches, far less work per event, at the cost of this much more lag
    projection_interval: float = Field(default=0.02, ge=0, le=5)
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
        scheme = urlsplit(url).scheme
        if url == "memory://":  # an event store in memory, for service-layer tests only
            return url
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"SFA_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}"
            )
        if scheme == "sqlite" and not url.startswith("sqlite:///"):
            raise ValueError("SFA_DATABASE_URL for SQLite must look like sqlite:///PATH")
        return url

    @property
    def backend(self) -> str:
        if self.database_url == "memory://":
            return "memory"
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    @cached_property
    def eventsourcing_env(self) -> dict[str, str]:
        """The ``eventsourcing`` library's persistence settings for this URL."""
        if self.backend == "memory":
            return {"PERSISTENCE_MODULE": "infra.eventstore.memory:MemoryFactory"}
        if self.backend == "sqlite":
            return _sqlite_env(self.database_url, self.db_lock_timeout)
        return {**_postgres_env(self.database_url, self.pool_size, self.db_lock_timeout,
                                self.db_pool_timeout),
                "PERSISTENCE_MODULE": "infra.sql.database:BoundedPostgresFactory",
                "POSTGRES_OPTIONS": self.postgres_options}


    @property
    def postgres_options(self) -> str:
        """libpq ``options`` for every connection: the server cancels a statement, or a wait
        for a lock, that takes longer than the settings allow."""
        return (f"-c statement_timeout={int(self.db_statement_timeout * 1000)} "
                f"-c lock_timeout={self.db_lock_timeout * 1000}")


def _sqlite_env(url: str, busy_timeout: int = 5) -> dict[str, str]:
    path = url.removeprefix("sqlite:///")
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": str(busy_timeout),
        "APPLICATION_RECORDER_TOPIC": "infra.eventstore.recorders:SQLiteSalesRecorder",
    }


def _postgres_env(url: str, pool_size: int, lock_timeout: int = 5,
                  pool_timeout: float = 5.0) -> dict[str, str]:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or "localhost"
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(parts.port or query.get("port") or 5432),
        "POSTGRES_USER": unquote(parts.username or query.get("user") or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or query.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
        # the library's pool waits this long for a connection (and to connect)
        "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(pool_timeout))),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "infra.eventstore.recorders:PostgresSalesRecorder",
        "TRACKING_RECORDER_TOPIC": "infra.eventstore.recorders:PostgresSalesTrackingRecorder",
    }
