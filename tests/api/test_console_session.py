"""The console over HTTP (SQLite and PostgreSQL): signing in and out, the session cookie's
flags, CSRF and same-site checks on every POST, the security headers of every answer, pages
with the API's status when a model cannot answer, and a rep's Funnel page showing exactly
what the JSON API answers their token."""

import re
import time
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Annotated, Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from api.console.headers import CONTENT_SECURITY_POLICY
from api.console.session import COOKIE, csrf_for
from api.console.views import Page, View, console_router
from tests.api.console_pages import api_figures, page_figures
from tests.api.query_world import build_world, get
from tests.conftest import Api, ctx
from tests.integration.poison import open_unstorable_opportunity

POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
          "img-src 'self' data:; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def token_of(api: Api, role: str, rep_id: str | None = None) -> str:
    return api.tokens.create(role, rep_id)


def sign_in(client: TestClient, token: str, **fields: str) -> Any:
    return client.post("/console/sign-in", data={"token": token, **fields},
                       follow_redirects=False)


def page(client: TestClient, path: str) -> Any:
    return client.get(path, follow_redirects=False)


def cookie_flags(answer: Any) -> dict[str, Any]:
    """The session cookie an answer sets: its value and flags (names lower-case)."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(answer.headers["set-cookie"])
    morsel = jar[COOKIE]
    return {"value": morsel.value, "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"].lower(), "path": morsel["path"],
            "secure": bool(morsel["secure"]), "max-age": morsel["max-age"]}


def test_unsigned_visitors_go_to_the_sign_in_page_and_come_back(api: Api):
    client = api.client
    home, funnel = page(client, "/console"), page(client, "/console/funnel?team=north")
    form = page(client, "/console/sign-in")

    assert (home.status_code, home.headers["location"]) == (303, "/console/sign-in")
    assert funnel.status_code == 303
    wanted = "/console/funnel?team=north"
    assert funnel.headers["location"] == f"/console/sign-in?next={quote(wanted, safe='')}"
    assert form.status_code == 200 and 'name="token"' in form.text
    signed = sign_in(client, token_of(api, "admin"), next=wanted)
    assert (signed.status_code, signed.headers["location"]) == (303, wanted)
    assert page(client, "/console").headers["location"] == "/console/funnel"


def test_a_wrong_token_is_401_with_the_form_and_no_cookie(api: Api):
    revoked = token_of(api, "admin")
    api.tokens.revoke(revoked.split("_")[1])
    for token in ("nope", "", "x" * 500, revoked):
        answer = sign_in(api.client, token)
        assert answer.status_code == 401, token
        assert "set-cookie" not in answer.headers
        assert "That token is not valid" in answer.text and 'name="token"' in answer.text
    assert page(api.client, "/console/funnel").status_code == 303


def test_a_good_token_starts_a_session_cookie_with_its_flags(api: Api):
    token = token_of(api, "auditor")
    answer = sign_in(api.client, token)
    over_https = sign_in(TestClient(api.client.app, base_url="https://testserver"), token)

    assert (answer.status_code, answer.headers["location"]) == (303, "/console")
    assert cookie_flags(answer) == {"value": token, "httponly": True, "samesite": "strict",
                                    "path": "/console", "secure": False, "max-age": ""}
    assert cookie_flags(over_https)["secure"] is True
    assert page(api.client, "/console/funnel").status_code == 200
    for evil in ("https://evil.example/console/x", "//evil.example/console/", "/v1/reps",
                 "/console/\\evil"):
        assert sign_in(api.client, token, next=evil).headers["location"] == "/console", evil


def test_every_console_answer_carries_the_security_headers(api: Api):
    assert POLICY == CONTENT_SECURITY_POLICY and "unsafe-inline" not in POLICY
    unsigned = [page(api.client, path) for path in ("/console", "/console/sign-in")]
    sign_in(api.client, token_of(api, "admin"))
    pages = [page(api.client, path) for path in
             ("/console/funnel", "/console/funnel?rep_id=not-an-id", "/console/nowhere")]
    style = page(api.client, "/console/static/console.css")

    assert [a.status_code for a in unsigned + pages] == [303, 200, 200, 422, 404]
    for answer in [*unsigned, *pages, style]:
        assert answer.headers["content-security-policy"] == POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert {a.headers["cache-control"] for a in unsigned + pages} == {"no-store"}
    assert style.headers["cache-control"] == "no-cache" and "--accent" in style.text
    for answer in pages[:2]:
        assert "<script" not in answer.text and "style=" not in answer.text
    assert "Not an address of this page" in pages[1].text  # a page, not JSON
    assert "No deals yet." in pages[0].text and "sfa demo" in pages[0].text  # what to do
    assert "/console/" not in str(api.client.get("/openapi.json").json()["paths"])


def test_a_post_without_its_csrf_token_or_from_another_site_is_refused(api: Api):
    token = token_of(api, "manager", _a_manager(api))
    sign_in(api.client, token)
    others = csrf_for(token_of(api, "admin"))

    refused = [api.client.post("/console/sign-out", data=data, headers=headers,
                               follow_redirects=False) for data, headers in (
        ({}, {}), ({"csrf": ""}, {}), ({"csrf": others}, {}), ({"csrf": csrf_for(token)[:-1]}, {}),
        ({"csrf": csrf_for(token)}, {"Origin": "https://evil.example"}),
        ({"csrf": csrf_for(token)}, {"Sec-Fetch-Site": "cross-site"}))]
    cross_site_sign_in = api.client.post("/console/sign-in", data={"token": token},
                                         headers={"Origin": "https://evil.example"},
                                         follow_redirects=False)

    for answer in [*refused, cross_site_sign_in]:
        assert answer.status_code == 403, answer.text
        assert "set-cookie" not in answer.headers
        assert "<h1>Refused</h1>" in answer.text
    assert page(api.client, "/console/funnel").status_code == 200  # still signed in


def test_signing_out_clears_the_cookie(api: Api):
    token = token_of(api, "admin")
    sign_in(api.client, token)
    form = page(api.client, "/console/funnel").text
    assert f'name="csrf" value="{csrf_for(token)}"' in form

    out = api.client.post("/console/sign-out", data={"csrf": csrf_for(token)},
                          headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
                          follow_redirects=False)

    assert (out.status_code, out.headers["location"]) == (303, "/console/sign-in")
    cleared = cookie_flags(out)
    assert cleared["value"] == "" and cleared["max-age"] == "0" and cleared["path"] == "/console"
    assert page(api.client, "/console/funnel").status_code == 303
    assert "Signed out." in page(api.client, "/console/sign-in").text


def test_a_revoked_token_ends_its_session(api: Api):
    token = token_of(api, "admin")
    sign_in(api.client, token)
    assert page(api.client, "/console/funnel").status_code == 200

    api.tokens.revoke(token.split("_")[1])
    after = page(api.client, "/console/funnel")

    assert after.status_code == 303 and after.headers["location"].startswith("/console/sign-in")
    assert cookie_flags(after)["max-age"] == "0"


def test_a_reps_funnel_page_shows_their_numbers_only_as_the_api_answers_them(api: Api):
    w = build_world(api.sales)
    ann = token_of(api, "rep", w.ann)
    answer = get(api, "/v1/funnel", {"Authorization": f"Bearer {ann}"})  # models caught up
    sign_in(api.client, ann)

    mine = page(api.client, "/console/funnel")
    asking_for_bob = page(api.client, f"/console/funnel?rep_id={w.bob}")

    assert mine.status_code == asking_for_bob.status_code == 200
    assert page_figures(mine.text) == api_figures(answer) == page_figures(asking_for_bob.text)
    assert page_figures(mine.text)["negotiation"] == {
        "count": 1, "money": {("EUR", "amount"): Decimal("24000.00"),
                              ("EUR", "weighted_amount"): Decimal("18000.00")}}
    for text in (mine.text, asking_for_bob.text):
        assert "Ann" in text and not {"Bob", "Cy", "Mia", "Sam"} & set(_words(text))
        assert 'name="rep_id"' not in text  # a rep chooses no one


def test_a_page_whose_read_model_an_event_stopped_is_a_503_page(api: Api):
    w = build_world(api.sales)
    open_unstorable_opportunity(api.sales, w.ann, w.acme)
    admin = {"Authorization": f"Bearer {token_of(api, 'admin')}"}
    sign_in(api.client, admin["Authorization"].removeprefix("Bearer "))

    json_answer = _once_refused(api, admin)
    answer = page(api.client, "/console/funnel")

    assert json_answer["code"] == "read_model_failed"
    assert answer.status_code == 503, answer.text
    assert "<h1>Stopped by an event</h1>" in answer.text
    assert "read model funnel is stopped by the event at" in answer.text
    assert "Traceback" not in answer.text


def test_a_page_outside_the_callers_roles_is_a_403_page(api: Api):
    """What a later page declares with ``Page(roles=...)`` (here one made for the test)."""
    admins_only = Page(title="Only admins", path="/only-admins", template="problem.html",
                       reads=("funnel",), roles=("admin",))
    router = console_router()

    @router.get(admins_only.path)
    def only_admins(view: Annotated[View, admins_only.viewer()]) -> Any:
        return view.render(title="Welcome", detail="admins only")

    api.client.app.router.routes.extend(router.routes)  # type: ignore[attr-defined]
    sign_in(api.client, token_of(api, "auditor"))
    refused = page(api.client, "/console/only-admins")
    sign_in(api.client, token_of(api, "admin"))
    shown = page(api.client, "/console/only-admins")

    assert refused.status_code == 403 and "The auditor role does not see the Only admins page." in refused.text
    assert shown.status_code == 200 and "<h1>Welcome</h1>" in shown.text


def _once_refused(api: Api, headers: dict[str, str], seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = api.client.get("/v1/funnel", headers=headers)
        if answer.status_code == 503:
            return dict(answer.json())
        time.sleep(0.1)
    raise AssertionError("the funnel model never stopped")


def _a_manager(api: Api) -> str:
    return str(api.sales.reps.hire(ctx(), name="Mia", email="mia@example.com", role="manager",
                                   team="north", region="north").stream_id)


def _words(html: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", html)
