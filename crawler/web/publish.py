"""Datasette over the archive: the same settings, metadata and plugins for ``serve`` and for tests.

The plugins and templates come with the package: each plugin module (``crawler/web/plugins``) and
``crawler.web`` itself (for its ``templates/``) are Datasette plugins by entry point, as
datasette-atom is, so any Datasette in the environment has them. Datasette names a database after
its file, while ``crawler/web/metadata.yml`` describes it as ``archive``; ``metadata_for`` puts that
description under the real name.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import yaml

METADATA = Path(__file__).resolve().parent / "metadata.yml"

# Fast on a big archive (no facet suggestions), bounded SQL, and the whole file downloadable.
SETTINGS = {
    "suggest_facets": False,
    "sql_time_limit_ms": 3000,
    "default_page_size": 50,
    "truncate_cells_html": 300,
    "allow_download": True,
}


# The plugins' own configuration in Datasette's metadata: ``base_url``, the archive's public address.
PLUGIN = "policyarchive"


def metadata_for(db: str | Path, base_url: str | None = None) -> dict:
    metadata = yaml.safe_load(METADATA.read_text())
    databases = metadata.get("databases", {})
    if "archive" in databases:
        databases[Path(db).stem] = databases.pop("archive")
    if base_url:
        metadata.setdefault("plugins", {})[PLUGIN] = {"base_url": base_url.rstrip("/")}
    return metadata


def public_url(datasette, request, path: str) -> str:
    """``path`` as a reader elsewhere can follow it: under the ``--base-url`` the archive is published
    at, or else the address this request came to (which, behind a proxy, may be a private one)."""
    base = (datasette.plugin_config(PLUGIN) or {}).get("base_url")
    return base + datasette.urls.path(path) if base else datasette.absolute_url(request, datasette.urls.path(path))


async def page(datasette, request, template: str, context: dict):
    """One of the archive's pages: ``template`` rendered with ``context``, as an HTML response."""
    from datasette.utils.asgi import Response

    return Response.html(await datasette.render_template(template, context, request=request))


def datasette_app(db: str | Path, base_url: str | None = None):
    """A Datasette instance as ``policyarchive serve`` runs it, for ``.client`` tests."""
    from datasette.app import Datasette

    return Datasette(
        [str(db)],
        metadata=metadata_for(db, base_url),
        settings=SETTINGS,
    )


def serve_command(db: str | Path, host: str, port: int, base_url: str | None = None) -> list[str]:
    """The ``datasette serve`` command line, with the metadata written for this database.

    The metadata file is named after the archive's path, not made afresh: ``serve`` becomes
    Datasette (exec), so nothing is left to delete it, and one file per archive is rewritten instead
    of one more per start."""
    key = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"policyarchive-metadata-{key}.json"
    path.write_text(json.dumps(metadata_for(db, base_url)))
    command = [
        sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(path),
        "-h", host, "-p", str(port),
    ]
    for name, value in SETTINGS.items():
        command += ["--setting", name, str(value).lower() if isinstance(value, bool) else str(value)]
    return command
