"""Word-level differences between two versions, paragraphs first.

A word diff of two long legal texts is quadratic and can take minutes; most paragraphs are equal,
so lines are matched first and only the lines that changed are diffed word by word.

A diff is kept as a compact list of operations that any page can render against the old text:
``[0, n]`` keeps the next ``n`` characters of the old text, ``[1, "text"]`` inserts, ``[-1, "text"]``
deletes (the next ``len(text)`` characters of the old text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKENS = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
_WORD = re.compile(r"\w+")
# Above this many tokens on either side, a changed stretch is replaced whole rather than diffed
# (the word diff is quadratic; 2,000 tokens take about 40 ms). Changed blocks with as many lines on
# both sides are diffed line by line, so paragraphs edited in place stay word-level however many.
MAX_BLOCK_TOKENS = 2000

EQUAL, INSERT, DELETE = 0, 1, -1


@dataclass(frozen=True)
class Diff:
    ops: list
    words_added: int
    words_removed: int

    @property
    def added_text(self) -> str:
        return "\n".join(text for op, text in self.ops if op == INSERT)

    @property
    def removed_text(self) -> str:
        return "\n".join(text for op, text in self.ops if op == DELETE)


def _tokens_diff(old: list[str], new: list[str], out: list) -> None:
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _emit(out, EQUAL, "".join(old[i1:i2]))
        else:
            if i2 > i1:
                _emit(out, DELETE, "".join(old[i1:i2]))
            if j2 > j1:
                _emit(out, INSERT, "".join(new[j1:j2]))


def _emit(out: list, op: int, text: str) -> None:
    if not text:
        return
    if out and out[-1][0] == op:
        out[-1][1] += text
    else:
        out.append([op, text])


def _blank(line: str) -> bool:
    """Blank lines anchor no match: between unrelated texts they would pair every paragraph with
    another, and each pair would be word-diffed for nothing."""
    return not line.strip()


def _replace(before: str, after: str, out: list) -> None:
    """Word diff of a changed stretch, or the stretch replaced whole when it is too long to diff fast."""
    old_tokens, new_tokens = _TOKENS.findall(before), _TOKENS.findall(after)
    if max(len(old_tokens), len(new_tokens)) <= MAX_BLOCK_TOKENS:
        _tokens_diff(old_tokens, new_tokens, out)
    else:
        _emit(out, DELETE, before)
        _emit(out, INSERT, after)


def diff(old: str, new: str) -> Diff:
    """Word-level diff of ``old`` to ``new``, with the words added and removed."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    raw: list = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(_blank, old_lines, new_lines, autojunk=False).get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            _emit(raw, EQUAL, before)
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for old_line, new_line in zip(old_lines[i1:i2], new_lines[j1:j2]):
                _replace(old_line, new_line, raw)
        elif tag == "replace":
            _replace(before, after, raw)
        else:
            _emit(raw, DELETE, before)
            _emit(raw, INSERT, after)
    added = sum(len(_WORD.findall(t)) for op, t in raw if op == INSERT)
    removed = sum(len(_WORD.findall(t)) for op, t in raw if op == DELETE)
    return Diff(ops=raw, words_added=added, words_removed=removed)


def compact(ops: list) -> list:
    """Ops as stored: equal runs become their length, since the old text holds them."""
    return [[op, len(text)] if op == EQUAL else [op, text] for op, text in ops]


def expand(stored: list, old: str) -> list[tuple[int, str]]:
    """Stored ops back to ``(op, text)`` pairs, reading equal runs from the old text."""
    pos, out = 0, []
    for op, value in stored:
        if op == EQUAL:
            out.append((EQUAL, old[pos : pos + value]))
            pos += value
        elif op == DELETE:
            out.append((DELETE, value))
            pos += len(value)
        else:
            out.append((INSERT, value))
    return out
