"""Import an Open Terms Archive versions repository: every version of every file a variant follows.

OTA publishes each collection's history as a git repository of Markdown, ``SERVICE/TERMS TYPE.md``,
one commit per recorded change. A variant follows a file by its ``ota: COLLECTION/SERVICE/TERMS TYPE``
field. The import reads the commits (``crawler/intake/git.py``), oldest first, and records each file
a commit touched as a capture of its variant, dated by the commit (OTA dates it by the fetch) or by a
"fetched at" time its message gives, through the same analysis and ``Archive.record`` as any capture:
OTA's first records and wrong-language texts meet the same checks as ours.

A capture's ``source`` names where it came from, ``ota:COLLECTION REPO COMMIT PATH``, which a
citation quotes (``crawler/archive/provenance.py``). OTA's "technical upgrade" and "refilter" commits
re-extract an unchanged document: a text they change is kept, its change marked not visible (never
a new wording in feeds or alerts). ``ota_imports`` remembers the last commit read per file: a second
import reads only the commits after it, and one cut short resumes there.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from crawler.archive.store import Archive
from crawler.capture.items import Capture
from crawler.common.clock import iso, parse as parse_time, utcnow
from crawler.common.exits import import_exit_code
from crawler.declarations.catalog import Catalog, Variant
from crawler.intake import git
from crawler.intake.importer import Saved, analyse_saved

logger = logging.getLogger(__name__)

PREFIX = "ota:"
RUN_SIZE = 5000  # captures per run row: an import cut short loses at most one run's closing
_REEXTRACTION = re.compile(r"^(apply technical|refilter)", re.IGNORECASE)
_FETCHED_AT = re.compile(r"fetched at:?\s*(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)", re.IGNORECASE)


class NothingToImport(ValueError):
    """No declared variant follows a file of the collection (or of the service asked)."""


@dataclass
class Imported:
    """What an import did: its run ids and their counts of each outcome, summed."""

    runs: list[int]
    counts: dict[str, int]
    commits: int = 0


def followed(catalog: Catalog, collection: str, only: str | None = None) -> dict[str, Variant]:
    """The variants following files of ``collection``, by path in its versions repository."""
    paths = {}
    for variant in catalog.variants:
        if not variant.ota:
            continue
        their_collection, _, document = variant.ota.partition("/")
        if their_collection == collection and (only is None or document.split("/", 1)[0] == only):
            paths[f"{document}.md"] = variant
    if not paths:
        raise NothingToImport(f"no declared variant has an 'ota: {collection}/{only or 'SERVICE'}/TERMS TYPE' field: "
                              "nothing to import")
    return paths


def source(collection: str, repo: str, commit: str, path: str) -> str:
    return f"{PREFIX}{collection} {repo} {commit} {path}"


def is_reextraction(commit: git.Commit) -> bool:
    """OTA's "Apply technical or declaration upgrade" and "Refilter" commits: the document as fetched
    before, extracted again."""
    return bool(_REEXTRACTION.match(commit.subject))


def dated(commit: git.Commit) -> str:
    """The time a version is of: OTA's "fetched at" when the message gives it, else the commit's date."""
    m = _FETCHED_AT.search(commit.message)
    return iso(parse_time(m.group(1) if m else commit.date))


def _start(archive: Archive, repo: str, collection: str, paths: list[str]) -> str | None:
    """The commit after which to read: the last one read, when every file followed was read up to
    it; otherwise the whole history (a newly followed file), captures already held being skipped."""
    last = {row[0] for row in archive.db.execute(
        f"SELECT last_commit FROM ota_imports WHERE repo = ? AND collection = ? AND path IN ({', '.join('?' * len(paths))})",
        [repo, collection, *paths])}
    done = archive.db.execute(
        f"SELECT count(*) FROM ota_imports WHERE repo = ? AND collection = ? AND path IN ({', '.join('?' * len(paths))})",
        [repo, collection, *paths]).fetchone()[0]
    return last.pop() if len(last) == 1 and done == len(paths) else None


def _mark(archive: Archive, repo: str, collection: str, paths: list[str], commit: str) -> None:
    archive.db["ota_imports"].upsert_all(
        [{"repo": repo, "collection": collection, "path": p, "last_commit": commit, "imported_at": utcnow()} for p in paths],
        pk=("repo", "collection", "path"))


def _record(archive: Archive, saved: Saved, variant: Variant, run_id: int, reextraction: bool) -> None:
    """Record one version; a re-extraction's change is kept but not visible, and says why."""
    digest = archive.keep_body(saved.capture.body, saved.body_sha256)
    recorded = archive.record(saved.capture, analyse_saved(saved, variant), run_id, body_sha256=digest)
    if reextraction and recorded.change_id:
        archive.db.execute("UPDATE changes SET visible = 0 WHERE id = ?", [recorded.change_id])
        archive.db.execute("UPDATE captures SET detail = ? WHERE id = ?",
                           ["re-extracted by Open Terms Archive (technical upgrade or refilter): not a new wording",
                            recorded.capture_id])


