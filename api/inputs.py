"""Every value the API takes, by kind: the input rules in one place (issue 16).

- Text is bounded and holds no control character (C0, DEL, C1; free text of several lines may
  keep tab and line breaks); a required text is never blank. NUL in particular never passes:
  PostgreSQL cannot store it, and one projected NUL would stop every read model.
- Record ids are UUIDs in their hyphenated form; SKUs follow ``SKU_PATTERN``.
- Dates and instants are ISO 8601 text (a number such as ``0`` is refused, never read as
  1970) inside ``EARLIEST_DATE`` .. ``LATEST_DATE``.
- Amounts are decimal strings (or JSON numbers) with bounded digits: never NaN or infinite.

Each rule is stated in the OpenAPI document too (``maxLength``, ``pattern``, ``format``,
``minimum``/``maximum``), so generated clients send what the server accepts; the checks and the
documented patterns are the same regular expressions. ``tests/api/test_inputs.py`` walks the
document and fails for any string body field or parameter without them.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic_core import core_schema

from domain.values import (
    EARLIEST_DATE,
    LATEST_DATE,
    LINE_CONTROLS,
    PERIOD_PATTERN,
    SKU_PATTERN,
    TEXT_CONTROLS,
)

# Exactly the days of EARLIEST_DATE .. LATEST_DATE (2000 .. 2099, where every fourth year is
# a leap year), so a text the pattern allows is a day the server takes, and the reverse.
assert (EARLIEST_DATE.year, LATEST_DATE.year) == (2000, 2099)
_MONTH_DAY = ("((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
              "|02-(0[1-9]|1[0-9]|2[0-8]))")
_DAY = rf"(20[0-9]{{2}}-{_MONTH_DAY}|20([02468][048]|[13579][26])-02-29)"
_TIME = (r"[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
         r"([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?")
DATE_PATTERN = rf"^{_DAY}$"
INSTANT_PATTERN = rf"^{_DAY}({_TIME})?$"  # a day alone is its midnight
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# The WHATWG form's "valid email address" (what browsers check), with a dot in the domain as the
# domain's own check wants: a pattern, not ``format: email``, whose checkers disagree at the
# edges (quoted names, IP literals, ``user@localhost``) with each other and with any server.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(\.{_LABEL})+$"
IF_MATCH_PATTERN = r'^ {0,8}(W/)?"?[0-9]{1,18}"? {0,8}$'
DECIMAL_TEXT_LENGTH = 32  # leading zeros and all
# Spaces that make a text blank (a required text needs one character besides them).
_BLANKS = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@dataclass(frozen=True)
class Plain:
    """Refuses control characters (and, if ``required``, blank text); the rule is the
    schema's ``pattern``, checked with that very expression."""

    multiline: bool = False
    required: bool = False

    @property
    def pattern(self) -> str:
        controls = TEXT_CONTROLS if self.multiline else LINE_CONTROLS
        if self.required:
            return rf"^[^{controls}]*[^{controls}\t\n\r{_BLANKS}][^{controls}]*$"
        return rf"^[^{controls}]*$"

    def check(self, value: str) -> str:
        if re.fullmatch(self.pattern, value) is None:
            bad = re.search(rf"[{TEXT_CONTROLS if self.multiline else LINE_CONTROLS}]", value)
            raise ValueError(f"contains the control character U+{ord(bad.group()):04X}" if bad
                             else "must not be blank")
        if any("\ud800" <= c <= "\udfff" for c in value):
            raise ValueError("contains a lone surrogate (not a Unicode character)")
        return value

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        found: dict[str, Any] = handler(schema)
        found["pattern"] = self.pattern
        return found


@dataclass(frozen=True)
class Matching:
    """Text that must match ``pattern`` (checked by ``re``, documented as the pattern)."""

    pattern: str
    what: str
    format: str | None = None

    def check(self, value: str) -> str:
        if not isinstance(value, str) or re.fullmatch(self.pattern, value) is None:
            raise ValueError(f"not {self.what}")
        return value

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        found: dict[str, Any] = handler(schema)
        found["pattern"] = self.pattern
        if self.format:
            found["format"] = self.format
        return found


