"""Open Terms Archive's declarations as policyarchive's: ``policyarchive catalog from-ota``.

OTA declares a service in ``<Service>.json`` (``terms``: one entry per terms type, with ``fetch``,
``select``, ``remove``, ranges, ``executeClientScripts``, ``combine``, ``filter``) and its earlier
selectors in ``<Service>.history.json`` (``validUntil``). A collection pins one region and language
for all its documents, so the converter takes them for the collection. Each converted variant names
its OTA source (``ota: COLLECTION/SERVICE/TERMS TYPE``), and each file credits OTA and its licence.

A multi-page document (``combine``) becomes a variant's ``pages``, each page's own selectors kept.
What policyarchive cannot express is listed per declaration, never dropped silently: JavaScript
filters, history entries of several pages, ranges that start after or end after an element,
selectors its CSS engine cannot read, query-parameter rewriting, and history entries that fetched
another URL (their selectors are kept for old captures; the URL is not).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from crawler.declarations.catalog import css_problem, slugify

LICENCE = "European Union Public Licence v1.2"
# OTA keys with no policyarchive equivalent; each one present is a listed loss.
_NOT_CONVERTED = {
    "filter": "JavaScript filters ({value}) are OTA code and are not run",
    "removeQueryParams": "links keep the query parameters OTA removes ({value})",
    "removeCloudflareEmailProtection": "Cloudflare e-mail protection is not undone",
}


@dataclass
class Converted:
    """One OTA service as a policyarchive declaration, and what could not come along."""

    service: str
    source: str
    declaration: dict | None
    losses: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"{slugify(self.service)}.yml"


def _selectors(raw, where: str, losses: list[str], removing: bool = False) -> list:
    """OTA's ``select`` or ``remove`` (a string, a range or a list of them) as policyarchive's, with
    each selector it cannot take listed in ``losses``."""
    out = []
    for item in raw if isinstance(raw, list) else [raw] if raw else []:
        if isinstance(item, str):
            problem = css_problem(item)
            if problem:
                losses.append(f"{where}: selector {item!r} left out: the CSS engine cannot read it ({problem})")
            else:
                out.append(item)
        elif removing:
            losses.append(f"{where}: a range to remove ({json.dumps(item)}) is not supported")
        elif set(item) - {"startBefore", "endBefore"}:
            losses.append(f"{where}: range {json.dumps(item)} left out: only startBefore/endBefore ranges convert")
        elif any(css_problem(css) for css in item.values()):
            losses.append(f"{where}: range {json.dumps(item)} left out: the CSS engine cannot read it")
        else:
            out.append({"start": item["startBefore"], **({"end": item["endBefore"]} if "endBefore" in item else {})})
    return out


def _rules(raw: dict, where: str, losses: list[str]) -> dict:
    rules = {}
    select = _selectors(raw.get("select"), where, losses)
    remove = _selectors(raw.get("remove"), where, losses, removing=True)
    if select:
        rules["select"] = select
    if remove:
        rules["remove"] = remove
    for key, message in _NOT_CONVERTED.items():
        if key in raw:
            losses.append(f"{where}: " + message.format(value=json.dumps(raw[key]), count=0))
    return rules


def _address(raw: dict, where: str, losses: list[str]) -> dict:
    """``url``, or for a document OTA combines from several pages, ``pages``: each page its URL, or
    its URL and the selectors it declares of its own."""
    if not _combined(raw):
        return {"url": raw["fetch"]}
    pages = []
    for n, page in enumerate(raw["combine"], 1):
        own = _rules({k: v for k, v in page.items() if k not in ("fetch", "executeClientScripts")}, f"{where} (page {n})", losses)
        pages.append({"url": page["fetch"], **own} if own else page["fetch"])
    return {"pages": pages}


def _combined(raw) -> bool:
    """Whether ``raw`` is a document combined from pages that each name their URL."""
    return isinstance(raw, dict) and isinstance(raw.get("combine"), list) and bool(raw["combine"]) and all(
        isinstance(p, dict) and isinstance(p.get("fetch"), str) for p in raw["combine"])


def _variant(terms_type: str, raw: dict, history: list[dict], region: str, language: str, collection: str,
             service: str, losses: list[str]) -> dict:
    where = f"{terms_type}"
    variant = {"region": region, "language": language, **_address(raw, where, losses)}
    if raw.get("executeClientScripts") or any(p.get("executeClientScripts") for p in raw.get("combine", [])):
        variant["fetch"] = "browser"
    variant.update(_rules(raw, where, losses))
    past = []
    for entry in sorted(history, key=lambda e: e.get("validUntil", "")):
        until = entry.get("validUntil")
        if not until or "combine" in entry:
            losses.append(f"{where}: a history entry {'without validUntil' if not until else 'of several pages'} is left out")
            continue
        if entry.get("fetch") and entry["fetch"] != raw.get("fetch"):
            losses.append(f"{where}: until {until} it was fetched from {entry['fetch']}: its selectors are kept, not that URL")
        past.append({"until": until, **_rules(entry, f"{where} (until {until})", losses)})
    if past:
        variant["history"] = past
    variant["ota"] = f"{collection}/{service}/{terms_type}"
    return variant


def convert(path: Path, region: str, language: str, collection: str) -> Converted:
    """The declaration ``path`` (``<Service>.json``, with its ``.history.json`` when there is one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return Converted(path.stem, path.name, None, [f"not JSON ({exc}): left out"])
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"].strip():
        return Converted(path.stem, path.name, None, ["not an Open Terms Archive declaration (it has no name): left out"])
    service = data["name"]
    losses: list[str] = []
    history = _history(path, losses)
    documents = []
    terms = data.get("terms") if isinstance(data.get("terms"), dict) else {}
    for terms_type, raw in terms.items():
        if not _combined(raw) and (not isinstance(raw, dict) or not isinstance(raw.get("fetch"), str)):
            losses.append(f"{terms_type}: no fetch URL: the document is left out")
            continue
        if not slugify(terms_type):
            losses.append(f"{terms_type}: no document type can be made of this name: the document is left out")
            continue
        variant = _variant(terms_type, raw, history.get(terms_type, []), region, language, collection, service, losses)
        documents.append({"type": slugify(terms_type), "title": f"{service} {terms_type}", "variants": [variant]})
    declaration = {"service": service, "documents": documents} if documents else None
    if declaration is None:
        losses.append("no document could be converted: the service is left out")
    return Converted(service, path.name, declaration, losses)


def _history(path: Path, losses: list[str]) -> dict:
    """``<Service>.history.json`` beside the declaration, or nothing (said in ``losses`` when it is
    there but unreadable: the service converts without its past selectors)."""
    history_path = path.with_name(path.name.removesuffix(".json") + ".history.json")
    if not history_path.exists():
        return {}
    try:
        history = json.loads(history_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        losses.append(f"{history_path.name} is not JSON ({exc}): converted without its history")
        return {}
    if not isinstance(history, dict):
        losses.append(f"{history_path.name} is not a history of declarations: converted without it")
        return {}
    return history


def declaration_paths(folder: Path) -> list[Path]:
    """OTA's current declarations in ``folder``: ``<Service>.json``, not their history files."""
    return sorted(p for p in folder.glob("*.json") if not p.name.endswith(".history.json"))


def render(converted: Converted, collection: str) -> str:
    """The YAML file of a converted service, crediting its source and listing what was not converted."""
    header = [
        f"# {converted.service}: converted from Open Terms Archive's {collection} declarations ({converted.source}),",
        f"# {LICENCE} (https://opentermsarchive.org). policyarchive catalog from-ota wrote this file.",
    ]
    if converted.losses:
        header.append("# Not converted:")
        header += ["#   - " + " ".join(loss.split()) for loss in converted.losses]
    body = yaml.safe_dump(converted.declaration, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(header) + "\n" + body
