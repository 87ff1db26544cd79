"""The Operations page over HTTP (SQLite and PostgreSQL): admins only, its figures those of
its JSON status, and a rebuild started from the page (CSRF-checked) that the projector
process picks up from the registry, builds and swaps in."""

import re
import time
from typing import Any

from api.console.session import csrf_for
from infra.readside.readstore import ReadStore
from projections.catalog import BY_NAME
from tests.api.query_world import build_world
from tests.conftest import Api

SAME_SITE = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def signed_in(api: Api, role: str, rep_id: str | None = None) -> str:
    token = api.tokens.create(role, rep_id)
    answer = api.client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert answer.status_code == 303
    return token


def rebuild(api: Api, model: str, csrf: str | None) -> Any:
    data = {"model": model} | ({"csrf": csrf} if csrf is not None else {})
    return api.client.post("/console/operations/rebuild", data=data, headers=SAME_SITE,
                           follow_redirects=False)


def status(api: Api) -> dict[str, Any]:
    answer = api.client.get("/console/operations/status")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return dict(answer.json())


def model(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in found["read_models"] if m["name"] == name)


def cells(html: str, name: str) -> dict[str, str]:
    """The texts of a model's row, by ``data-field``."""
    row = re.search(rf'<tr data-model="{name}".*?</tr>', html, re.S)
    assert row is not None, name
    html = row.group(0)
    return {f.group(1): re.sub(r"<[^>]+>", "", html[f.end():html.index("</", f.end())]
                               ).lstrip(">").strip()
            for f in re.finditer(r'data-field="([a-z-]+)"[^>]*', html)}


def caught_up(api: Api, seconds: float = 30) -> dict[str, Any]:
    """The status once every model is at the head of the log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = status(api)
        if found["audit"]["position"] == found["head"] and all(
                m["serving"]["position"] == found["head"] for m in found["read_models"]):
            return found
        time.sleep(0.05)
    raise AssertionError("the read models did not catch up")


def requested(api: Api) -> list[str]:
    db = api.client.app.state.services.db  # type: ignore[attr-defined]
    with db.reader() as conn:
        return [g.name for g in ReadStore(db).generations(conn) if g.status == "requested"]


def test_only_admins_see_the_page_its_status_and_may_rebuild(api: Api):
    w = build_world(api.sales)
    for role, rep in (("rep", w.ann), ("manager", w.mia), ("auditor", None), ("integrator", None)):
        token = signed_in(api, role, rep)
        answers = [api.client.get("/console/operations", follow_redirects=False),
                   api.client.get("/console/operations/status", follow_redirects=False),
                   rebuild(api, "funnel", csrf_for(token))]
        assert [a.status_code for a in answers] == [403, 403, 403], role
        assert "does not see the Operations page" in answers[0].text
        assert 'href="/console/operations"' not in api.client.get("/console/funnel").text
    assert requested(api) == []


def test_the_page_shows_what_its_status_answers(api: Api):
    build_world(api.sales)
    signed_in(api, "admin")

    found = caught_up(api)
    page = api.client.get("/console/operations")

    assert page.status_code == 200
    assert [m["name"] for m in found["read_models"]] == list(BY_NAME)
    for m in found["read_models"]:
        shown = cells(page.text, m["name"])
        serving = m["serving"]
        assert serving["status"] == "active" and serving["serving"] and m["rebuild"] is None
        assert int(shown["generation"]) == serving["generation"]
        assert int(shown["version"]) == m["version"] == serving["version"]
        assert shown["status"] == "Active" and shown["rebuild-text"] == "—"
        assert int(shown["position"].replace(",", "")) == serving["position"] == found["head"]
        assert int(shown["lag"]) == serving["lag_events"] == 0
    assert found["audit"]["position"] == found["head"] and len(found["audit"]["hash"]) == 64
    assert found["audit"]["hash"] in page.text and found["projector"]["alive"] is True
    assert found["relay"] == {"configured": False, "topic": "sfa.events", "topics": []}
    assert "Not enabled on this server" in page.text
    assert '<script src="/console/static/operations.js" defer></script>' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    script = api.client.get("/console/static/operations.js")
    assert script.status_code == 200 and "/status" in script.text


def test_a_rebuild_post_needs_its_csrf_token(api: Api):
    token = signed_in(api, "admin")
    refused = [rebuild(api, "funnel", None), rebuild(api, "funnel", csrf_for(token)[:-1])]
    unknown = rebuild(api, "no_such_model", csrf_for(token))

    assert [a.status_code for a in refused] == [403, 403]
    assert unknown.status_code == 422 and "is not a read model" in unknown.text
    assert requested(api) == []


def test_a_rebuild_started_from_the_page_completes_and_swaps_in(api: Api):
    build_world(api.sales)
    token = signed_in(api, "admin")
    first = caught_up(api)
    before, other = model(first, "funnel")["serving"], model(first, "inventory")["serving"]

    asked = rebuild(api, "funnel", csrf_for(token))
    again = rebuild(api, "funnel", csrf_for(token))  # while it waits: the same request
    right_after = api.client.get("/console/operations")
    done = _swapped_in(api, "funnel", before["generation"])
    page = api.client.get("/console/operations")

    assert asked.status_code == again.status_code == 303
    assert asked.headers["location"] == "/console/operations#model-funnel"
    new = before["generation"] + 1
    assert f"Rebuild of funnel requested (generation {new})" in right_after.text
    assert done["serving"]["generation"] == new and done["serving"]["status"] == "active"
    assert done["serving"]["position"] == before["position"] and done["rebuild"] is None
    assert cells(page.text, "funnel")["generation"] == str(new)
    assert model(status(api), "inventory")["serving"]["generation"] == other["generation"]
    assert requested(api) == []
    funnel = api.client.get("/v1/funnel", headers={"Authorization": f"Bearer {token}"})
    assert funnel.status_code == 200 and sum(s["count"] for s in funnel.json()["stages"]) > 0


def _swapped_in(api: Api, name: str, old: int, seconds: float = 30) -> dict[str, Any]:
    """The model's line once a generation after ``old`` serves, its rebuild over."""
    deadline, seen = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        found = model(status(api), name)
        generation = found["serving"]["generation"]
        seen.append((generation, (found["rebuild"] or {}).get("status")))
        if generation > old and found["rebuild"] is None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{name} never swapped in: {seen[-5:]}")
