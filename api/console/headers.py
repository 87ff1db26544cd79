"""The headers of every console answer — pages, redirects, errors, static files.

The Content-Security-Policy lets a page load only this app's own styles, scripts and
pictures (``data:`` pictures too), and its scripts fetch only from this app (the Operations
page's progress), allows no inline script or style at all (so a value that
slipped past escaping still could not run), no framing (clickjacking), forms only to this
app. Pages are never stored by a cache (they show one person's figures); static files may
be, revalidated each time.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; "
                           "style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; "
                           "base-uri 'none'")
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}
PAGES_CACHE = b"no-store"
STATIC_CACHE = b"no-cache"


class ConsoleHeaders:
    """A pure ASGI middleware (no task per request): sets the headers above on every answer
    under ``/console``, in place of any the answer had."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").removeprefix(str(scope.get("root_path", "")).rstrip("/"))
        if scope["type"] != "http" or not (path == "/console" or path.startswith("/console/")):
            await self.app(scope, receive, send)
            return
        cache = STATIC_CACHE if path.startswith("/console/static/") else PAGES_CACHE
        added = {**HEADERS, b"cache-control": cache}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in added]
                message = {**message, "headers": kept + list(added.items())}
            await send(message)

        await self.app(scope, receive, with_headers)
