"""Stream ids: random, derived from an idempotency key, or derived from a parent record.

Derived ids make creation idempotent: the same key (or the same lead being converted)
always names the same stream, and a stream can be created only once.
"""

from uuid import UUID, uuid4, uuid5

NAMESPACE = UUID("5f1a0e1c-6b8e-4d0e-9a53-3c7c2b1f0a11")


def new_stream_id(stream_type: str, idempotency_key: str | None = None) -> UUID:
    if idempotency_key is None:
        return uuid4()
    return uuid5(NAMESPACE, f"{stream_type}:{idempotency_key}")


def derived_id(parent: UUID | str, purpose: str) -> UUID:
    return uuid5(UUID(str(parent)), purpose)


def stock_item_id(sku: str) -> UUID:
    """A SKU names its stock item's stream, so SKUs are unique by construction."""
    return uuid5(NAMESPACE, f"sku:{sku.strip()}")


def price_list_id(region: str) -> UUID:
    """A region names its price list's stream: one list per region."""
    return uuid5(NAMESPACE, f"price_list:{region.strip()}")


PROMOTION_CALENDAR_ID = uuid5(NAMESPACE, "promotion_calendar")  # the one stream of promotions
POLICIES_ID = uuid5(NAMESPACE, "policies")  # the one stream of the company's policies


def promotion_id(name: str) -> UUID:
    """A promotion's id follows from its name (unique whatever the case)."""
    return uuid5(NAMESPACE, f"promotion:{name.strip().casefold()}")


def canonical_id(value: str | UUID, field: str = "id") -> str:
    """The one spelling of an id that events record: lower-case, hyphenated."""
    return str(parse_id(str(value), field))


def parse_id(value: str, field: str = "id") -> UUID:
    from domain.errors import ValidationError

    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError(field, f"not a UUID: {value!r}") from None
