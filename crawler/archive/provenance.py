"""Who fetched a capture's bytes, told from ``captures.source``: what a citation or an export may claim.

``crawl``    policyarchive fetched them: its URLs, region, egress and renderer are its own record.
``wayback``  the Wayback Machine did: its memento and the original URL are known, nothing of where from.
``warc``     imported from a WARC file: a response record names its URL, a saved file's record none.
``file``     imported from a saved HTML or Markdown file: no URL, no HTTP exchange, a time from its name.
``ota``      imported from an Open Terms Archive versions repository: its collection, repository, commit
             and file (``ota:COLLECTION REPO COMMIT PATH``); no URL, a time from the commit.

Only ``crawl`` captures say anything of region, language, egress or renderer. Imports recorded before
this module existed carry the variant's region and language (and a saved file its declared URL) as
if policyarchive had fetched them; the rows stay as they are (nothing is rewritten), and what is
shown or exported of them is derived from their source, here, rather than from those columns.
"""

from __future__ import annotations

CRAWL, WAYBACK, WARC, FILE, OTA = "crawl", "wayback", "warc", "file", "ota"
IMPORT_PREFIX = "import:"
OTA_PREFIX = "ota:"
WARC_SUFFIXES = (".warc", ".warc.gz")


def origin(source: str | None) -> str:
    """The kind of a capture's source; a row without one is a crawl (the column's default)."""
    if source == WAYBACK:
        return WAYBACK
    if source and source.startswith(OTA_PREFIX):
        return OTA
    if source and source.startswith(IMPORT_PREFIX):
        return WARC if source.endswith(WARC_SUFFIXES) else FILE
    return CRAWL


def imported_from(source: str | None) -> str | None:
    """The name of the file an import read, or None for a capture that was not imported."""
    if source and source.startswith(IMPORT_PREFIX):
        return source[len(IMPORT_PREFIX):]
    return None


def ota_source(source: str | None) -> dict | None:
    """The collection, repository, commit and path an Open Terms Archive import names, or None.
    The repository is a path without spaces; the file's path, last, may have some."""
    if not (source and source.startswith(OTA_PREFIX)):
        return None
    collection, repo, commit, path = source[len(OTA_PREFIX):].split(" ", 3)
    return {"collection": collection, "repo": repo, "commit": commit, "path": path}


def is_saved_file(capture: dict) -> bool:
    """Imported bytes that came with no HTTP exchange: a saved file, or a WARC record of one."""
    return capture["status"] is None and origin(capture["source"]) in (WARC, FILE, OTA)


def saved_file_urn(body_sha256: str) -> str:
    """The URI naming a saved file in a WARC: its bytes, never a URL it was not fetched from."""
    return f"urn:policyarchive:import:{body_sha256}"


def vouched(capture: dict) -> dict:
    """The capture with only what its origin vouches for, its ``origin`` and the file it was
    ``imported_from``: a saved file's URL columns, and every non-crawl's region, language, egress,
    renderer and user agent, are None whatever the row holds."""
    kind = origin(capture.get("source"))
    unknown = [] if kind == CRAWL else ["region", "language", "proxy", "renderer", "user_agent"]
    if kind in (FILE, OTA):
        unknown += ["requested_url", "final_url"]
    return {**capture, **{column: None for column in unknown if column in capture}, "origin": kind,
            "imported_from": imported_from(capture.get("source")), "ota": ota_source(capture.get("source"))}
