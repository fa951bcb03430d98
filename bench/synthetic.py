"""A synthetic archive at scale, for benchmark 4 and for anyone who wants to try Datasette on a big
archive: the archive ``Archive.sync_catalog`` and ``Archive.record`` would write, written in bulk.

    python -m bench.synthetic big.db --versions 1000000 --variants 100000
    python -m bench.synthetic small.db --versions 3000 --variants 1000 --record   # through Archive.record

Through ``Archive.record`` a version costs about 30 ms here since the clause index (a million: 9
hours), most of it spent on what a synthetic text repeats: the visible words (``comparable``) of its
30 KB, cut into the same paragraphs again and again. ``_Bulk`` writes the same rows: each
paragraph's key and clauses are computed once, each version's key is its paragraphs' keys joined
(checked against ``comparable`` every ``CHECK_EVERY`` versions), the diffs and watched terms of the
changes are computed in worker processes, the clause index is kept in memory (clause ids, each
variant's current clauses, rewordings and counterparts linked as ``crawler.archive.clauses`` does),
and rows go in with ``executemany`` a batch at a time, the triggers firing as they do for the
crawler. It reproduces only the paths this generator's captures take in ``Archive.record`` (every
capture readable and in order of time: new, changed, unchanged, or suspect, far shorter than the
version before) and raises otherwise (a text that returns, a suspect one confirmed); tests/test_synthetic.py checks that both writers leave the
same tables.

Services of 5 document types in 10 regions and languages each; every variant's texts are made of
real policy paragraphs (the Markdown histories in realdata), about ``text_kb`` KB each (half to one
and a half times). Each new version of a variant replaces one of its paragraphs and inserts another,
as real changes do; versions are written round by round (every variant's second version after every
variant's first), so that, as in a real archive, a variant's rows are spread over the whole file.
``RARE_VERSIONS`` versions carry the rare term ``RARE_TERM``, for the search benchmark.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.site import REALDATA
from crawler.archive.clauses import _section
from crawler.archive.cutshort import collapsed, flag_earlier
from crawler.archive.schema import keep_headers
from crawler.archive.store import CONFIRMATIONS, Archive, capture_row
from crawler.common.digests import sha256
from crawler.common.outcomes import CHANGED, NEW, SUSPECT, UNCHANGED
from crawler.declarations.catalog import Catalog, Document, Rules, Service, Variant
from crawler.text.clauses import REWORDED, clauses
from crawler.text.classify import Analysis
from crawler.text.diff import compact, diff
from crawler.text.extract import comparable, normalize
from crawler.text.terms import watched_in
from crawler.capture.items import Capture

DOCUMENT_TYPES = ("privacy-policy", "terms-of-service", "cookie-policy", "community-guidelines", "data-retention")
LOCALES = (("US", "en"), ("EEA", "en"), ("EEA", "de"), ("EEA", "fr"), ("GB", "en"), ("CH", "de"), ("BR", "pt"),
           ("JP", "ja"), ("IN", "en"), ("ROW", "en"))
RARE_TERM = "quasibiometrical"
RARE_PARAGRAPH = f"We may process {RARE_TERM} identifiers where the law allows it."
RARE_VERSIONS = 10  # versions that carry the rare term, whatever the size
START = datetime(2019, 1, 1, tzinfo=timezone.utc)
BATCH = 500  # captures per transaction
CACHE_KB = 1_000_000  # the generator's page cache
WORKERS = 2  # processes computing the bulk writer's diffs
CHECK_EVERY = 1_000  # versions between two checks of a joined key against comparable()
HEADERS = {"content-type": "text/html; charset=utf-8"}


def paragraphs() -> list[str]:
    """Distinct real paragraphs of the Markdown histories."""
    seen: dict[str, None] = {}
    for path in sorted(REALDATA.glob("ota-*-versions/*/*/*.md")):
        for p in normalize(path.read_text(encoding="utf-8")).split("\n\n"):
            if len(p) > 80:
                seen.setdefault(p)
    return list(seen)


def catalog(variants: int) -> Catalog:
    """Services enough for ``variants`` variants: 5 documents of 10 variants each per service."""
    per_service = len(DOCUMENT_TYPES) * len(LOCALES)
    services = []
    for s in range((variants + per_service - 1) // per_service):
        name, slug = f"Service {s:06d}", f"service-{s:06d}"
        documents = []
        for doc_type in DOCUMENT_TYPES:
            doc_id = f"{slug}/{doc_type}"
            chosen = [(r, lang) for r, lang in LOCALES][: max(0, min(len(LOCALES), variants - s * per_service - len(documents) * len(LOCALES)))]
            if not chosen:
                break
            documents.append(Document(doc_id, name, doc_type, f"{name} {doc_type.replace('-', ' ')}", tuple(
                Variant(id=f"{doc_id}/{r}-{lang}".lower(), document_id=doc_id, service=name, document_type=doc_type, region=r,
                        language=lang, url=f"https://{slug}.example/{doc_type}/{r.lower()}-{lang}", rules=Rules(), source=f"{slug}.yml")
                for r, lang in chosen)))
        services.append(Service(name=name, slug=slug, path=f"{slug}.yml", documents=tuple(documents)))
    return Catalog(services=tuple(services))


class Texts:
    """Each variant's current text as a list of paragraph numbers, changed one step at a time."""

    def __init__(self, pool: list[str], variants: int, text_kb: float, rare_every: int, seed: int = 1):
        self.pool, self.rng, self.rare_every = pool, random.Random(seed), rare_every
        self.paragraphs = [*pool, RARE_PARAGRAPH]  # what ``numbers`` index
        mean = sum(map(len, pool)) / len(pool)
        self.current = []
        for v in range(variants):
            if v % len(LOCALES) == 0:  # a document's variants share most of their text, as regions' policies do
                count = max(3, int(text_kb * 1000 * self.rng.uniform(0.5, 1.5) / mean))
                base = [self.rng.randrange(len(pool)) for _ in range(count)]
            text = base[:]
            for _ in range(self.rng.randint(1, 3)):
                text[self.rng.randrange(len(text))] = self.rng.randrange(len(pool))
            self.current.append(text)
        self.versions = 0

    def step(self, v: int) -> None:
        """A change: one paragraph replaced, one inserted."""
        paras, rng = self.current[v], self.rng
        paras[rng.randrange(len(paras))] = rng.randrange(len(self.pool))
        paras.insert(rng.randrange(len(paras) + 1), rng.randrange(len(self.pool)))
        if len(paras) > 6 and rng.random() < 0.5:
            paras.pop(rng.randrange(len(paras)))

    def numbers(self, v: int) -> list[int]:
        """The paragraphs of the variant's next version, by number in ``paragraphs``."""
        self.versions += 1
        rare = [len(self.pool)] if self.versions % self.rare_every == 0 else []
        return self.current[v] + rare


