"""Security headers on the archive's own pages, a second wall behind escaping.

These pages show captured text, which is hostile input. They need no script at all, so their
Content-Security-Policy allows none: even if some markup slipped through, it could not run, load a
foreign resource, or be framed. Datasette's own pages keep their defaults (they use inline scripts). A page that sets one of these
headers itself (the raw capture download) keeps its own.
"""

import re

from datasette import hookimpl

PAGES = re.compile(r"^/(?:$|-/(?:search|document|variant|version|capture|diff|compare)(?:/|$))")
HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
                                 b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


@hookimpl
def extra_template_vars(request):
    """``script_free``: the page is one of the archive's own, whose policy runs no script, so the
    templates leave Datasette's inline script out rather than have the browser refuse it."""
    return {"script_free": bool(request and PAGES.match(request.path))}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_headers(scope, receive, send):
            if scope["type"] != "http" or not PAGES.match(scope["path"]):
                return await app(scope, receive, send)

            async def send_with_headers(event):
                if event["type"] == "http.response.start":
                    headers = list(event.get("headers", []))
                    present = {name.lower() for name, _ in headers}
                    event = {**event, "headers": headers + [h for h in HEADERS if h[0] not in present]}
                await send(event)

            return await app(scope, receive, send_with_headers)

        return with_headers

    return wrap
