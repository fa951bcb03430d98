"""A diff as a reader reads it: the Markdown typeset, every inserted and deleted word still marked.

A diff's ops are cut into rows, one line of the merged text each. Unchanged lines are typeset as
they stand. A line added or removed whole is typeset inside its mark. A line edited in place is
typeset with its marks carried through the renderer as characters no text holds, then turned into
``<ins>`` and ``<del>`` around the words they enclose; that typesetting is kept only when dropping
one side's marks gives exactly the other text typeset alone, so a change the Markdown itself
carries (a heading's level, a link's target, emphasis added) is never typeset away: that line is
shown as its Markdown source, marked word by word as before. Two changes typesetting would hide are
made visible instead: a link's new target is written out after its words, marked; and a line whose
two sides typeset alike (a rule drawn longer, an escape added) is typeset once, said to be markup only.

A paragraph removed in one place and added, reworded, in another (the clause index's rewording
measure, ``clauses.REWORDED``) is shown where it now stands as a word diff from its old wording,
linked both ways with the place it left. Watched terms inside a change are marked with anchors,
and each watched term the change touches gets a verdict: added, removed or reworded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import count

from markupsafe import Markup, escape

from crawler.text.clauses import clauses_with, reworded
from crawler.text.diff import DELETE, EQUAL, INSERT, diff
from crawler.text.extract import comparable
from crawler.text.terms import WATCHED, pattern
from crawler.web.plugins.policy_filters import safe_markdown as _safe_markdown

CONTEXT_LINES = 3  # unchanged lines kept on each side of a change; more are folded
MOVED_MIN_WORDS = 4  # a paragraph this long, deleted in one place and inserted in another, moved
REWRITTEN = 0.5  # a line keeping less than this share of its characters is shown removed and added whole

# A side-by-side diff typesets each unchanged line twice, and an edited line's sides once more to check it.
safe_markdown = lru_cache(maxsize=4096)(_safe_markdown)

# Marks carried through the Markdown renderer: Unicode private-use characters, which no stored text holds.
_OPEN = {DELETE: "\ue000", INSERT: "\ue002"}
_CLOSE = {DELETE: "\ue001", INSERT: "\ue003"}
_MARK_TAG = {"\ue000": (DELETE, True), "\ue001": (DELETE, False), "\ue002": (INSERT, True), "\ue003": (INSERT, False)}
_MARKS = re.compile("[\ue000-\ue003]")
_TAG = {DELETE: "del", INSERT: "ins"}
_PARTS = re.compile(r"(<[^>]*>)")
_SPACE = re.compile(r"\s+")
_AROUND_TAGS = re.compile(r"\s*(<[^>]*>)\s*")
# The block markup a line starts with (heading, list item, quote): a mark opened at the line's start goes after it.
_BLOCK_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d{1,9}[.)]\s+|>\s*)*")
# A Markdown link, its words and its target; a changed target is written out between two more private-use marks.
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^()\s]*)\)")
_TARGET_OPEN, _TARGET_CLOSE = "\ue004", "\ue005"
# A marked stretch may hold a written target whole, never one of its delimiters alone.
_MARKED_STRETCH = re.compile(f"[{_OPEN[DELETE]}{_OPEN[INSERT]}][^{_CLOSE[DELETE]}{_CLOSE[INSERT]}]*")
_WRITTEN_TARGET = re.compile(f"{_TARGET_OPEN}[^{_TARGET_OPEN}{_TARGET_CLOSE}]*{_TARGET_CLOSE}")
_DELIMITER = re.compile(f"[{_TARGET_OPEN}{_TARGET_CLOSE}]")
_ESCAPABLE = re.compile(r"[!-/:-@\[-`{-~]")  # ASCII punctuation: a target written out is escaped, so it reads as typed


@lru_cache(maxsize=64)
def _terms_pattern(asked: str) -> tuple[re.Pattern, dict[str, str]]:
    """One pattern for the term or phrase a reader asked about (first, so that its words are marked as
    its own) and every watched term, and the term each of its groups stands for. A term's phrases are
    folded (casefolded) to match; in a page's text they are matched regardless of case."""
    keys = {f"t{n}": term for n, term in enumerate(dict.fromkeys(([asked] if asked else []) + list(WATCHED)))}
    return re.compile("|".join(f"(?P<{group}>{pattern(term).pattern})" for group, term in keys.items()), re.IGNORECASE), keys


