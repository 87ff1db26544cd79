"""The web console: server-rendered pages under ``/console`` for the people who use sfa-core.

A person signs in by pasting a token (``session``: an HttpOnly, SameSite=Strict cookie,
CSRF-checked forms); every page shows what the JSON API answers the same token, because it
calls the API's own route functions (``api.routers.*``) or the query helpers they call —
never SQL of its own, never a copy of the scoping rules. Pages are HTML rendered by Jinja2
(``templates/``), styled by ``static/console.css``, charts drawn as SVG on the server
(``charts``), values written by the filters of ``formatting``; every answer carries a
Content-Security-Policy without ``unsafe-inline`` (``headers``), and works without script.

Modules: ``site`` (the page list, ``install``), ``views`` (``Page``, ``View``, rendering,
failures as pages), ``session``, ``signin``, ``lookups`` (reps and names), ``charts``,
``formatting``, ``headers``; one module per page (``funnel``). Routers never import this
package: it is the top of the ``api`` layer.

To add a page (Deals as the example):

1. ``api/console/deals.py``::

       PAGE = Page(title="Deals", path="/deals", template="deals.html", reads=("lists",),
                   roles=ROLES)           # who sees it in the nav and may open it (403 else)
       router = console_router()          # under /console, out of the OpenAPI document
       DealsView = Annotated[View, PAGE.viewer()]

       @router.get(PAGE.path)
       def deals_page(view: DealsView, q: str = "") -> HTMLResponse:
           found = opportunities(view.caller, view.services, None, q=optional(SearchText, q, "q"))
           return view.render(deals=found)

   ``PAGE.viewer()`` sends a visitor without a session to the sign-in page (and back here
   afterwards), refuses a role not in ``roles`` (403), and answers 503 while a model in
   ``reads`` is rebuilt or stopped (``api.deps.wait_until_readable``, the rule of the API's
   ``reads()``). Get the figures by calling the JSON route function (its pydantic answer) or
   the query helpers it calls. Query parameters arrive as ``str``: ``optional(kind, value,
   name)`` turns blank into None and validates with the API's input type (422 page else).
   Raise ``PageError(status, title, detail)`` for anything else; any exception of the API
   (``ApiError``, a domain error, the database's) becomes a page with the API's status.
   A POST takes ``_: Annotated[PostedForm, Depends(checked_form)]`` (CSRF and origin
   checked, 403 else), does its command through the route function, and redirects (303)
   with ``session.flash(request, response, "Item advanced.")``; its template's form carries
   ``<input type="hidden" name="{{ csrf_field }}" value="{{ csrf }}">``.
2. ``api/console/templates/deals.html``: ``{% extends "base.html" %}`` and a
   ``{% block content %}``; ``_macros.html`` has the scope picker, key-figure cards, money
   lines and the empty state (say what to do: which command or ``sfa demo``). Values go
   through the filters (``money(currency)``, ``number``, ``percent``, ``day``, ``label``),
   numbers in ``class="num"`` cells; names, never ids. No ``style=`` and no inline script:
   add classes to ``static/console.css``; a chart is ``charts.horizontal``/``vertical``
   (bars with an optional ``marker``, e.g. a quota; pass the markup to the template) or
   ``{{ meter(rate, rate|percent) }}`` in a template.
3. One line in ``site.PAGES`` (the navigation's order).
4. Tests: an HTTP test beside ``tests/api/test_console_session.py`` and a browser test in
   ``tests/browser/`` on the shared ``demo_server``, comparing the page's numbers with the
   JSON API's for the same token, and a screenshot ``console-<page>.png``.
"""
