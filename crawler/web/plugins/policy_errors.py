"""A page not found is answered quietly: the 404 page, without a traceback in the server's log.

Datasette prints every exception a request raises with ``rich`` when it is installed (here it is:
``wacz`` brings it), the frames' local variables included: a mistyped address, or a bot probing for
``/wp-login.php``, would fill the log of ``policyarchive serve`` with a screenful each, and with the
request's headers (cookies, authorisation). A client's error (4xx) is no fault of the server; a
server error keeps Datasette's report, which is what an operator needs.

Datasette awaits every plugin's answer to ``handle_exception`` (its own prints as it is awaited), so
another answer cannot silence it: this wrapper replaces the answers to a client's error with one.
"""

from datasette import Response, hookimpl
from datasette.utils.asgi import Base400


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    outcome = yield
    if isinstance(exception, Base400):
        outcome.force_result([_error_page(datasette, request, exception)])


def _error_page(datasette, request, exception: Base400):
    """The page Datasette would render for the error (its ``error.html``, or JSON for ``.json``)."""
    async def page():
        info = {"ok": False, "error": exception.args[0] if exception.args else "", "status": exception.status,
                "title": None}
        if request.path.endswith(".json"):
            return Response.json(info, status=exception.status)
        html = await datasette.render_template([f"{exception.status}.html", "error.html"], info, request=request)
        return Response.html(html, status=exception.status)

    return page
