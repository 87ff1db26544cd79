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
