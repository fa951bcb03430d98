"""Declarations: ``policies/*.yml`` loaded into typed objects and validated.

A catalog that does not validate runs nothing, so every error carries the file, the line and the
field it is about, in the form ``file:line: field: message`` that editors and CI logs link to.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import yaml
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.common.clock import parse as parse_time
from crawler.declarations import ids
from crawler.declarations.cron import cron_trigger
from crawler.declarations.hosts import allowed_private_hosts, refusal
from crawler.declarations.regions import language_problem, region_problem, timezone_problem

FETCH_MODES = ("http", "browser")


@dataclass(frozen=True)
class Selector:
    """A CSS selector, or a range from a start element up to (not including) an end element."""

    css: str | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def parse(cls, raw: str | dict) -> "Selector":
        if isinstance(raw, str):
            return cls(css=raw)
        return cls(start=raw["start"], end=raw.get("end"))

    def to_json(self) -> str | dict:
        if self.css is not None:
            return self.css
        return {"start": self.start, "end": self.end} if self.end else {"start": self.start}


@dataclass(frozen=True)
class Rules:
    """What to keep (``select``) and what to drop (``remove``) from a page."""

    select: tuple[Selector, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class PastRules:
    """Selectors that held until ``until`` (UTC), for imports of captures older than a redesign."""

    until: datetime
    rules: Rules


@dataclass(frozen=True)
class Action:
    """One page action of a browser variant (``crawler/capture/actions.py`` runs them)."""

    kind: str  # click, wait_for or scroll
    target: str  # a CSS selector, or "bottom" for scroll
    optional: bool = False

    def __str__(self) -> str:
        return f"{self.kind}: {self.target}"


def parse_action(declared: dict) -> Action:
    """An action as a declaration writes it (already validated against the schema)."""
    kind = next(k for k in ("click", "wait_for", "scroll") if k in declared)
    return Action(kind, declared[kind], bool(declared.get("optional", False)))


@dataclass(frozen=True)
class Page:
    """One page of a multi-page document: its URL and, when it declares its own, its selectors."""

    url: str
    rules: Rules | None = None  # None: the variant's


@dataclass(frozen=True)
class Variant:
    id: str
    document_id: str
    service: str
    document_type: str
    region: str
    language: str
    url: str
    fetch: str = "http"
    rules: Rules = Rules()
    history: tuple[PastRules, ...] = ()
    headers: dict = field(default_factory=dict, hash=False, compare=False)
    proxy: str | None = None
    locale: str | None = None
    timezone: str | None = None
    wait_for: str | None = None
    actions: tuple[Action, ...] = ()
    source: str = ""
    ota: str | None = None  # the Open Terms Archive document it follows: COLLECTION/SERVICE/TERMS TYPE
    pages: tuple[Page, ...] = ()  # every page of a multi-page document, in order (url is the first's)
    format: str | None = None  # "pdf": the pages are read as PDF whatever their media type

    @property
    def multipage(self) -> bool:
        """Whether the document is several pages, captured together (docs/decisions/0015-multi-page-documents.md)."""
        return len(self.pages) > 1

    def page_rules(self, number: int, when: datetime | None = None) -> Rules:
        """The selectors of page ``number`` (1-based): its own where it declares them, else the variant's."""
        rules = self.rules_at(when)
        own = self.pages[number - 1].rules if self.pages else None
        if own is None:
            return rules
        return Rules(select=own.select or rules.select, remove=own.remove or rules.remove)

    def rules_at(self, when: datetime | None) -> Rules:
        """The selectors in force at ``when``: the earliest past set still valid, else the current."""
        if when is not None:
            for past in sorted(self.history, key=lambda p: p.until):
                if when < past.until:
                    return past.rules
        return self.rules


@dataclass(frozen=True)
class Document:
    id: str
    service: str
    type: str
    title: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Service:
    name: str
    slug: str
    path: str
    documents: tuple[Document, ...]
    schedule: str | None = None


