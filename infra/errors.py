"""Errors raised by the command side, beside the domain's own ``DomainError`` family."""

from domain.errors import DomainError


class ConflictError(DomainError):
    """Another writer changed the aggregate first; nothing of this command was written."""

    code = "version_conflict"


class IdempotencyKeyReusedError(DomainError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"


class VersionMismatchError(ConflictError):
    """The record is not at the version the client named (``If-Match``): final, not retried."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the record is at version {actual}")


class DatabaseUnavailableError(Exception):
    """A bounded wait on the database ran out (a statement or lock timeout, no pooled
    connection in time, a locked SQLite file, a server that does not answer): a retry later
    may succeed (``SFA_DB_*`` settings). Raised from the driver's error, which is its cause."""

    def __init__(self, detail: str, kind: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind or type(self).__name__  # the driver error's name, for the answer


class ReadModelMissingError(Exception):
    """A read model's tables do not exist yet (a fresh start, before its first build)."""
