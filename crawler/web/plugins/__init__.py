"""Datasette plugins, one small module each, registered by entry point (``pyproject.toml``), and
what they share: reading an id from a URL, and finding a clause's id in the clause index."""

import json

from datasette.utils.asgi import NotFound

from crawler.common.digests import sha256
from crawler.text.extract import comparable

# SQLite's integers: an id past this cannot be bound to a query, and is no row's id.
_LARGEST_ID = 2 ** 63 - 1


def row_id(text: str, what: str) -> int:
    """An id from a URL; NotFound (404, saying what) for one no row can have (0, negative, 10^23),
    rather than a server error when SQLite cannot take it."""
    try:
        value = int(text)
    except ValueError:
        raise NotFound(f"No such {what}: {text!r} is not an id") from None
    if not 1 <= value <= _LARGEST_ID:
        raise NotFound(f"No such {what}: {text}")
    return value


async def clause_ids(db, texts: list[str]) -> dict[str, int]:
    """Each clause text mapped to its id in the clause index (matched by its visible words, as the
    index keys them), for a link to its lineage page; a text the index does not hold is left out."""
    keys = {sha256(comparable(t)): t for t in texts}
    found = await db.execute("select key_sha256, id from clauses where key_sha256 in (select value from json_each(?))",
                             [json.dumps(list(keys))])
    return {keys[row["key_sha256"]]: row["id"] for row in found}
