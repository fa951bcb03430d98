"""Datasette plugins, one small module each, registered by entry point (``pyproject.toml``), and
what they share: reading an id from a URL."""

from datasette.utils.asgi import NotFound

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