@dataclass(frozen=True)
class IsoText:
    """A date or instant given as ISO 8601 text (a number is refused), in the calendar. The
    schema states the pattern alone, no ``format``: ``date-time`` would refuse a day without
    its time (``as_of=2026-11-01``), which the server takes."""

    pattern: str
    what: str
    max_length: int

    def before(self, value: Any) -> Any:
        if isinstance(value, date):  # built in Python: already a date
            return value
        if not isinstance(value, str) or re.fullmatch(self.pattern, value) is None:
            raise ValueError(f"not {self.what} (ISO 8601) between {EARLIEST_DATE} and "
                             f"{LATEST_DATE}")
        return value

    def after(self, value: date) -> date:
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(f"not between {EARLIEST_DATE} and {LATEST_DATE}")
        return value

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        inner = core_schema.no_info_after_validator_function(self.after, handler(source))
        return core_schema.no_info_before_validator_function(self.before, inner)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        found: dict[str, Any] = handler(schema)
        found.pop("format", None)
        return {**found, "pattern": self.pattern, "maxLength": self.max_length}


@dataclass(frozen=True)
class Checked:
    """Documents a rule that the route checks itself (``If-Match``: ``api.deps.version_in``,
    which names the header as clients spell it)."""

    pattern: str
    max_length: int

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "pattern": self.pattern, "maxLength": self.max_length}


def _digits_after_point(places: int) -> str:
    """A fraction of up to ``places`` digits that is not zero: 5, 05, 50, 005 ..."""
    return "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{places - zeros - 1}}}" for zeros in range(places))


@dataclass(frozen=True)
class Decimals:
    """A decimal as a string (``pattern``) or a JSON number: finite, at most ``digits`` before
    the point and ``places`` after it, above zero (``positive``) or not negative; ``fraction``
    means below one."""

    digits: int
    places: int
    positive: bool = True
    fraction: bool = False

    @property
    def pattern(self) -> str:
        after = rf"(\.[0-9]{{1,{self.places}}})?"
        if self.fraction:
            return rf"^0*\.({_digits_after_point(self.places)})$"
        if self.positive:
            return (rf"^0*([1-9][0-9]{{0,{self.digits - 1}}}{after}"
                    rf"|\.({_digits_after_point(self.places)}))$")
        return rf"^0*([0-9]{{1,{self.digits}}}{after}|\.[0-9]{{1,{self.places}}})$"

    @property
    def rule(self) -> str:
        if self.fraction:
            return f"not a decimal between 0 and 1 with at most {self.places} places"
        sign = "above zero" if self.positive else "zero or more"
        return (f"not a decimal {sign} with at most {self.digits} digits before the point "
                f"and {self.places} after it")

    @property
    def bounds(self) -> dict[str, Any]:
        step = Decimal(1).scaleb(-self.places)
        top = Decimal(1) if self.fraction else Decimal(10) ** self.digits
        low = {"exclusiveMinimum": 0} if self.positive else {"minimum": 0}
        return {**low, "exclusiveMaximum" if self.fraction else "maximum":
                float(top if self.fraction else top - step), "multipleOf": float(step)}

    def before(self, value: Any) -> Any:
        if isinstance(value, str) and (len(value) > DECIMAL_TEXT_LENGTH
                                       or re.fullmatch(self.pattern, value) is None):
            raise ValueError(self.rule)
        if isinstance(value, bool):
            raise ValueError("not a number")
        return value

    def after(self, value: Decimal) -> Decimal:
        if not value.is_finite() or (value <= 0 if self.positive else value < 0):
            raise ValueError("must be greater than zero" if self.positive else "must not be negative")
        top = Decimal(1) if self.fraction else Decimal(10) ** self.digits
        if value >= top or value != value.quantize(Decimal(1).scaleb(-self.places)):
            raise ValueError(self.rule)
        return value

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        inner = core_schema.no_info_after_validator_function(self.after, handler(source))
        return core_schema.no_info_before_validator_function(self.before, inner)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {"anyOf": [{"type": "number", **self.bounds},
                          {"type": "string", "maxLength": DECIMAL_TEXT_LENGTH,
                           "pattern": self.pattern}]}


@dataclass(frozen=True)
class Share(Decimals):
    """A share from 0 to 1, both included, with at most four places."""

    digits: int = 1
    places: int = 4
    positive: bool = False

    @property
    def pattern(self) -> str:
        return r"^(?=.)0*(1(\.0{1,4})?|0?(\.[0-9]{1,4})?)$"

    @property
    def rule(self) -> str:
        return "not a share from 0 to 1 with at most 4 decimal places"

    @property
    def bounds(self) -> dict[str, Any]:
        return {"minimum": 0, "maximum": 1, "multipleOf": 0.0001}

    def after(self, value: Decimal) -> Decimal:
        if not value.is_finite() or not 0 <= value <= 1 or value != value.quantize(
                Decimal("0.0001")):
            raise ValueError(self.rule)
        return value


