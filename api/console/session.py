"""Who is signed in: the session cookie, the CSRF token of its forms, and the checks of a POST.

The cookie carries the token itself (``HttpOnly``: no script reads it; ``SameSite=Strict``:
no other site's page sends it; ``Path=/console``: the API never sees it; ``Secure`` over
https). Every request verifies it with the token service the API uses
(``api.deps.verify_token``), so a revoked token signs its session out within the second the
service remembers a verification. A form's CSRF token is an HMAC of the session token for one
purpose: unguessable without the token, which no script can read, and nothing to store. A POST
is refused (403) when its ``csrf`` field does not match, or when the browser says it comes
from another site (``Sec-Fetch-Site``, ``Origin``): the sign-in form, which has no session
yet, is protected by that check and by the cookie's ``SameSite``.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request, Response

from api.deps import verify_token
from infra.access.tokens import Principal

COOKIE = "sfa_console"
FLASH_COOKIE = "sfa_console_flash"
CSRF_PURPOSE = b"sfa-console-csrf"
CSRF_FIELD = "csrf"
MAX_FLASH = 300  # characters
SAME_SITE = frozenset({"same-origin", "none"})  # Sec-Fetch-Site: our page, or typed by the user


class NotSignedInError(Exception):
    """No session cookie, or one whose token is unknown or revoked: the sign-in page."""


class RefusedError(Exception):
    """A console POST that may not be obeyed: forged (no or a wrong ``csrf``), or sent from
    another site. Answered 403 with a page saying so."""


@dataclass(frozen=True)
class Session:
    token: str
    caller: Principal

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), CSRF_PURPOSE, hashlib.sha256).hexdigest()


def root(request: Request) -> str:
    """The console's path: ``/console``, under the prefix a proxy serves the app at."""
    return str(request.scope.get("root_path", "")).rstrip("/") + "/console"


async def signed_in(request: Request) -> Session:
    token = request.cookies.get(COOKIE)
    caller = await verify_token(request.app.state.services, token) if token else None
    if token is None or caller is None:
        raise NotSignedInError()
    return Session(token, caller)


async def form_of(request: Request) -> dict[str, str]:
    """A posted form's fields (``application/x-www-form-urlencoded``, the forms' encoding;
    the body is bounded by ``api.edge.LimitBody``); the first of a repeated field."""
    text = (await request.body()).decode("utf-8", errors="replace")
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def refuse_other_sites(request: Request) -> None:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_SITE:
        raise RefusedError(f"this form was sent from another site ({fetch_site})")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise RefusedError("this form was sent from another site")


@dataclass(frozen=True)
class PostedForm:
    session: Session
    fields: dict[str, str]


async def checked_form(request: Request) -> PostedForm:
    """The dependency of every console POST but the sign-in: sent from our own pages, by a
    signed-in person, with the CSRF token of their session."""
    refuse_other_sites(request)
    session = await signed_in(request)
    fields = await form_of(request)
    sent = fields.get(CSRF_FIELD, "")
    if not hmac.compare_digest(session.csrf.encode(), sent.encode()):
        raise RefusedError("this form is missing its security token (csrf) or carries another "
                           "session's; reload the page and send it again")
    return PostedForm(session, fields)


def _cookie(request: Request, response: Response, name: str, value: str | None) -> None:
    """Sets (or, with None, deletes) one of the console's cookies, always with its flags:
    ``SameSite=strict`` (the attribute's value is case-insensitive, RFC 6265bis)."""
    flags: dict[str, Any] = {"path": root(request), "httponly": True, "samesite": "strict",
                             "secure": request.url.scheme == "https"}
    if value is None:
        response.delete_cookie(name, **flags)
    else:
        response.set_cookie(name, value, **flags)


def start(request: Request, response: Response, token: str) -> None:
    _cookie(request, response, COOKIE, token)


def end(request: Request, response: Response) -> None:
    _cookie(request, response, COOKIE, None)


def flash(request: Request, response: Response, message: str) -> None:
    """A one-line message for the next page shown (after a redirect): the flash area."""
    encoded = base64.urlsafe_b64encode(message[:MAX_FLASH].encode()).decode()
    _cookie(request, response, FLASH_COOKIE, encoded)


def flashed(request: Request) -> str | None:
    """The message a redirect left, if any (shown escaped, like every value)."""
    encoded = request.cookies.get(FLASH_COOKIE)
    if not encoded:
        return None
    try:
        return base64.urlsafe_b64decode(encoded.encode()).decode()[:MAX_FLASH]
    except ValueError:  # not ours: shown nothing
        return None


def flash_shown(request: Request, response: Response) -> None:
    if FLASH_COOKIE in request.cookies:
        _cookie(request, response, FLASH_COOKIE, None)


def safe_next(value: str | None) -> str | None:
    """A console address to go back to after signing in (``/console/...`` on this site:
    never another host, so the form cannot send anyone elsewhere)."""
    if not value or not value.startswith("/console/") or "//" in value or "\\" in value:
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc and value.isprintable() else None