def _throwaway_writes(archive: Archive) -> None:
    """Settings of the generator's own connection only, for an archive that is written again rather
    than recovered after a crash: nothing synced, the rollback journal in memory (WAL would write
    every page twice), a cache that holds the indexes written at random; and blocks nested in a
    batch's transaction run in it rather than each in a savepoint (``Archive.record`` and
    sqlite-utils' inserts open several per capture), since opening one makes FTS5 flush the terms
    pending so far (about a fifth of a capture's time), and a batch that fails is thrown away whole.
    The same statements write the same tables, indexes and full-text indexes; FTS5 only writes its
    new segments a megabyte of terms at a time instead of one capture at a time, then merges them as
    it always does. 261 versions a second here instead of 196 (20,000 over 2,000 variants)."""
    db = archive.db
    db.execute("PRAGMA journal_mode=MEMORY")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
    atomic = db.atomic

    @contextmanager
    def flat():
        if db.conn.in_transaction:
            yield db
        else:
            with atomic():
                yield db

    db.atomic = flat


# What the worker processes read (set before they fork): each paragraph and its visible words.
_PARAGRAPHS: list[str] = []
_KEYS: list[str] = []


def _key(numbers: list[int]) -> str:
    """``sha256(comparable(text))`` of the text made of these paragraphs: their keys joined."""
    return sha256(" ".join(k for k in (_KEYS[p] for p in numbers) if k))