def anchor_key(term: str) -> str:
    """A term or phrase as it stands in its marks' anchors (``term-KEY-N``): ``biometric``, ``irish-data-protection``."""
    return re.sub(r"[\W_]+", "-", term.casefold()).strip("-") or "term"


def readable(ops) -> list[tuple[int, str]]:
    """The ops regrouped at the line ends both texts share; a line mostly rewritten (words both
    removed and added, little kept) becomes its old text removed whole and its new text added whole,
    which reads better than a salad of words."""
    out: list = []
    row: list = []

    def flush():
        old = "".join(t for op, t in row if op != INSERT)
        new = "".join(t for op, t in row if op != DELETE)
        same = sum(len(t) for op, t in row if op == EQUAL)
        kinds = {op for op, _ in row}
        if {DELETE, INSERT} <= kinds and same < REWRITTEN * max(len(old), len(new)):
            row[:] = [(op, t) for op, t in ((DELETE, old), (INSERT, new)) if t]
        for op, text in row:
            if out and out[-1][0] == op:
                out[-1] = (op, out[-1][1] + text)
            else:
                out.append((op, text))
        row.clear()

    for op, text in ops:
        if op != EQUAL:
            row.append((op, text))
            continue
        for n, piece in enumerate(text.split("\n")):
            if n:
                row.append((EQUAL, "\n"))
                flush()
            if piece:
                row.append((EQUAL, piece))
    flush()
    return out


def moved_paragraphs(ops) -> set[str]:
    """Paragraphs deleted in one place and inserted, word for word, in another."""
    def paragraphs(kind):
        return {line.strip() for op, text in ops if op == kind for line in text.split("\n")
                if len(line.split()) >= MOVED_MIN_WORDS}
    return paragraphs(DELETE) & paragraphs(INSERT)


def rows(ops) -> list[list[tuple[int, str]]]:
    """The ops cut after every line end, of either text: each row one line of the merged text,
    without its line end."""
    out: list[list[tuple[int, str]]] = [[]]
    for op, text in ops:
        for n, piece in enumerate(text.split("\n")):
            if n:
                out.append([])
            if piece:
                out[-1].append((op, piece))
    return out


def side(row, op: int) -> str:
    """A row's text as one side had it: the old (``DELETE``) or the new (``INSERT``)."""
    return "".join(text for kind, text in row if kind != -op)


def changed(row) -> bool:
    return any(op != EQUAL for op, _ in row)


def whole(row) -> int | None:
    """The op of a row added or removed whole; None for an unchanged or edited one."""
    kinds = {op for op, text in row if text.strip()}
    return kinds.pop() if len(kinds) == 1 and EQUAL not in kinds else None


def _comparable_html(html: str) -> str:
    return _AROUND_TAGS.sub(r"\1", _SPACE.sub(" ", html)).strip()


def _one_side(html: str, op: int) -> str:
    """Typeset merged text reduced to one side: the other side's marked text dropped, marks removed."""
    other = -op
    dropped = re.sub(f"{_OPEN[other]}[^{_CLOSE[other]}]*{_CLOSE[other]}", "", html)
    return _MARKS.sub("", dropped)


def _marks_to_tags(html: str, classes: str = "") -> Markup:
    """Marks in typeset text become ``<ins>``/``<del>``, closed before every tag and reopened after
    it, so that they nest in whatever the Markdown made."""
    out, current = [], None
    attribute = f' class="{classes}"' if classes else ""
    for part in _PARTS.split(html):
        if part.startswith("<"):
            out.append(part)
            continue
        for piece in re.split("([\ue000-\ue003])", part):
            if piece in _MARK_TAG:
                op, opening = _MARK_TAG[piece]
                current = op if opening else None
            elif piece:
                out.append(f"<{_TAG[current]}{attribute}>{piece}</{_TAG[current]}>" if current else piece)
    return Markup("".join(out))


def _source(row, title: str = "") -> Markup:
    """A row as its Markdown source, each changed stretch marked: what is shown when typesetting would hide a change."""
    out = Markup()
    for op, text in row:
        out += escape(text) if op == EQUAL else Markup(f"<{_TAG[op]}>{{}}</{_TAG[op]}>").format(text)
    return Markup('<p class="source" title="{}">{}</p>').format(title, out)


