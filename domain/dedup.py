"""Duplicate-key normalisation for leads and contacts.

Two records are the same person when their normalised email, their normalised phone
number, or their normalised company + person name match. The keys are prefixed with
their kind so that an email can never collide with a phone number.
"""

import re
import unicodedata

_COMPANY_SUFFIXES = re.compile(
    r"\b(gmbh|ag|inc|incorporated|ltd|limited|llc|plc|sa|sas|srl|bv|nv|co|corp|corporation)\b\.?"
)
_NON_ALNUM = re.compile(r"[\W_]+")  # any script's letters and digits are kept


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise_email(email: str) -> str:
    """Case-insensitive; ``+tags`` in the local part are ignored."""
    local, _, domain = email.strip().casefold().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def normalise_phone(phone: str) -> str:
    """Digits only, international prefix ``00`` read as ``+``; short numbers give ''."""
    digits = re.sub(r"\D", "", phone.strip().replace("+", "00", 1))
    digits = digits.removeprefix("00")
    return digits if len(digits) >= 6 else ""


def normalise_name(name: str) -> str:
    without_suffix = _COMPANY_SUFFIXES.sub(" ", _fold(name))
    return _NON_ALNUM.sub(" ", without_suffix).strip()


def duplicate_keys(person: str, company: str, email: str, phone: str | None) -> tuple[str, ...]:
    """Every key under which this person could already be known."""
    keys = []
    if email.strip():
        keys.append(f"email:{normalise_email(email)}")
    phone_key = normalise_phone(phone or "")
    if phone_key:
        keys.append(f"phone:{phone_key}")
    if person.strip() and company.strip():
        keys.append(f"name:{normalise_name(company)}|{normalise_name(person)}")
    return tuple(keys)