def _prepared(task: tuple) -> tuple:
    """The change from the version before as ``Archive._change`` writes it: its word counts, added
    and removed text, compact diff and watched terms (in a worker process); ``check``: whether the
    text's key is the one ``comparable`` gives."""
    v, when, old, new, key, outcome, check = task
    text = "\n\n".join(_PARAGRAPHS[p] for p in new)
    if check and sha256(comparable(text)) != key:
        raise AssertionError(f"the joined paragraph keys of a text of variant {v} are not its comparable() text")
    change = None
    if old is not None:
        d = diff("\n\n".join(_PARAGRAPHS[p] for p in old), text)
        added, removed = d.added_text, d.removed_text
        terms = [(term, side, json.dumps(matches, ensure_ascii=False))
                 for side, changed in (("added", added), ("removed", removed)) for term, matches in watched_in(changed).items()]
        change = (d.words_added, d.words_removed, added, removed, json.dumps(compact(d.ops), ensure_ascii=False), terms)
    return v, when, new, key, change, outcome


class _Latest:
    """A variant's latest version, as the bulk writer remembers it, the keys and fewest words of its
    versions, and its last captures' outcomes and keys."""

    __slots__ = ("version_id", "clauses", "words", "fewest_words", "keys", "recent")

    def __init__(self):
        self.version_id, self.clauses, self.words, self.fewest_words, self.keys = 0, [], 0, 0, set()
        self.recent: list[tuple[str, str | None]] = []