def _targets_written(text: str, which: set[int]) -> str:
    """``text`` with its links numbered ``which`` (in order of appearance) written as their words followed by
    their target, so that a change of target is words a reader sees, not an attribute typesetting hides."""
    number = count()
    return _LINK.sub(lambda m: f"{m[1]} {_TARGET_OPEN}{_escaped(m[2])}{_TARGET_CLOSE}" if next(number) in which else m[0], text)


def _escaped(target: str) -> str:
    return _ESCAPABLE.sub(lambda m: "\\" + m[0], target)


def _typeset(text: str, links: set[int]) -> str:
    html = str(safe_markdown(_targets_written(text, links)))
    return html.replace(_TARGET_OPEN, '<code class="link-target" title="where this link leads">').replace(_TARGET_CLOSE, "</code>")


def edited(row) -> Markup:
    """A line edited in place, typeset with its marks, or as its source when typesetting would hide a change.

    A line whose two sides a reader sees alike (only the markup changed: a rule's length, an escape) is
    typeset once, unmarked; a link whose target changed is typeset with its target written after its
    words; a line whose changes cut across its links' markup (a link removed, its target cut in two)
    is diffed again with every link of both sides written so."""
    links = {n for n, m in enumerate(_LINK.finditer(_merged(row))) if _MARKS.search(m[2])}
    old, new = (_typeset(side(row, op), links) for op in (DELETE, INSERT))
    if _comparable_html(old) == _comparable_html(new):
        return Markup('<div class="markup-only" title="only the Markdown markup changed here, not what a reader sees">{}</div>').format(
            Markup(new))
    typeset = _typeset_marked(row, links)
    if typeset is None:
        every = set(range(max(len(_LINK.findall(side(row, op))) for op in (DELETE, INSERT))))
        written = [r for r in rows(diff(*(_targets_written(side(row, op), every) for op in (DELETE, INSERT))).ops) if r]
        typeset = _typeset_marked(_delimiters_kept(written[0]), set()) if every and len(written) == 1 else None
    return typeset if typeset is not None else _source(row, "the Markdown markup changed here: shown as its source")


def _delimiters_kept(row) -> list[tuple[int, str]]:
    """A removal and the addition after it that both start with a written target's delimiter, or the
    removal ending with the one the addition starts with (the word diff keeps the space after a
    delimiter with it: ``…en⟩.`` against ``⟩ to learn…``): that delimiter left unchanged, out of the marks."""
    out: list[tuple[int, str]] = []
    for op, text in row:
        if out and out[-1][0] == DELETE and op == INSERT and text and out[-1][1]:
            removed = out.pop()[1]
            if removed[0] == text[0] in (_TARGET_OPEN, _TARGET_CLOSE):
                out.append((EQUAL, text[0]))
                removed, text = removed[1:], text[1:]
            tail = removed[-1:] if removed[-1:] in (_TARGET_OPEN, _TARGET_CLOSE) and text[:1] == removed[-1:] else ""
            out += [(DELETE, removed[:-1] if tail else removed)] + ([(EQUAL, tail)] if tail else []) + [(INSERT, text[1:] if tail else text)]
            continue
        out.append((op, text))
    return [(op, text) for op, text in out if text]


def _merged(row) -> str:
    """A row's text with its changes enclosed in marks, a mark opened at the line's start put after its block markup."""
    (first_op, first_text), rest = row[0], row[1:]
    start = _BLOCK_PREFIX.match(first_text)[0] if first_op != EQUAL else ""
    segments = ([(EQUAL, start)] if start else []) + [(first_op, first_text[len(start):])] + rest
    return "".join(text if op == EQUAL else _OPEN[op] + text + _CLOSE[op] for op, text in segments)


def _typeset_marked(row, links: set[int]) -> Markup | None:
    """A row typeset with its marks (``links`` written out), or None unless dropping one side's marks gives
    exactly the other side typeset alone."""
    merged = _merged(row)
    if any(_DELIMITER.search(_WRITTEN_TARGET.sub("", stretch)) for stretch in _MARKED_STRETCH.findall(_targets_written(merged, links))):
        return None
    html = _typeset(merged, links)
    for op in (DELETE, INSERT):
        if _comparable_html(_one_side(html, op)) != _comparable_html(_typeset(side(row, op), links)):
            return None
    return _marks_to_tags(html)