def import_ota(db: str, catalog: Catalog, repo: Path, collection: str, only: str | None = None,
               run_size: int = RUN_SIZE) -> Imported:
    """Import the versions of ``collection`` in the git repository ``repo`` that declared variants
    follow, commit by commit, in run rows of at most ``run_size`` captures."""
    git.check_repository(repo)
    paths = followed(catalog, collection, only)
    repo_name = str(repo.resolve())
    archive = Archive(db)
    imported = Imported([], {})
    run_id = None
    try:
        archive.sync_catalog(catalog)
        since = _start(archive, repo_name, collection, list(paths))
        in_run, last = 0, None
        with git.Blobs(repo) as blobs:
            for commit in git.commits(repo, since, "*.md"):
                for path in commit.changed:
                    variant = paths.get(path)
                    if variant is None:
                        continue
                    saved = Saved(Capture(variant_id=variant.id, requested_url=None, fetched_at=dated(commit),
                                          body=blobs.read(commit.sha, path), renderer=None,
                                          source=source(collection, repo_name, commit.sha, path)),
                                  is_text=True, where=f"{commit.sha[:12]} {path}")
                    if archive.holds_capture(variant.id, saved.capture.fetched_at, saved.body_sha256):
                        continue
                    if run_id is None:
                        run_id = archive.start_run("import", tuple(sorted({v.id for v in paths.values()})))
                        imported.runs.append(run_id)
                    _record(archive, saved, variant, run_id, is_reextraction(commit))
                    in_run += 1
                last = commit.sha
                imported.commits += 1
                if in_run >= run_size:  # at a commit's end: a resumed import starts at the next one
                    _close(archive, run_id, imported, repo_name, collection, list(paths), last)
                    run_id, in_run = None, 0
        if run_id is not None:
            _close(archive, run_id, imported, repo_name, collection, list(paths), last)
        elif last:
            _mark(archive, repo_name, collection, list(paths), last)
        return imported
    except BaseException as exc:
        if run_id is not None:
            archive.end_run(run_id, "interrupted", detail=f"stopped by {type(exc).__name__}: {exc}")
        raise
    finally:
        archive.close()


def _close(archive: Archive, run_id: int, imported: Imported, repo: str, collection: str, paths: list[str],
           commit: str) -> None:
    """End a run and remember its last commit, in that order: a crash between them re-reads the
    run's commits, whose captures are then held and skipped."""
    counts = archive.run_counts(run_id)
    archive.end_run(run_id, "finished", exit_code=import_exit_code(counts),
                    detail=f"Open Terms Archive {collection} versions, {repo}, up to commit {commit}")
    _mark(archive, repo, collection, paths, commit)
    for outcome, n in counts.items():
        imported.counts[outcome] = imported.counts.get(outcome, 0) + n
