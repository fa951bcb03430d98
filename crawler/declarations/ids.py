"""Service, document and variant ids as people type them: what an id names, and hints for one that
names nothing.

Ids are slugs, ``service/document/variant`` (``tiktok/privacy-policy/us-en``). A mistyped id must
not pass for an empty selection (a crawl of nothing, an empty evidence file), so every command that
takes ids (``crawl --only``, ``export --only``, ``term --document``, ``history``) refuses one that
names nothing the same way: what it may have meant, and a few ids that exist. The ids come from the
declarations or from the archive, whichever the command works on.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

KINDS = ("service", "document", "variant")
SHOWN = 5  # ids listed in a hint: enough to show the form, few enough for one line


def kinds(variant_ids: Iterable[str]) -> dict[str, str]:
    """Every id the variants imply, service and document ids included, with its kind."""
    known: dict[str, str] = {}
    for variant_id in variant_ids:
        parts = variant_id.split("/")
        for depth, kind in enumerate(KINDS[:len(parts)], 1):
            known.setdefault("/".join(parts[:depth]), kind)
    return known


def within(scope: str, kind: str, known: dict[str, str]) -> list[str]:
    """The ids of ``kind`` under ``scope`` (every one of that kind when ``scope`` is empty), sorted."""
    prefix = scope + "/" if scope else ""
    return sorted(i for i, k in known.items() if k == kind and i.startswith(prefix))


def listing(ids: list[str]) -> str:
    """A few ids for a message, saying how many more there are."""
    more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return ", ".join(ids[:SHOWN]) + more


def _nearest(name: str, known: dict[str, str]) -> tuple[str, str]:
    """The longest existing id ``name`` starts with ("" for none) and the kind one level below it."""
    parts = name.split("/")
    for depth in range(min(len(parts) - 1, len(KINDS) - 1), 0, -1):
        scope = "/".join(parts[:depth])
        if scope in known:
            return scope, KINDS[depth]
    return "", KINDS[0]


def _guess(name: str, siblings: list[str], known: dict[str, str]) -> str | None:
    """The id ``name`` most likely meant: the same but for case (a service's name, ``TikTok``), else
    the sibling whose last part is spelt nearly the same (``privacy-polcy``)."""
    same = [i for i in known if i.casefold() == name.casefold()]
    if same:
        return same[0]
    last = {i.rsplit("/", 1)[-1]: i for i in siblings}
    close = difflib.get_close_matches(name.rsplit("/", 1)[-1], list(last), n=1, cutoff=0.75)
    return last[close[0]] if close else None


def unknown(name: str, known: dict[str, str], where: str, sought: str = "service, document or variant") -> str:
    """Why ``name`` names no ``sought`` in ``where``, with what it may have meant and a few ids that exist."""
    name = name.rstrip("/")
    scope, kind = _nearest(name, known)
    siblings = within(scope, kind, known)
    message = f"no {sought} named {name!r} in {where}"
    guess = _guess(name, siblings, known)
    if guess:
        message += f": did you mean {guess!r}?"
    if siblings:
        message += f" ({kind}s{' of ' + scope if scope else ''}: {listing(siblings)})"
    return message


def not_found(names: Iterable[str], variant_ids: Iterable[str], where: str) -> list[str]:
    """A message for each of ``names`` that is no service, document or variant among ``variant_ids``
    (those of ``where``: the declarations' folder, or the archive)."""
    known = kinds(variant_ids)
    return [unknown(n, known, where) for n in names if n.rstrip("/") not in known]


def wrong_kind(name: str, wanted: str, variant_ids: Iterable[str], where: str) -> str | None:
    """Why ``name`` is not a ``wanted`` id among ``variant_ids`` (those of ``where``): it names another
    kind (its ids of ``wanted`` listed), or nothing; None when it is one."""
    known = kinds(variant_ids)
    kind = known.get(name.rstrip("/"))
    if kind == wanted:
        return None
    if kind is None:
        return unknown(name, known, where, wanted)
    name = name.rstrip("/")
    if KINDS.index(kind) < KINDS.index(wanted):
        return f"{name} is a {kind}, not a {wanted}; its {wanted}s: {listing(within(name, wanted, known))}"
    return f"{name} is a {kind}, not a {wanted}; its {wanted} is {name.rsplit('/', KINDS.index(kind) - KINDS.index(wanted))[0]}"


class UnknownIds(ValueError):
    """Ids that name nothing: the user's to correct, so they print as messages, without a traceback."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))
