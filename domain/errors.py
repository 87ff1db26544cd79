"""Domain errors: each carries a stable machine-readable ``code``."""


class DomainError(Exception):
    """A command violates a business rule; nothing must be written."""

    code = "rule_violation"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationError(DomainError):
    """A command carries an invalid value; ``field`` names it."""

    code = "invalid_input"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


class RuleViolationError(DomainError):
    """A well-formed value that a business rule refuses here — against the clock, another
    field or the record's state (a due date in the past, more than is left to ship). Unlike
    ``ValidationError`` no schema can state it, so it is a conflict (409), still naming ``field``."""

    code = "rule_violation"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


class NotFoundError(DomainError):
    code = "not_found"


class UnknownReferenceError(NotFoundError):
    """A field names a record that does not exist, where existing is no secret (a SKU: every
    role may read the stock); a 404 that names ``field``."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


class AlreadyExistsError(DomainError):
    code = "already_exists"


class RepDepartedError(DomainError):
    code = "rep_departed"


class LeadClosedError(DomainError):
    """A converted or disqualified lead accepts no further changes."""

    code = "lead_closed"


class LeadAlreadyConvertedError(LeadClosedError):
    code = "lead_already_converted"


class OpportunityClosedError(DomainError):
    code = "opportunity_closed"


class InvalidTransitionError(DomainError):
    code = "invalid_transition"


class InsufficientStockError(DomainError):
    code = "insufficient_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"sku {sku}: requested {requested}, available {available}")
        self.sku = sku
        self.requested = requested
        self.available = available
