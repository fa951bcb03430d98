"""A synthetic archive at scale, written through the archive module itself (``Archive.sync_catalog``
and ``Archive.record``), for benchmark 4 and for anyone who wants to try Datasette on a big archive.

    python -m bench.synthetic big.db --versions 1000000 --variants 100000

Services of 5 document types in 10 regions and languages each; every variant's texts are made of
real policy paragraphs (the Markdown histories in realdata), about ``text_kb`` KB each (half to one
and a half times). Each new version of a variant replaces one of its paragraphs and inserts another,
as real changes do; versions are written round by round (every variant's second version after every
variant's first), so that, as in a real archive, a variant's rows are spread over the whole file.
``RARE_VERSIONS`` versions carry the rare term ``RARE_TERM``, for the search benchmark.
"""

from __future__ import annotations

import argparse
import random
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.site import REALDATA
from crawler.archive.store import Archive
from crawler.declarations.catalog import Catalog, Document, Rules, Service, Variant
from crawler.text.classify import Analysis
from crawler.text.extract import normalize
from crawler.capture.items import Capture

DOCUMENT_TYPES = ("privacy-policy", "terms-of-service", "cookie-policy", "community-guidelines", "data-retention")
LOCALES = (("US", "en"), ("EEA", "en"), ("EEA", "de"), ("EEA", "fr"), ("GB", "en"), ("CH", "de"), ("BR", "pt"),
           ("JP", "ja"), ("IN", "en"), ("ROW", "en"))
RARE_TERM = "quasibiometrical"
RARE_VERSIONS = 10  # versions that carry the rare term, whatever the size
START = datetime(2019, 1, 1, tzinfo=timezone.utc)
BATCH = 500  # captures per transaction
CACHE_KB = 1_000_000  # the generator's page cache


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

    def text(self, v: int) -> str:
        self.versions += 1
        body = "\n\n".join(self.pool[p] for p in self.current[v])
        if self.versions % self.rare_every == 0:
            body += f"\n\nWe may process {RARE_TERM} identifiers where the law allows it."
        return body


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


def generate(db: Path, versions: int, variants: int, text_kb: float = 30, report_every: float = 30) -> dict:
    """Write ``versions`` versions over ``variants`` variants into ``db``; return counts and timings."""
    started = time.perf_counter()
    cat = catalog(variants)
    chosen = cat.variants[:variants]
    archive = Archive(db)
    _throwaway_writes(archive)
    archive.sync_catalog(cat)
    texts = Texts(paragraphs(), len(chosen), text_kb, rare_every=max(1, versions // RARE_VERSIONS))
    rounds = max(1, versions // len(chosen))
    step = timedelta(days=(datetime(2026, 11, 1, tzinfo=timezone.utc) - START).days / rounds)
    written, last_report = 0, time.perf_counter()
    try:
        for r in range(rounds):
            for batch in range(0, len(chosen), BATCH):
                with archive.db.atomic():
                    for v in range(batch, min(batch + BATCH, len(chosen))):
                        if written >= versions:
                            break
                        if r:
                            texts.step(v)
                        variant = chosen[v]
                        when = START + step * r + timedelta(seconds=v * 0.7)
                        capture = Capture(variant_id=variant.id, requested_url=variant.url, final_url=variant.url,
                                          fetched_at=when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), status=200,
                                          headers={"content-type": "text/html; charset=utf-8"}, region=variant.region,
                                          language=variant.language, user_agent="synthetic")
                        archive.record(capture, Analysis("ok", texts.text(v), language=variant.language))
                        written += 1
                if time.perf_counter() - last_report > report_every:
                    last_report = time.perf_counter()
                    rate = written / (last_report - started)
                    print(f"  synthetic: {written:,} of {versions:,} versions, {rate:.0f}/s, "
                          f"{(versions - written) / rate / 60:.0f} min to go", flush=True)
        archive.db.execute("PRAGMA journal_mode=WAL")  # the archive as the crawler leaves it
    finally:
        archive.close()
    seconds = time.perf_counter() - started
    return {"versions": written, "variants": len(chosen), "seconds": seconds, "bytes": db.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--text-kb", type=float, default=30, help="mean size of a text, in KB")
    args = parser.parse_args()
    done = generate(args.db, args.versions, args.variants, args.text_kb)
    print(f"{done['versions']:,} versions over {done['variants']:,} variants in {done['seconds']:.0f} s "
          f"({done['versions'] / done['seconds']:.0f}/s), {done['bytes'] / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