class _Bulk:
    """The rows ``Archive.record`` writes for this generator's captures, written a batch at a time."""

    def __init__(self, archive: Archive, paragraphs: list[str], chosen: list[Variant]):
        self.db, self.paragraphs, self.chosen = archive.db, paragraphs, chosen
        # A capture goes in with its version (its trigger copies it into ``variant_freshness``) before
        # the version does; deferred, that makes SQLite scan the tables referring to ``versions`` at
        # every insert of a version. The rows are those Archive.record writes with the keys enforced
        # (tests/test_synthetic.py, with ``PRAGMA foreign_key_check``).
        self.db.execute("PRAGMA foreign_keys=OFF")
        with self.db.atomic():
            self.headers_id, self.http_date = keep_headers(self.db, HEADERS)
        self.ids = {table: self.db.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0]
                    for table in ("captures", "versions", "changes", "clauses")}
        if self.ids["versions"] or self.ids["clauses"]:
            raise ValueError("the bulk writer starts from an archive without versions")
        self.words = [len(p.split()) for p in paragraphs]
        # Each paragraph's clauses: (text, key, whether it is a heading, the heading's title).
        self.cut = [[(c, comparable(c), c.lstrip().startswith("#"), _section(c, None)) for c in clauses(p)] for p in paragraphs]
        self.clause_ids: dict[str, int] = {}
        self.clause_keys: list[str] = [""]  # by clause id
        groups: dict[tuple, list[int]] = {}
        for v, variant in enumerate(chosen):
            groups.setdefault((variant.document_id, variant.language), []).append(v)
        self.siblings = [[o for o in groups[(variant.document_id, variant.language)] if o != v] for v, variant in enumerate(chosen)]
        self.latest: dict[int, _Latest] = {}
        self.last_when = ""
        self.rows: dict[str, list] = {}
        self.capture_columns: tuple[str, ...] = ()

    def _row(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def add(self, v: int, when: str, numbers: list[int], key: str, change: tuple | None, outcome: str) -> None:
        """Variant ``v``'s readable capture at ``when`` of the text made of paragraphs ``numbers``,
        whose key is ``key``, with the outcome ``Archive._version`` gives it against the variant's
        latest version (``_outcome``), and for a changed one the change ``_prepared`` made."""
        variant, latest = self.chosen[v], self.latest.get(v)
        words = sum(self.words[p] for p in numbers)
        if when < self.last_when:
            raise ValueError("the bulk writer takes captures in order of time")
        if outcome == CHANGED and key in latest.keys or outcome == SUSPECT and latest.recent == [(SUSPECT, key)] * (CONFIRMATIONS - 1):
            raise ValueError(f"{variant.id} at {when}: a returning or confirmed text, which only Archive.record writes")
        self.last_when = when
        capture_id = self.ids["captures"] = self.ids["captures"] + 1
        capture = Capture(variant_id=variant.id, requested_url=variant.url, final_url=variant.url, fetched_at=when, status=200,
                          headers=HEADERS, region=variant.region, language=variant.language, user_agent="synthetic")
        row = capture_row(capture, Analysis("ok", language=variant.language), None, None)
        row.update(id=capture_id, headers_id=self.headers_id, http_date=self.http_date, outcome=outcome)
        if outcome in (SUSPECT, UNCHANGED):
            if outcome == SUSPECT:
                row.update(detail=f"text collapsed from {latest.words} to {words} words; a version once "
                                  f"{CONFIRMATIONS} captures agree", version_id=None, text_sha256=key)
            else:
                row.update(version_id=latest.version_id, text_sha256=None)
                self._row("versions_seen", (when, latest.version_id))
            self._capture(row)
            latest.recent = [*latest.recent, (outcome, key if outcome == SUSPECT else None)][-(CONFIRMATIONS - 1):]
            return
        version_id = self.ids["versions"] = self.ids["versions"] + 1
        row.update(version_id=version_id, text_sha256=None)
        self._capture(row)
        text = "\n\n".join(self.paragraphs[p] for p in numbers)
        self._row("versions", (version_id, variant.id, key, when, when, capture_id, words, text))
        self._row("versions_fts", (version_id, text))
        held = self._index(v, version_id, numbers, latest)
        if latest is None:
            latest = self.latest[v] = _Latest()
            latest.fewest_words = words
        else:
            self._change(variant.id, latest.version_id, version_id, when, capture_id, change)
        latest.version_id, latest.clauses, latest.words = version_id, held, words
        latest.keys.add(key)
        latest.recent = [*latest.recent, (row["outcome"], None)][-(CONFIRMATIONS - 1):]
        if collapsed(latest.fewest_words, words):  # an earlier version is a collapse of this one: flag_earlier
            self.flush()
            flag_earlier(self.db, variant.id, when, words)
        latest.fewest_words = min(latest.fewest_words, words)

    def _capture(self, row: dict) -> None:
        self.capture_columns = tuple(row)
        self._row("captures", tuple(row.values()))

    def _index(self, v: int, version_id: int, numbers: list[int], latest: _Latest | None) -> list[int]:
        """What ``index_version`` and ``link_counterparts`` write for the version; its clause ids, in order."""
        keyed: dict[str, int] = {}
        section = None
        for p in numbers:
            for text, key, heading, title in self.cut[p]:
                if not key or key in keyed:
                    continue
                section = title if heading else section
                clause_id = self.clause_ids.get(key)
                if clause_id is None:
                    clause_id = self.clause_ids[key] = len(self.clause_keys)
                    self.clause_keys.append(key)
                    self._row("clauses", (clause_id, sha256(key), text, len(key.split())))
                    self._row("clauses_fts", (clause_id, text))
                keyed[key] = clause_id
                self._row("version_clauses", (version_id, clause_id, len(keyed) - 1, section))
        held = list(keyed.values())
        mine = set(held)
        previous = set(latest.clauses) if latest else set()
        if latest:  # _link_rewordings
            dropped = {self.clause_keys[c]: c for c in latest.clauses if c not in mine}
            for key, clause_id in keyed.items():
                if clause_id in previous or not dropped:
                    continue
                match = process.extractOne(key, list(dropped), scorer=fuzz.ratio, score_cutoff=REWORDED)
                if match:
                    self._row("clause_rewordings", (clause_id, dropped.pop(match[0]), round(match[1])))
        new = {c: self.clause_keys[c] for c in held if c not in previous}
        # link_counterparts: the latest version of each sibling is both the one it showed when this
        # version was first seen and the one it shows now, as captures come in order of time.
        for other in (self.latest[o] for o in self.siblings[v] if o in self.latest and new):
            candidates = {self.clause_keys[c]: c for c in other.clauses if c not in mine}
            if not candidates:
                continue
            for clause_id, key in new.items():
                match = process.extractOne(key, list(candidates), scorer=fuzz.ratio, score_cutoff=REWORDED)
                if match:
                    self._row("clause_counterparts", (clause_id, candidates[match[0]], round(match[1])))
        return held

    def _change(self, variant_id: str, from_id: int, to_id: int, when: str, capture_id: int, change: tuple) -> None:
        """``Archive._change``'s rows, from what ``_prepared`` computed."""
        change_id = self.ids["changes"] = self.ids["changes"] + 1
        added_words, removed_words, added, removed, ops, terms = change
        self._row("changes", (change_id, variant_id, from_id, to_id, when, capture_id, added_words, removed_words, 0, 1,
                              added, removed, ops))
        self._row("changes_fts", (change_id, added, removed))
        for term, side, matches in terms:
            self._row("change_terms", (change_id, variant_id, term, side, matches))

    _SQL = {
        "versions": "INSERT INTO versions (id, variant_id, text_sha256, first_seen, last_seen, capture_id, words, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "versions_fts": "INSERT INTO versions_fts (rowid, text) VALUES (?, ?)",
        "versions_seen": "UPDATE versions SET last_seen = max(last_seen, ?) WHERE id = ?",
        "clauses": "INSERT INTO clauses (id, key_sha256, text, words) VALUES (?, ?, ?, ?)",
        "clauses_fts": "INSERT INTO clauses_fts (rowid, text) VALUES (?, ?)",
        "version_clauses": "INSERT INTO version_clauses (version_id, clause_id, position, section) VALUES (?, ?, ?, ?)",
        "clause_rewordings": "INSERT OR IGNORE INTO clause_rewordings (clause_id, from_clause_id, score) VALUES (?, ?, ?)",
        "clause_counterparts": "INSERT OR IGNORE INTO clause_counterparts (clause_id, counterpart_id, score) VALUES (?, ?, ?)",
        "changes": "INSERT INTO changes (id, variant_id, from_version_id, to_version_id, detected_at, capture_id, words_added, "
                   "words_removed, is_return, visible, added_text, removed_text, diff) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "changes_fts": "INSERT INTO changes_fts (rowid, added_text, removed_text) VALUES (?, ?, ?)",
        "change_terms": "INSERT INTO change_terms (change_id, variant_id, term, side, matches) VALUES (?, ?, ?, ?, ?)",
    }

    def flush(self) -> None:
        """The rows so far, in one transaction, each table's in the order ``Archive.record`` wrote them."""
        if not self.rows:
            return
        sql = {"captures": f"INSERT INTO captures ({', '.join(self.capture_columns)}) VALUES ({', '.join('?' * len(self.capture_columns))})",
               **self._SQL}
        with self.db.atomic():
            for table, statement in sql.items():
                if self.rows.get(table):
                    self.db.conn.executemany(statement, self.rows[table])
        self.rows = {}


def _captures(texts: Texts, chosen: list[Variant], versions: int):
    """Every capture the generator makes, in order of time: (variant, fetched_at, paragraph numbers)."""
    rounds = max(1, versions // len(chosen))
    step = timedelta(days=(datetime(2026, 11, 1, tzinfo=timezone.utc) - START).days / rounds)
    written = 0
    for r in range(rounds):
        for v in range(len(chosen)):
            if written >= versions:
                return
            if r:
                texts.step(v)
            when = START + step * r + timedelta(seconds=v * 0.7)
            yield v, when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), texts.numbers(v)
            written += 1


def generate(db: Path, versions: int, variants: int, text_kb: float = 30, report_every: float = 30,
             record: bool = False, workers: int = WORKERS) -> dict:
    """Write ``versions`` versions over ``variants`` variants into ``db`` in bulk (through
    ``Archive.record`` with ``record``); return counts and timings."""
    started = time.perf_counter()
    cat = catalog(variants)
    chosen = cat.variants[:variants]
    archive = Archive(db)
    _throwaway_writes(archive)
    archive.sync_catalog(cat)
    texts = Texts(paragraphs(), len(chosen), text_kb, rare_every=max(1, versions // RARE_VERSIONS))
    written, last_report = 0, time.perf_counter()

    def progress(done: int) -> None:
        nonlocal last_report
        if time.perf_counter() - last_report > report_every:
            last_report = time.perf_counter()
            rate = done / (last_report - started)
            print(f"  synthetic: {done:,} of {versions:,} versions, {rate:.0f}/s, "
                  f"{(versions - done) / rate / 60:.0f} min to go", flush=True)

    try:
        captures = _captures(texts, chosen, versions)
        if record:
            while batch := [next(captures, None) for _ in range(BATCH)]:
                if batch[0] is None:
                    break
                with archive.db.atomic():
                    for v, when, numbers in filter(None, batch):
                        variant = chosen[v]
                        capture = Capture(variant_id=variant.id, requested_url=variant.url, final_url=variant.url,
                                          fetched_at=when, status=200, headers=HEADERS, region=variant.region,
                                          language=variant.language, user_agent="synthetic")
                        text = "\n\n".join(texts.paragraphs[p] for p in numbers)
                        archive.record(capture, Analysis("ok", text, language=variant.language))
                        written += 1
                progress(written)
        else:
            written = _write_bulk(archive, texts, chosen, captures, workers, progress)
        archive.db.execute("PRAGMA journal_mode=WAL")  # the archive as the crawler leaves it
    finally:
        archive.close()
    seconds = time.perf_counter() - started
    return {"versions": written, "variants": len(chosen), "seconds": seconds, "bytes": db.stat().st_size}


def _outcome(versioned: bool, same_key: bool, collapse: bool) -> str:
    """A readable capture's outcome in ``Archive._version`` (captures in order of time): new, the
    key of the variant's latest version (unchanged), far fewer words (suspect) or another key."""
    if not versioned:
        return NEW
    return UNCHANGED if same_key else SUSPECT if collapse else CHANGED


def _write_bulk(archive: Archive, texts: Texts, chosen: list[Variant], captures, workers: int, progress) -> int:
    """The captures through ``_Bulk``, their keys and diffs computed by ``workers`` processes a
    batch ahead of the writing (none: in this process)."""
    global _PARAGRAPHS, _KEYS
    _PARAGRAPHS, _KEYS = texts.paragraphs, [comparable(p) for p in texts.paragraphs]
    bulk = _Bulk(archive, texts.paragraphs, chosen)
    versioned: dict[int, tuple[list[int], int, str]] = {}  # each variant's latest version: paragraphs, words, key
    count = 0

    def tasks() -> list[tuple]:
        nonlocal count
        out = []
        for v, when, numbers in captures:
            count += 1
            key, words = _key(numbers), sum(bulk.words[p] for p in numbers)
            old, before_words, before_key = versioned.get(v, (None, 0, None))
            outcome = _outcome(old is not None, key == before_key, collapsed(words, before_words))
            if outcome in (NEW, CHANGED):
                versioned[v] = numbers, words, key
            out.append((v, when, old if outcome == CHANGED else None, numbers, key, outcome, count % CHECK_EVERY == 1))
            if len(out) == BATCH * 4:
                break
        return out

    written = 0
    pool = multiprocessing.get_context("fork").Pool(workers) if workers else None
    try:
        batch = tasks()
        pending = pool.map_async(_prepared, batch, chunksize=50) if pool else None
        while batch:
            results = pending.get() if pool else list(map(_prepared, batch))
            batch = tasks()
            if pool and batch:
                pending = pool.map_async(_prepared, batch, chunksize=50)
            for result in results:
                bulk.add(*result)
            bulk.flush()
            written += len(results)
            progress(written)
    finally:
        if pool:
            pool.terminate()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--text-kb", type=float, default=30, help="mean size of a text, in KB")
    parser.add_argument("--record", action="store_true", help="write through Archive.record, as the crawler does (slow)")
    args = parser.parse_args()
    done = generate(args.db, args.versions, args.variants, args.text_kb, record=args.record)
    print(f"{done['versions']:,} versions over {done['variants']:,} variants in {done['seconds']:.0f} s "
          f"({done['versions'] / done['seconds']:.0f}/s), {done['bytes'] / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