@dataclass(frozen=True)
class Percentage(Decimals):
    """A percentage above zero and at most 100, with at most two places."""

    digits: int = 3
    places: int = 2

    @property
    def pattern(self) -> str:
        return (r"^0*([1-9][0-9]?(\.[0-9]{1,2})?|100(\.0{1,2})?"
                rf"|\.({_digits_after_point(self.places)}))$")

    @property
    def rule(self) -> str:
        return "not a percentage above 0 and at most 100, with at most 2 decimal places"

    @property
    def bounds(self) -> dict[str, Any]:
        return {"exclusiveMinimum": 0, "maximum": 100, "multipleOf": 0.01}

    def after(self, value: Decimal) -> Decimal:
        if value > 100:
            raise ValueError(self.rule)
        return super().after(value)


@dataclass(frozen=True)
class NonZero:
    """A number that must not be zero, stated as ``not: {const: 0}`` in the schema."""

    def check(self, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "not": {"const": 0}}


def _line(max_length: int) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length)


def _upto(max_length: int) -> StringConstraints:
    return StringConstraints(max_length=max_length)


# Text, by what it is. Optional text (``X | None = None``) uses the same types.
Name = Annotated[str, _line(200), Plain(required=True)]     # a person, company, record's name
Label = Annotated[str, _line(100), Plain(required=True)]    # region, team, industry, tag
Phone = Annotated[str, _upto(40), Plain()]
Reason = Annotated[str, _line(500), Plain(required=True)]   # a reason, an outcome
Note = Annotated[str, _upto(2000), Plain(multiline=True)]
LongNote = Annotated[str, _upto(10_000), Plain(multiline=True)]
Reference = Annotated[str, _line(100), Plain(required=True)]  # an id the client chose
HeaderText = Annotated[str, _line(200), Plain(required=True)]  # Idempotency-Key, correlation
SearchText = Annotated[str, _line(200), Plain(required=True)]  # the words a list's q takes
Email = Annotated[str, StringConstraints(max_length=254),
                  Matching(EMAIL_PATTERN, "an email address (name@domain.tld)")]

# Values with a format of their own.
RecordId = Annotated[str, StringConstraints(min_length=36, max_length=36),
                     Matching(UUID_PATTERN, "a UUID (8-4-4-4-12 hex digits)", "uuid"),
                     AfterValidator(str.lower)]  # the spelling events record
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64),
                Matching(SKU_PATTERN, "a SKU: 1 to 64 letters, digits, '.', '_' or '-', "
                                      "starting with a letter or digit")]
Period = Annotated[str, StringConstraints(max_length=7),
                   Matching(PERIOD_PATTERN, "a period: YYYY-MM, YYYY-Qn or FYYYYY")]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3),
                     Matching(r"^[A-Za-z]{3}$", "a currency code (ISO 4217)")]
Day = Annotated[date, IsoText(DATE_PATTERN, "a date YYYY-MM-DD", 10)]
Instant = Annotated[datetime, IsoText(INSTANT_PATTERN, "an instant", 32)]  # to microseconds

IfMatchText = Annotated[str, Checked(IF_MATCH_PATTERN, 40)]
PageCursor = Annotated[str, StringConstraints(min_length=1, max_length=1000),
                       Matching(r"^[A-Za-z0-9_-]+$", "a cursor, as a list's next_cursor gave it")]

# Numbers.
Money = Annotated[Decimal, Decimals(digits=12, places=2)]
Amount = Annotated[Decimal, Decimals(digits=12, places=2, positive=False)]  # zero allowed
Rate = Annotated[Decimal, Decimals(digits=1, places=4, fraction=True)]     # 0 < rate < 1
Percent = Annotated[Decimal, Percentage()]                                  # 0 < p <= 100
Fraction = Annotated[Decimal, Share()]                                      # 0 <= f <= 1
MAX_POSITION = 2**63 - 1  # a database BIGINT
MAX_COUNT = 10_000_000  # pieces in one receipt, order line or correction
Correction = Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT), NonZero()]  # a stock count
