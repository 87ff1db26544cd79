"""Signing in and out: ``/console`` itself, the sign-in form, the sign-out button's POST."""

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import session
from api.console.session import NotSignedInError, PostedForm, checked_form
from api.console.views import NAV, PageError, console_router, render
from api.deps import verify_token

router = console_router()
MAX_TOKEN = 200  # characters: far above a token's length (sfa_<12>_<32>)
Form = Annotated[PostedForm, Depends(checked_form)]
NextPage = Annotated[str, Query(alias="next", description="The console page to go on to")]


@router.get("")
async def home(request: Request) -> RedirectResponse:
    """The first page the visitor's role sees; the sign-in page without a session."""
    signed = await session.signed_in(request)
    first = next((p for p in NAV if signed.caller.role in p.roles), None)
    if first is None:
        raise PageError(403, "No page for your role",
                        f"The console has no page for the {signed.caller.role} role yet.")
    return RedirectResponse(session.root(request) + first.path, 303)


@router.get("/sign-in")
async def sign_in_form(request: Request, wanted: NextPage = "") -> Response:
    try:
        await session.signed_in(request)
    except NotSignedInError:
        return _form(request, wanted)
    return RedirectResponse(_after_sign_in(request, wanted), 303)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """The token pasted, verified as the API verifies a bearer token: a session cookie and
    on to the page asked for; a wrong one, the form again (401)."""
    session.refuse_other_sites(request)
    fields = await session.form_of(request)
    token, wanted = fields.get("token", "").strip(), fields.get("next", "")
    caller = await verify_token(request.app.state.services, token) if (
        0 < len(token) <= MAX_TOKEN) else None
    if caller is None:
        return _form(request, wanted, "That token is not valid: it is unknown or revoked.", 401)
    response = RedirectResponse(_after_sign_in(request, wanted), 303)
    session.start(request, response, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, _: Form) -> RedirectResponse:
    response = RedirectResponse(session.root(request) + "/sign-in", 303)
    session.end(request, response)
    session.flash(request, response, "Signed out.")
    return response


def _after_sign_in(request: Request, wanted: str) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + (
        session.safe_next(wanted) or "/console")


def _form(request: Request, wanted: str, error: str | None = None, status: int = 200
          ) -> HTMLResponse:
    return render(request, "sign_in.html",
                  {"next": session.safe_next(wanted) or "", "error": error}, status=status)