@dataclass
class Pairs:
    """Paragraphs removed in one place and added, reworded, in another: row index of the removal
    to row index of the addition, and the reverse."""

    moved_to: dict[int, int] = field(default_factory=dict)
    moved_from: dict[int, int] = field(default_factory=dict)


def reworded_moves(all_rows) -> Pairs:
    """Whole removed and added lines that are the same clause reworded (``clauses.reworded``), away from each
    other: a rewording in place stays a removal and an addition side by side."""
    removed = {i: side(r, DELETE).strip() for i, r in enumerate(all_rows) if whole(r) == DELETE}
    added = {i: side(r, INSERT).strip() for i, r in enumerate(all_rows) if whole(r) == INSERT}
    where_removed = {comparable(t): i for i, t in removed.items()}
    where_added = {comparable(t): i for i, t in added.items()}
    pairs = Pairs()
    for old, new in reworded(list(removed.values()), list(added.values())):
        i, j = where_removed.get(comparable(old)), where_added.get(comparable(new))
        if i is None or j is None:
            continue
        between = all_rows[min(i, j) + 1:max(i, j)]
        if any(not changed(r) and side(r, INSERT).strip() for r in between):
            pairs.moved_to[i], pairs.moved_from[j] = j, i
    return pairs


@dataclass
class Rendered:
    """A diff typeset for a page: inline (one column) or side by side (blocks of old/new rows),
    with the number of paragraphs that moved unchanged and that moved reworded, and the number of
    anchored marks of each watched term (``term-KEY-1`` to ``term-KEY-N``)."""

    inline: Markup | None
    blocks: list[dict] | None
    moved: int
    reworded: int
    marks: dict[str, int]


def _whole(all_rows, i: int, op: int, moved: set[str], pairs: Pairs) -> Markup:
    """A line added or removed whole, typeset inside its mark; moved, or moved and reworded, said so."""
    text = side(all_rows[i], op)
    tag = _TAG[op]
    if op == INSERT and i in pairs.moved_from:
        j = pairs.moved_from[i]
        old = all_rows[j]
        word_rows = rows(diff(side(old, DELETE), text).ops)
        body = Markup("").join(edited(r) if changed(r) else safe_markdown(side(r, INSERT)) for r in word_rows if r)
        return Markup('<section class="pair" id="moved-to-{j}"><p class="note">Moved here from <a href="#moved-from-{j}">{where}</a> and reworded: '
                      'its changes since then marked</p>{body}</section>').format(j=j, where="above" if j < i else "below", body=body)
    if op == DELETE and i in pairs.moved_to:
        k = pairs.moved_to[i]
        return Markup('<del class="block moved reworded" id="moved-from-{i}" title="moved and reworded">{html}'
                      '<span class="note">moved <a href="#moved-to-{i}">{where}</a> and reworded</span></del>').format(
            i=i, html=safe_markdown(text), where="below" if k > i else "above")
    if text.strip() in moved:
        return Markup(f'<{tag} class="block moved" title="moved, not changed">{{}}</{tag}>').format(safe_markdown(text))
    return Markup(f'<{tag} class="block">{{}}</{tag}>').format(safe_markdown(text))


def _cell(all_rows, i: int, op: int | None, moved: set[str], pairs: Pairs) -> Markup:
    """Row ``i`` typeset: both sides merged (``op`` None), or the old (``DELETE``) or new (``INSERT``) side alone."""
    row = all_rows[i] if op is None else [(kind, text) for kind, text in all_rows[i] if kind != -op]
    if not row:
        return Markup()
    kind = whole(row)
    if kind is not None:
        return _whole(all_rows, i, kind, moved, pairs)
    return edited(row) if changed(row) else safe_markdown(side(row, INSERT))


def _blocks(all_rows) -> list[dict]:
    """Row indices in runs of changed and nearby rows, and of (folded) unchanged rows; blank rows
    join the run they stand in."""
    shown = [i for i, r in enumerate(all_rows) if changed(r) or side(r, INSERT).strip()]
    position = {i: n for n, i in enumerate(shown)}
    near = {m for i in shown if changed(all_rows[i]) for m in range(position[i] - CONTEXT_LINES, position[i] + CONTEXT_LINES + 1)}
    blocks: list[dict] = []
    for i, row in enumerate(all_rows):
        folded = blocks[-1]["folded"] if i not in position and blocks else position.get(i, 0) not in near
        if blocks and blocks[-1]["folded"] == folded:
            blocks[-1]["rows"].append(i)
        else:
            blocks.append({"folded": folded, "rows": [i]})
    for block in blocks:
        block["folded"] = block["folded"] and _paragraphs(all_rows, block["rows"]) > CONTEXT_LINES
    return blocks


