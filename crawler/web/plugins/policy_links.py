"""Links from Datasette's tables and canned queries to the archive's pages.

A canned query names a column ``..._page`` and fills it with a path such as ``/-/diff/3/7``; this
plugin shows it as a link, so each row of a query leads to the page that answers it.
"""

import re

from datasette import hookimpl
from markupsafe import Markup

ARCHIVE_PATH = re.compile(r"^/-/(?:document|variant|version|diff|compare|clause)/[\w\-./?=&%~]+$")


@hookimpl
def render_cell(value, column, datasette):
    if column.endswith("_page") and isinstance(value, str) and ARCHIVE_PATH.match(value):
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(value), value)
    return None
