"""Errors raised by the command side, beside the domain's own ``DomainError`` family."""

from domain.errors import DomainError


class ConflictError(DomainError):
    """Another writer changed the aggregate first; nothing of this command was written."""

    code = "version_conflict"


class IdempotencyKeyReusedError(DomainError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"
