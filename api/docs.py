"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served whole by the app itself.

FastAPI's own pages load Swagger UI, ReDoc, a favicon and web fonts from CDNs: on a machine
without internet they stay blank. The same files ship inside the ``fastapi-offline`` wheel
(Swagger UI 5, ReDoc 2, a favicon), a runtime dependency: they are served from it under
``/docs/assets`` and the pages point there, so nothing is fetched from anywhere but this app.
None of these routes is in the OpenAPI document, and none needs a token (only ``/v1`` does).
"""

from functools import cache
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
ASSETS_PACKAGE = ("fastapi_offline", "static")  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
# No online validator badge: Swagger UI would otherwise send the document to validator.swagger.io
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
# ReDoc's sidebar footer always shows Redocly's logo from their CDN (no option turns it off):
# served here with an empty picture in its place
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_PICTURE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


def install(app: FastAPI) -> None:
    """Adds the two pages and their assets; the app is made with ``docs_url=None,
    redoc_url=None`` so that FastAPI's CDN pages are not there as well."""
    @app.get(f"{ASSETS_PATH}/redoc.standalone.js", include_in_schema=False)
    def redoc_js() -> Response:  # before the mount below, which would serve the file as it is
        return Response(offline_redoc_js(), media_type="text/javascript")

    app.mount(ASSETS_PATH, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=root + str(app.openapi_url), title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None, swagger_ui_parameters=SWAGGER_UI_PARAMETERS)

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=root + str(app.openapi_url), title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png", with_google_fonts=False)


@cache
def offline_redoc_js() -> str:
    """ReDoc's standalone bundle, the one address it would fetch from outside replaced."""
    package, folder = ASSETS_PACKAGE
    bundle = files(package).joinpath(folder, "redoc.standalone.js").read_text(encoding="utf-8")
    return bundle.replace(REDOCLY_LOGO, NO_PICTURE)


def _root_path(request: Request) -> str:
    """The prefix a proxy serves the app under (``--root-path``), as FastAPI's own pages do."""
    return str(request.scope.get("root_path", "")).rstrip("/")
