"""Benchmark 3, diff: ``crawler.text.diff.diff`` over real version pairs and adversarial pairs of about
100 KB, against difflib's word-level SequenceMatcher (what a plain word diff does) on the same pairs.

Real pairs: consecutive versions in an archive built by importing the Markdown histories in
``realdata/ota-*-versions`` (TikTok in four regions and languages, Facebook, Google, WhatsApp).
Adversarial pairs, built from the same real paragraphs: unrelated texts, the same paragraphs
reordered, the whole text as one paragraph with a word changed every 40, every paragraph edited,
and every section rewritten under the same headings. The baseline runs in a child process, killed
past its bound (30 s; 2 s with --quick, which also imports two histories only); it runs on every
adversarial pair and on a sample of the real ones (the slowest for ours, the largest, then evenly
spread), since it takes seconds to minutes each.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import statistics
import time
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from bench.report import Figure
from bench.site import REALDATA
from crawler.archive.store import Archive
from crawler.declarations.catalog import load_catalog
from crawler.text.diff import diff
from crawler.intake.importer import import_paths

# The baseline's tokens: words, runs of spaces and punctuation marks, each its own token, as a plain
# word diff splits a text (independent of how crawler/text/diff.py tokenizes).
BASELINE_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
WORD = re.compile(r"\w+")

NAME = "diff"
TITLE = "crawler.text.diff.diff against difflib's word diff, real and adversarial pairs"

HISTORIES = [  # (service, folder under realdata, region, language)
    ("TikTok", "ota-contrib-versions/TikTok/Privacy Policy", "EEA", "en"),
    ("TikTok", "ota-vlopses-us-versions/TikTok/Privacy Policy", "US", "en"),
    ("TikTok", "ota-vlopses-ie-versions/TikTok/Privacy Policy", "IE", "en"),
    ("TikTok", "ota-france-versions/TikTok/Privacy Policy", "EEA", "fr"),
    ("Facebook", "ota-contrib-versions/Facebook/Privacy Policy", "ROW", "en"),
    ("Google", "ota-contrib-versions/Google/Privacy Policy", "ROW", "en"),
    ("WhatsApp", "ota-contrib-versions/WhatsApp/Privacy Policy", "ROW", "en"),
]


def real_pairs(work: Path, histories: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str]]:
    """(label, old, new) for each change of an archive made by importing ``histories``."""
    policies, db = work / "policies", work / "histories.db"
    policies.mkdir(parents=True, exist_ok=True)
    services: dict[str, list] = {}
    for service, folder, region, language in histories:
        services.setdefault(service, []).append({"region": region, "language": language, "url": f"https://example.org/{region}/{language}"})
    for service, variants in services.items():
        (policies / f"{service.lower()}.yml").write_text(yaml.safe_dump(
            {"service": service, "documents": [{"type": "privacy-policy", "variants": variants}]}, sort_keys=False))
    catalog = load_catalog(policies)
    for service, folder, region, language in histories:
        import_paths(str(db), catalog, f"{service.lower()}/privacy-policy/{region.lower()}-{language}", [REALDATA / folder])
    archive = Archive(db)
    rows = archive.db.execute(
        """SELECT changes.variant_id || ' ' || changes.id, old.text, new.text FROM changes
           JOIN versions old ON old.id = changes.from_version_id JOIN versions new ON new.id = changes.to_version_id
           ORDER BY changes.id""").fetchall()
    archive.close()
    return rows


def adversarial_pairs(texts: list[str], size: int) -> list[tuple[str, str, str]]:
    """Pairs of about ``size`` characters built from real paragraphs."""
    rng = random.Random(7)
    paragraphs = [p for t in texts for p in t.split("\n\n") if len(p) > 200]
    half = len(paragraphs) // 2

    def fill(pool: list[str]) -> list[str]:
        out, total = [], 0
        for p in pool:
            if total >= size:
                break
            out.append(p)
            total += len(p) + 2
        return out

    base = fill(paragraphs[:half])
    other = fill(paragraphs[half:])
    old = "\n\n".join(base)
    shuffled = base[:]
    rng.shuffle(shuffled)
    words = " ".join(base).replace("\n", " ").split(" ")
    edited_words = [("changed" if i % 40 == 20 else w) for i, w in enumerate(words)]
    edited = ["changed " + p for p in base]
    section_words = 1900  # about 3,900 tokens a side: just under the block size diff.py diffs word by word
    old_words, new_words = " ".join(base).split(), " ".join(other).split()
    sections = max(1, min(len(old_words), len(new_words)) // section_words)
    old_sections = "\n\n".join(f"## Section {k}\n\n" + " ".join(old_words[k * section_words:(k + 1) * section_words]) for k in range(sections))
    new_sections = "\n\n".join(f"## Section {k}\n\n" + " ".join(new_words[k * section_words:(k + 1) * section_words]) for k in range(sections))
    return [
        ("unrelated texts", old, "\n\n".join(other)),
        ("reordered paragraphs", old, "\n\n".join(shuffled)),
        ("one long paragraph, a word in 40 changed", " ".join(words), " ".join(edited_words)),
        ("every paragraph edited", old, "\n\n".join(edited)),
        ("every section rewritten, same headings", old_sections, new_sections),
    ]


def difflib_words(old: str, new: str) -> int:
    """The baseline: difflib over the whole texts' word and space tokens; returns the words added."""
    a, b = BASELINE_TOKENS.findall(old), BASELINE_TOKENS.findall(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(len(WORD.findall("".join(b[j1:j2]))) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


def _child(conn, old: str, new: str) -> None:
    started = time.perf_counter()
    added = difflib_words(old, new)
    conn.send((time.perf_counter() - started, added))


def bounded_baseline(old: str, new: str, bound: float) -> tuple[float, int] | None:
    """(seconds, words added) of the baseline, or None when it ran past ``bound`` and was killed."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, old, new))
    process.start()
    ready = parent.poll(bound)
    result = parent.recv() if ready else None
    process.kill()
    process.join()
    return result


def timed(old: str, new: str) -> tuple[float, int]:
    started = time.perf_counter()
    d = diff(old, new)
    return time.perf_counter() - started, d.words_added


def sample(pairs: list, times: list[float], n: int) -> list:
    """The pair slowest for ours, the largest, then pairs spread evenly: ``n`` at most."""
    chosen = [pairs[times.index(max(times))], max(pairs, key=lambda p: len(p[1]) + len(p[2]))]
    chosen += [pairs[int(k * len(pairs) / n)] for k in range(n)]
    return list(dict.fromkeys(chosen))[:n]


def run(work: Path, args) -> list[Figure]:
    quick = args.quick
    size, bound, baseline_real = (20_000, 2.0, 1) if quick else (100_000, 30.0, 8)
    real = real_pairs(work, HISTORIES[1:3] if quick else HISTORIES)
    adversarial = adversarial_pairs([p[2] for p in real], size)
    real_times = [timed(old, new)[0] for _, old, new in real]
    print(f"  {len(real)} real pairs, {sum(len(o) + len(n) for _, o, n in real) / len(real) / 2 / 1000:.0f} KB a text on average; "
          f"ours: median {statistics.median(real_times) * 1000:.1f} ms, worst {max(real_times) * 1000:.1f} ms", flush=True)
    adversarial_times = []
    baseline_times, skipped = [], []
    for label, old, new in adversarial:
        ours, added = timed(old, new)
        adversarial_times.append(ours)
        base = bounded_baseline(old, new, bound)
        if base is None:
            skipped.append(label)
        else:
            baseline_times.append(base[0])
        print(f"  {label} ({len(old) // 1000} KB / {len(new) // 1000} KB): ours {ours * 1000:.1f} ms, {added} words added; "
              + (f"difflib {base[0]:.2f} s, {base[1]} words added" if base else f"difflib over {bound:.0f} s, skipped"), flush=True)
    for label, old, new in sample(real, real_times, baseline_real):
        base = bounded_baseline(old, new, bound)
        if base is None:
            skipped.append(label)
        else:
            baseline_times.append(base[0])
        print(f"  real {label} ({len(old) // 1000} KB): ours {timed(old, new)[0] * 1000:.1f} ms; "
              + (f"difflib {base[0]:.2f} s" if base else f"difflib over {bound:.0f} s, skipped"), flush=True)
    every = real_times + adversarial_times
    worst, median = max(every), statistics.median(every)
    skip_note = f"; difflib skipped past {bound:.0f} s on {len(skipped)}: {', '.join(skipped)}" if skipped else ""
    base_worst = max(baseline_times + [bound] * len(skipped))
    base_median = statistics.median(baseline_times) if baseline_times else None
    return [
        Figure("diff, worst case (real and adversarial pairs)", worst * 1000, "ms", "<=", 50, baseline=base_worst * 1000,
               ratio=base_worst / worst, ratio_note="difflib / ours" + (" (difflib at least)" if skipped else ""),
               note=f"{len(real)} real + {len(adversarial)} adversarial pairs; difflib on {len(baseline_times) + len(skipped)} of them{skip_note}"),
        Figure("diff, median (real and adversarial pairs)", median * 1000, "ms",
               baseline=base_median * 1000 if base_median else None,
               ratio=base_median / median if base_median else None, ratio_note="difflib / ours, on its sample"),
    ]