@dataclass(frozen=True)
class Catalog:
    services: tuple[Service, ...]

    @property
    def documents(self) -> list[Document]:
        return [d for s in self.services for d in s.documents]

    @property
    def variants(self) -> list[Variant]:
        return [v for d in self.documents for v in d.variants]

    @cached_property
    def _by_id(self) -> dict[str, Variant]:
        return {v.id: v for v in self.variants}

    def variant(self, variant_id: str) -> Variant:
        """The variant with this id (KeyError if none); a dict lookup, as a crawl asks it twice per capture."""
        return self._by_id[variant_id]

    def select(self, only: tuple[str, ...] | list[str] = (), where: str = "the declarations") -> list[Variant]:
        """Variants whose id equals, or starts with, one of ``only`` (a service, document or variant id);
        ``UnknownIds`` if one of ``only`` names nothing in the declarations (``where``, for the message)."""
        if not only:
            return self.variants
        chosen = [v for v in self.variants if any(v.id == o or v.id.startswith(o.rstrip("/") + "/") for o in only)]
        unknown = ids.not_found(only, self._by_id, where)
        if unknown:
            raise ids.UnknownIds(unknown)
        return chosen


@dataclass
class DeclarationError:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class CatalogError(Exception):
    """Raised with every error found, so one validation run reports them all."""

    def __init__(self, errors: list[DeclarationError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that keeps dates as strings: ``until: 2021-07-15`` is validated by us, not YAML.

    libyaml's parser when PyYAML has it: a catalog of 10,000 variants loads in a fraction of the
    pure-Python parser's 10 s.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False):
        """A value YAML's constructors cannot build (an integer of 5,000 digits, ``!!timestamp
        2021-13-45``, ``!!float abc``) raises ValueError and the like with no line: it is made a
        YAML error at the value's line."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:
            written = node.value if isinstance(node.value, str) else ""
            shown = repr(written if len(written) <= 40 else written[:40] + "...")
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} cannot be read as {node.tag.rsplit(':', 1)[-1]}: {exc}", node.start_mark) from None


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# How many times larger than the text as written aliases may make a declaration (in YAML nodes).
# PyYAML writes an alias wherever a value is shared, so aliases are read; nine nested ones in 442
# bytes would expand to a billion values (the "billion laughs").
ALIAS_EXPANSION = 10


class AliasBomb(yaml.YAMLError):
    """A declaration whose aliases expand it past ALIAS_EXPANSION times its size: refused before
    anything walks the expansion."""

    def __init__(self, mark: yaml.Mark, written: int):
        super().__init__(f"aliases (*name) expand this declaration past {ALIAS_EXPANSION} times its "
                         f"{written} values: write the values out")
        self.problem, self.problem_mark = str(self), mark


def _bounded(root: yaml.Node) -> None:
    """Walk the node tree as everything after it will (aliases expanded), and stop with AliasBomb
    once the walk is ALIAS_EXPANSION times longer than the tree as written."""
    written, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in written:
            written.add(id(node))
            stack += _children(node)
    limit, visits, stack = ALIAS_EXPANSION * len(written), 0, [root]
    while stack:
        node = stack.pop()
        visits += 1
        if visits > limit:
            raise AliasBomb(node.start_mark, len(written))
        stack += _children(node)


_STR, _MERGE = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"


class DuplicateKey(yaml.YAMLError):
    """A key written twice in one mapping: YAML keeps the last value and drops the first without a
    word, so a second ``select:`` or ``url:`` would silently replace the one above it."""

    def __init__(self, key: yaml.Node, first: yaml.Node):
        super().__init__(f"{key.value!r} is written twice here (first on line {first.start_mark.line + 1}): "
                         "YAML would keep only the last one; remove one")
        self.problem, self.problem_mark = str(self), key.start_mark


class KeyNotText(yaml.YAMLError):
    """A key YAML reads as no text (``1:``, ``yes:``, ``~:``, ``.inf:``): the schema checks the
    names of fields as text, so such a key would be neither a field nor refused as unknown."""

    def __init__(self, key: yaml.Node):
        if isinstance(key, yaml.ScalarNode):
            super().__init__(f"the key {key.value!r} is read as {key.tag.rsplit(':', 1)[-1]}, not as a field name: "
                             f"write it in quotes ('{key.value}') or correct it")
        else:
            super().__init__("a key is a list or a mapping, not a field name")
        self.problem, self.problem_mark = str(self), key.start_mark


def _unique_keys(root: yaml.Node) -> None:
    """Raise DuplicateKey at the first key written twice in one mapping, and KeyNotText at the first
    key that is no text, anywhere in the tree as written."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = {}
            for key, _ in node.value:
                if key.tag not in (_STR, _MERGE):
                    raise KeyNotText(key)
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in keys:
                        raise DuplicateKey(key, keys[key.value])
                    keys[key.value] = key
        stack += _children(node)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The YAML node tree (for line numbers) and the data built from it, parsing the text once;
    aliases that would blow it up are refused before anything is built."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _bounded(node)
        _unique_keys(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def _lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict:
    """Map each path in the document (keys and list indexes) to its 1-based line."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[path + (key.value,)] = key.start_mark.line + 1
            _lines(value, path + (key.value,), out)
            out[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out)
    return out


def _schema() -> dict:
    text = resources.files("crawler.declarations").joinpath("declaration.schema.json").read_text()
    return json.loads(text)


def field_name(path: tuple) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(file)"


def line_of(lines: dict, path: tuple) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def schema_errors(data, lines: dict, source: str, schema: dict | None = None) -> list[DeclarationError]:
    """Each way ``data`` breaks ``schema`` (the declarations' unless given), as file:line: field: message."""
    validator = jsonschema.Draft202012Validator(schema or _schema())
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        errors += _explained(err, lines, source)
    return errors


def _explained(err, lines: dict, source: str) -> list[DeclarationError]:
    path = tuple(err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1]
        return [DeclarationError(source, line_of(lines, path), field_name(path + (missing,)), "is required")]
    if err.validator == "additionalProperties":
        return [DeclarationError(source, line_of(lines, path + (name,)), field_name(path + (name,)),
                                 _unknown_field(name, err.schema.get("properties", {})))
                for name in re.findall(r"'([^']+)'", err.message)]
    if err.validator == "enum":
        return [DeclarationError(source, line_of(lines, path), field_name(path), f"{err.instance!r} is not one of {', '.join(map(str, err.validator_value))}")]
    if err.validator == "pattern":
        what = "url" if path[-2:-1] == ("pages",) else path[-1] if path else "value"  # a page written as its URL
        hint = " (an http:// or https:// address)" if what == "url" else ""
        return [DeclarationError(source, line_of(lines, path), field_name(path), f"{err.instance!r} is not a valid {what}{hint}")]
    if err.validator in ("oneOf", "anyOf"):
        meant = _meant_branch(err)
        if meant is not None:
            return [e for sub in meant for e in _explained(sub, lines, source)]
        forms = ", ".join("{" + ", ".join(f"{key}: ..." for key in b["required"]) + "}" if "required" in b else f"a {b.get('type', 'value')}"
                          for b in err.validator_value)
        return [DeclarationError(source, line_of(lines, path), field_name(path), f"{err.instance!r} is none of the forms allowed here: {forms}")]
    if err.validator == "type" and err.validator_value == "string" and (err.instance is None or isinstance(err.instance, (bool, int, float))):
        return [DeclarationError(source, line_of(lines, path), field_name(path), _not_text(err.instance))]
    return [DeclarationError(source, line_of(lines, path), field_name(path), err.message)]


def _not_text(value: object) -> str:
    """Why a value YAML read as no text is not the text expected: unquoted ``no`` (Norway's code,
    Norwegian's tag) is the boolean false to YAML, ``1`` a number, an empty value null."""
    if value is None:
        return "is empty: write a value"
    if isinstance(value, bool):
        return (f"is read as the boolean {str(value).lower()} (YAML reads unquoted yes, no, on, off, true and "
                f"false so): write the value in quotes, as 'NO' for Norway")
    return f"is read as the number {value!r}: write the value in quotes"


def _meant_branch(err) -> list | None:
    """The errors of the one branch of a oneOf the value was meant for (its type and required keys
    fit: an action with ``click:`` is a click), so the message names the field at fault rather
    than 'is not valid under any of the given schemas'; None when no single branch fits."""
    by_branch: dict = {}
    for sub in err.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [subs for subs in by_branch.values()
               if not any(sub.validator in ("required", "type") and sub.absolute_path == err.absolute_path for sub in subs)]
    return fitting[0] if len(fitting) == 1 else None


def _unknown_field(name: str, allowed: dict) -> str:
    """"unknown field", with the field the author most likely meant, or the ones allowed there."""
    close = difflib.get_close_matches(name, list(allowed), n=1)
    return f"unknown field; did you mean {close[0]!r}?" if close else f"unknown field (fields here: {', '.join(sorted(allowed))})"


_BLANK_PAGE = etree.fromstring("<html><body></body></html>")


@lru_cache(maxsize=4096)
def css_problem(css: str) -> str | None:
    """Why the extraction's CSS engine (lxml's, with cssselect's HTML translator) cannot run ``css``,
    or None. The selector is compiled and run on a blank page as the extraction runs it: one that
    translates but cannot be evaluated (``svg|rect``, a namespace prefix XPath does not know) would
    otherwise fail every capture of its variant."""
    try:
        CSSSelector(css, translator="html")(_BLANK_PAGE)
    except (SelectorError, etree.XPathError) as exc:
        return str(exc)
    return None


def _check_css(css: str, where: tuple, lines: dict, source: str) -> list[DeclarationError]:
    problem = css_problem(css)
    if problem:
        return [DeclarationError(source, line_of(lines, where), field_name(where), f"invalid CSS selector {css!r}: {problem}")]
    return []


def _rules(raw: dict) -> Rules:
    return Rules(
        select=tuple(Selector.parse(s) for s in raw.get("select", [])),
        remove=tuple(raw.get("remove", [])),
    )


def _schedule_errors(data: dict, lines: dict, source: str) -> list[DeclarationError]:
    """A schedule that cron could not read fails ``validate``, not the scheduler's start."""
    if "schedule" not in data:
        return []
    try:
        cron_trigger(data["schedule"])
    except ValueError as exc:
        return [DeclarationError(source, line_of(lines, ("schedule",)), "schedule", str(exc))]
    return []


def _duplicate_types(data: dict, lines: dict, source: str) -> list[DeclarationError]:
    """Two documents of one type in one file would share their variants' ids: every run would
    record the two pages as changes of one variant."""
    errors, seen = [], {}
    for d, doc in enumerate(data["documents"]):
        if doc["type"] in seen:
            where = ("documents", d, "type")
            errors.append(DeclarationError(source, line_of(lines, where), field_name(where),
                                           f"duplicate document type {doc['type']!r} (also documents[{seen[doc['type']]}]): "
                                           f"its variants would share the ids {slugify(data['service'])}/{doc['type']}/..."))
        seen.setdefault(doc["type"], d)
    return errors


def _semantic_errors(data: dict, lines: dict, source: str) -> list[DeclarationError]:
    """Checks a schema cannot express: CSS syntax, dates, duplicate variants, cron schedules, known
    regions, languages, locales and time zones, hosts that may be fetched."""
    errors = _schedule_errors(data, lines, source) + _duplicate_types(data, lines, source)
    if not slugify(data["service"]):
        errors.append(DeclarationError(source, line_of(lines, ("service",)), "service",
                                       f"{data['service']!r} gives an empty id (ids are made of the Latin letters and digits "
                                       f"in the name): write the name in Latin letters, as WeChat for 微信"))
    for d, doc in enumerate(data["documents"]):
        seen: dict[str, int] = {}
        for v, var in enumerate(doc["variants"]):
            base = ("documents", d, "variants", v)
            slug = f"{var['region']}-{var['language']}".lower()
            if slug in seen:
                errors.append(DeclarationError(source, line_of(lines, base), field_name(base), f"duplicate variant {slug} (also variants[{seen[slug]}])"))
            seen[slug] = v
            sets = [(base, var)] + [(base + ("history", h), past) for h, past in enumerate(var.get("history", []))]
            for where, rules in sets:
                for i, sel in enumerate(rules.get("select", [])):
                    for part, css in ([("",  sel)] if isinstance(sel, str) else list(sel.items())):
                        errors += _check_css(css, where + ("select", i) + ((part,) if part else ()), lines, source)
                for i, css in enumerate(rules.get("remove", [])):
                    errors += _check_css(css, where + ("remove", i), lines, source)
            for h, past in enumerate(var.get("history", [])):
                try:
                    parse_time(past["until"])
                except ValueError:
                    where = base + ("history", h, "until")
                    errors.append(DeclarationError(source, line_of(lines, where), field_name(where), f"{past['until']!r} is not an ISO 8601 date"))
            for name, problem in (("region", region_problem), ("language", language_problem),
                                  ("locale", language_problem), ("timezone", timezone_problem)):
                why = problem(var[name]) if name in var else None
                if why:
                    errors.append(DeclarationError(source, line_of(lines, base + (name,)), field_name(base + (name,)), why))
            if var.get("wait_for"):
                errors += _check_css(var["wait_for"], base + ("wait_for",), lines, source)
            errors += _check_actions(var, base, lines, source)
            errors += _check_pages(var, base, lines, source)
            errors += _check_headers(var, base, lines, source)
    return errors


def _check_pages(var: dict, base: tuple, lines: dict, source: str) -> list[DeclarationError]:
    """A variant names at least one URL (``url``, ``pages`` or both); each may be fetched, and each
    page's own selectors are CSS."""
    if "url" not in var and "pages" not in var:
        return [DeclarationError(source, line_of(lines, base), field_name(base + ("url",)),
                                 "is required (or pages: the URLs of a multi-page document)")]
    errors, urls = [], [(base + ("url",), var["url"])] if "url" in var else []
    for i, page in enumerate(var.get("pages", [])):
        where = base + ("pages", i)
        urls.append((where + ("url",) if isinstance(page, dict) else where, _page_url(page)))
        for name, selectors in (page.items() if isinstance(page, dict) else ()):
            for j, sel in enumerate(selectors if name in ("select", "remove") else ()):
                for part, css in ([("", sel)] if isinstance(sel, str) else list(sel.items())):
                    errors += _check_css(css, where + (name, j) + ((part,) if part else ()), lines, source)
    seen: dict[str, tuple] = {}
    for where, url in urls:
        reason = _invisible_in(url) or refusal(url)
        if reason:
            errors.append(DeclarationError(source, line_of(lines, where), field_name(where), reason))
        elif url in seen:
            errors.append(DeclarationError(source, line_of(lines, where), field_name(where),
                                           f"{url!r} is also {field_name(seen[url][len(base):])}: a page is declared once"))
        seen.setdefault(url, where)
    return errors


# A header name is an HTTP token (RFC 9110, 5.6.2); a value is one line without control characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_BREAK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_headers(var: dict, base: tuple, lines: dict, source: str) -> list[DeclarationError]:
    """Each header can be sent as written: a name with a space or a colon fails every fetch of the
    variant, night after night; a line break in a value would end the header and start another."""
    errors = []
    for name, value in var.get("headers", {}).items():
        where = base + ("headers", name)
        if not _HEADER_NAME.fullmatch(name):
            errors.append(DeclarationError(source, line_of(lines, where), field_name(where),
                                           f"{name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~; "
                                           f"no spaces or colons)"))
        elif _HEADER_BREAK.search(value):
            errors.append(DeclarationError(source, line_of(lines, where), field_name(where),
                                           f"{value!r} holds a line break or a control character: a header is one line"))
    return errors


def _invisible_in(url: str) -> str | None:
    """Why ``url`` cannot be the address it looks like: it holds a character that shows nothing (a
    zero-width space, a byte order mark, a control character), left by copying it from a page or a
    document. Spaces are refused by the schema; these pass for the URL and fetch another page."""
    for i, character in enumerate(url):
        if unicodedata.category(character) in ("Cc", "Cf"):
            name = unicodedata.name(character, "a control character")
            return f"holds an invisible character, U+{ord(character):04X} {name}, after {url[:i]!r}: delete it"
    return None


def _check_actions(var: dict, base: tuple, lines: list[str], source: str) -> list[DeclarationError]:
    """Each action's selector is CSS, and actions are declared only where a browser runs them."""
    errors = []
    for i, declared in enumerate(var.get("actions", [])):
        if not isinstance(declared, dict) or not declared.keys() & {"click", "wait_for", "scroll"}:
            continue  # the schema names what is wrong with it
        action = parse_action(declared)
        if action.kind != "scroll":
            errors += _check_css(action.target, base + ("actions", i, action.kind), lines, source)
    if var.get("actions") and var.get("fetch", "http") != "browser":
        where = base + ("actions",)
        errors.append(DeclarationError(source, line_of(lines, where), field_name(where),
                                       "actions run in a browser: declare fetch: browser"))
    return errors


def _page_url(page: str | dict) -> str:
    return page["url"] if isinstance(page, dict) else page


def _pages(var: dict) -> tuple[Page, ...]:
    """The pages of a multi-page variant, ``url`` first when it declares one; () for one page."""
    declared = [Page(var["url"])] if "url" in var else []
    for page in var.get("pages", []):
        own = isinstance(page, dict) and ("select" in page or "remove" in page)
        declared.append(Page(_page_url(page), _rules(page) if own else None))
    return tuple(declared) if len(declared) > 1 else ()


def _build(data: dict, source: str) -> Service:
    service_slug = slugify(data["service"])
    documents = []
    for doc in data["documents"]:
        doc_id = f"{service_slug}/{doc['type']}"
        variants = tuple(
            Variant(
                id=f"{doc_id}/{var['region']}-{var['language']}".lower(),
                document_id=doc_id,
                service=data["service"],
                document_type=doc["type"],
                region=var["region"],
                language=var["language"],
                url=var["url"] if "url" in var else _page_url(var["pages"][0]),
                fetch=var.get("fetch", "http"),
                rules=_rules(var),
                history=tuple(PastRules(parse_time(p["until"]), _rules(p)) for p in var.get("history", [])),
                headers=dict(var.get("headers", {})),
                proxy=var.get("proxy"),
                locale=var.get("locale"),
                timezone=var.get("timezone"),
                wait_for=var.get("wait_for"),
                actions=tuple(parse_action(a) for a in var.get("actions", [])),
                source=source,
                ota=var.get("ota"),
                pages=_pages(var),
                format=var.get("format"),
            )
            for var in doc["variants"]
        )
        title = doc.get("title") or f"{data['service']} {doc['type'].replace('-', ' ')}"
        documents.append(Document(id=doc_id, service=data["service"], type=doc["type"], title=title, variants=variants))
    return Service(name=data["service"], slug=service_slug, path=source, documents=tuple(documents), schedule=data.get("schedule"))


def read_yaml(path: Path | str, what: str = "declaration") -> tuple[object, dict]:
    """A YAML file's data and the line of each of its fields, or CatalogError saying where it broke."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError([DeclarationError(source, 1, "(file)", f"cannot read: {exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CatalogError([DeclarationError(source, line, "(file)", f"byte 0x{raw[exc.start]:02x} is not UTF-8 "
                                             f"({exc.reason}): save the file as UTF-8")]) from None
    try:
        node, data = _parse(text)
    except yaml.YAMLError as exc:
        line, problem = _yaml_problem(exc, text)
        raise CatalogError([DeclarationError(source, line, "(yaml)", problem)]) from None
    if node is None:
        raise CatalogError([DeclarationError(source, 1, "(file)", f"empty {what}")])
    return data, _lines(node)


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line of a YAML error and what is wrong there, on one line. A character YAML refuses
    (a NUL, a control character) is reported by its position in the text, not a line; a tab where
    YAML looks for indentation is named as a tab."""
    if isinstance(exc, yaml.reader.ReaderError):
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return text.count("\n", 0, exc.position) + 1, f"character #x{character:04x}: {exc.reason}"
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return 1, str(exc).replace("\n", " ")
    problem = str(getattr(exc, "problem", None) or exc).replace("\n", " ")
    if text[mark.index:mark.index + 1] == "\t" and "tab" not in problem:
        problem += ": a tab; YAML indents with spaces"
    return mark.line + 1, problem


def load_file(path: Path | str) -> Service:
    """Load and validate one declaration file; raise CatalogError listing every problem in it."""
    source = str(path)
    data, lines = read_yaml(path)
    errors = schema_errors(data, lines, source)
    if not errors:
        errors = _semantic_errors(data, lines, source)
    if errors:
        raise CatalogError(errors)
    return _build(data, source)


# The alert subscriptions live beside the declarations, in a file of their own
# (crawler/declarations/alerts.py), under either extension a declaration may have: it is not a
# service's declaration.
ALERTS_FILES = ("alerts.yml", "alerts.yaml")


def declaration_files(paths: list[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(f for f in list(p.glob("*.yml")) + list(p.glob("*.yaml")) if f.name not in ALERTS_FILES) if p.is_dir() else [p]
    return files


def load_catalog(*paths: Path | str) -> Catalog:
    """Load every declaration under ``paths`` (folders or files); all errors of all files at once.

    A crawl asks for the catalog three times (the command, Scrapy's settings hook, the spider) and a
    10,000-variant catalog takes seconds to validate, so each process keeps the catalogs it loaded,
    keyed by the files' paths, sizes and modification times and by the private hosts allowed.
    """
    files = declaration_files(list(paths) or ["policies"])
    if not files:
        raise CatalogError([DeclarationError(str(paths[0]) if paths else "policies", 0, "(catalog)", "no declaration files (*.yml) found")])
    return _load_files(tuple((str(f), *_stamp(f)) for f in files), tuple(sorted(allowed_private_hosts())))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_files(files: tuple[tuple[str, int, int], ...], allowed: tuple[str, ...]) -> Catalog:
    """The catalog of ``files`` (path, size, mtime); ``allowed`` is only part of the cache key, as
    validation reads the allowed private hosts from the environment."""
    services, errors = [], []
    for f, *_ in files:
        try:
            services.append(load_file(f))
        except CatalogError as exc:
            errors += exc.errors
    by_slug: dict[str, str] = {}
    for s in services:
        if s.slug in by_slug:
            errors.append(DeclarationError(s.path, 1, "service", f"service {s.name!r} is also declared in {by_slug[s.slug]}"))
        by_slug[s.slug] = s.path
    if errors:
        raise CatalogError(errors)
    return Catalog(services=tuple(services))
