"""Alert subscriptions: ``alerts.yml`` beside the declarations, validated as they are.

```yaml
alerts:
  - name: privacy-desk
    to: ["slack://${SLACK_TOKEN_A}/${SLACK_TOKEN_B}/${SLACK_TOKEN_C}/#privacy", "mailto://..."]
    services: [TikTok]
    terms: [biometric]
```

A subscription matches a change by every filter it names (services, documents, variants, regions,
languages, watched terms or phrases, a minimum of words changed: ``crawler/archive/outbox.py``
matches them). Its ``to`` URLs are Apprise's;
``${VAR}`` in them is read from the environment when they are used, so secrets stay out of the
file, and the archive keeps only the subscription's name: neither a URL nor its secret is ever
written to the archive, a log or an error message (``where`` shows the scheme and host only).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.declarations.catalog import (ALERTS_FILES, Catalog, CatalogError, DeclarationError, field_name, line_of,
                                          read_yaml, schema_errors)

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["alerts"],
    "properties": {"alerts": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "to"],
        "properties": {
            "name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
            "to": _NAMES, "services": _NAMES, "documents": _NAMES, "variants": _NAMES, "terms": _NAMES,
            "regions": _NAMES, "languages": _NAMES,
            "min_words": {"type": "integer", "minimum": 0},
            "digest": {"enum": ["run", "daily"]},
        },
    }}},
}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Subscription:
    name: str
    to: tuple[str, ...]
    services: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_words: int = 0
    digest: str = "run"

    def urls(self) -> list[str]:
        """The ``to`` URLs with their ``${VAR}`` read from the environment now (KeyError if unset)."""
        return [_VARIABLE.sub(lambda m: os.environ[m.group(1)], url) for url in self.to]

    def secrets(self) -> list[str]:
        """Every value that must never be shown: the URLs, whole, and the variables they read."""
        values = [os.environ.get(name, "") for url in self.to for name in _VARIABLE.findall(url)]
        filled = [_VARIABLE.sub(lambda m: os.environ.get(m.group(1), ""), url) for url in self.to]
        return [s for s in values + filled + list(self.to) if s]


# Schemes whose host is a server's name; elsewhere (slack://TOKEN/...) the "host" may be a secret.
_HOSTED = {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "ntfy", "ntfys", "matrix", "matrixs"}


def where(url: str) -> str:
    """A destination as it may be shown: its scheme, and its host where that is a server's name;
    nothing of its path, user or token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme in _HOSTED else f"{parts.scheme}://…"


def alerts_path(policies: str | Path) -> Path:
    """Where a declarations folder keeps its subscriptions (a file given as --policies: its folder):
    alerts.yml, or alerts.yaml; CatalogError when both are there, as either could be the one meant."""
    folder = Path(policies)
    folder = folder if folder.is_dir() else folder.parent
    found = [folder / name for name in ALERTS_FILES if (folder / name).exists()]
    if len(found) > 1:
        raise CatalogError([DeclarationError(str(found[1]), 1, "(file)",
                                             f"{found[0].name} holds alert subscriptions too: keep them in one of the two")])
    return found[0] if found else folder / ALERTS_FILES[0]


def load_subscriptions(policies: str | Path, catalog: Catalog) -> list[Subscription]:
    """The subscriptions beside ``policies`` (none without alerts.yml or alerts.yaml), or CatalogError
    naming every problem by file, line and field."""
    path = alerts_path(policies)
    if not path.exists():
        return []
    data, lines = read_yaml(path, "alerts file")
    source = str(path)
    errors = schema_errors(data, lines, source, SCHEMA)
    if not errors:
        errors = [e for n, raw in enumerate(data["alerts"]) for e in _check(raw, ("alerts", n), lines, source, catalog)]
        errors += _duplicates(data["alerts"], lines, source)
    if errors:
        raise CatalogError(errors)
    return [Subscription(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}) for raw in data["alerts"]]


def _check(raw: dict, at: tuple, lines: dict, source: str, catalog: Catalog) -> list[DeclarationError]:
    """What a schema cannot say: URLs Apprise can use, variables that are set, filters naming something."""
    def error(path: tuple, message: str) -> DeclarationError:
        return DeclarationError(source, line_of(lines, at + path), field_name(at + path), message)

    errors = [error(("to", i), message) for i, url in enumerate(raw["to"]) if (message := _url_problem(url))]
    known = {
        "services": {s.name for s in catalog.services} | {s.slug for s in catalog.services},
        "documents": {d.id for d in catalog.documents},
        "variants": {v.id for v in catalog.variants},
        "regions": {v.region for v in catalog.variants if v.region},
        "languages": {v.language for v in catalog.variants},
    }
    for key, names in known.items():
        for i, value in enumerate(raw.get(key, [])):
            if value not in names:
                close = difflib.get_close_matches(value, sorted(names), n=1)
                errors.append(error((key, i), f"{value!r} names nothing declared" + (f" (did you mean {close[0]!r}?)" if close else "")))
    return errors


def _url_problem(url: str) -> str | None:
    """Why Apprise cannot send to ``url`` (never quoting it: it may hold a secret), or None."""
    import apprise

    missing = [name for name in _VARIABLE.findall(url) if not os.environ.get(name)]
    if missing:
        return f"${{{missing[0]}}} is not set in the environment"
    filled = _VARIABLE.sub(lambda m: os.environ[m.group(1)], url)
    scheme = urlsplit(filled).scheme
    with apprise.LogCapture(level=apprise.logging.CRITICAL):  # Apprise logs the URL it cannot read: secrets too
        plugin = apprise.Apprise.instantiate(filled) if scheme else None
    if plugin is None:
        return f"{scheme or '(no scheme)'}:// is not a destination Apprise knows, or the URL is malformed"
    return None


def _duplicates(raw: list[dict], lines: dict, source: str) -> list[DeclarationError]:
    seen: dict[str, int] = {}
    errors = []
    for n, sub in enumerate(raw):
        if sub["name"] in seen:
            errors.append(DeclarationError(source, line_of(lines, ("alerts", n, "name")), field_name(("alerts", n, "name")),
                                           f"duplicate subscription {sub['name']!r} (also alerts[{seen[sub['name']]}])"))
        seen.setdefault(sub["name"], n)
    return errors