def _paragraphs(all_rows, indices) -> int:
    return sum(1 for i in indices if side(all_rows[i], INSERT).strip())


def _unchanged(all_rows, indices) -> Markup:
    """Unchanged lines typeset together, so that Markdown spanning lines (a table, an underlined heading) stays whole."""
    return safe_markdown("\n".join(side(all_rows[i], INSERT) for i in indices))


def _inline_block(all_rows, indices, moved, pairs) -> Markup:
    out, run = Markup(), []
    for i in indices:
        if changed(all_rows[i]):
            out += _unchanged(all_rows, run) + _cell(all_rows, i, None, moved, pairs)
            run = []
        else:
            run.append(i)
    return out + _unchanged(all_rows, run)


def render(ops, layout: str, asked: str = "") -> Rendered:
    """The diff's ops typeset in ``layout`` (``inline`` or ``side``), watched terms in its changes marked,
    and the term or phrase the reader ``asked`` about."""
    ops = readable(ops)
    moved = moved_paragraphs(ops)
    all_rows = rows(ops)
    pairs = reworded_moves(all_rows)
    counter: dict[str, int] = {}
    if layout == "side":
        blocks = [{"folded": b["folded"], "rows": [
            {"old": terms_marked(_cell(all_rows, i, DELETE, moved, pairs), counter, asked),
             "new": terms_marked(_cell(all_rows, i, INSERT, moved, pairs), counter, asked), "changed": changed(all_rows[i])}
            for i in b["rows"] if changed(all_rows[i]) or side(all_rows[i], INSERT).strip()]} for b in _blocks(all_rows)]
        return Rendered(None, [b for b in blocks if b["rows"]], len(moved), len(pairs.moved_to), counter)
    out = Markup()
    for block in _blocks(all_rows):
        if block["folded"]:
            n = _paragraphs(all_rows, block["rows"])
            out += Markup('<details class="folded"><summary>{} unchanged paragraph{}</summary>{}</details>').format(
                n, "" if n == 1 else "s", _unchanged(all_rows, block["rows"]))
        else:
            out += _inline_block(all_rows, block["rows"], moved, pairs)
    inline = terms_marked(out, counter, asked)
    return Rendered(inline, None, len(moved), len(pairs.moved_to), counter)


_TERM_CONTAINERS = re.compile(r"<(/?)(ins|del|section)\b")


def terms_marked(html: Markup, counter: dict[str, int], asked: str = "") -> Markup:
    """Watched terms, and the term or phrase ``asked`` about, inside the changes of typeset ``html``
    (``<ins>``, ``<del>``, a reworded pair) marked, each with an anchor ``term-KEY-N`` (``anchor_key``)
    numbered on across the page by ``counter``, which counts them by term."""
    any_term, keys = _terms_pattern(asked)
    out, depth = [], 0
    for part in _PARTS.split(str(html)):
        tag = _TERM_CONTAINERS.match(part)
        if tag:
            depth += -1 if tag[1] else 1
        if part.startswith("<") or not depth:
            out.append(part)
            continue
        out.append(any_term.sub(lambda m: _anchor(keys[m.lastgroup], m[0], counter), part))
    return Markup("".join(out))


def _anchor(term: str, word: str, counter: dict[str, int]) -> str:
    counter[term] = counter.get(term, 0) + 1
    return Markup('<mark class="term" id="term-{}-{}" title="{}: {}">{}</mark>').format(
        anchor_key(term), counter[term], "watched term" if term in WATCHED else "the phrase asked about", term, Markup(word))


def verdicts(old: str, new: str, terms=WATCHED) -> dict[str, str]:
    """Each of ``terms`` (the watched terms, or a phrase a reader asked about) that the change touches,
    and how: ``added`` (no clause had it), ``removed`` (no clause has it now) or ``reworded`` (the
    clauses that carry it changed)."""
    out = {}
    for term in terms:
        before = {comparable(c) for c in clauses_with(term, old)}
        after = {comparable(c) for c in clauses_with(term, new)}
        if before != after:
            out[term] = "added" if not before else "removed" if not after else "reworded"
    return out
