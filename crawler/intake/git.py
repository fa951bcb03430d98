"""A git repository's history read through ``git`` itself: commits in order and the blobs they hold.

Two processes for a whole import, whatever its size: one ``git log`` streamed commit by commit (the
history is never held in memory), one ``git cat-file --batch`` answering every blob. Both read the
object database, so a bare repository serves as well as a checkout, and what is read is what was
committed, never a working copy's files.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

_COMMIT = "\x1e"  # starts each commit in the log
_FIELD = "\x1f"


class GitError(RuntimeError):
    """git refused: not a repository, or an unknown commit."""


@dataclass
class Commit:
    sha: str
    date: str  # ISO 8601, the author date: the time the commit says its content is of
    message: str
    changed: list[str] = field(default_factory=list)  # paths added or modified, not deleted

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def _git(repo: Path, *args: str) -> list[str]:
    return ["git", "-c", "core.quotePath=false", "-C", str(repo), *args]


def head(repo: Path) -> str | None:
    """The commit HEAD names, or None for a repository without commits."""
    done = subprocess.run(_git(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}"), capture_output=True, text=True)
    return done.stdout.strip() or None


def check_repository(repo: Path) -> None:
    """Refuse what is not a git repository, with git's own reason."""
    done = subprocess.run(_git(repo, "rev-parse", "--git-dir"), capture_output=True, text=True)
    if done.returncode:
        raise GitError(f"{repo}: not a git repository ({done.stderr.strip()})")


def commits(repo: Path, since: str | None = None, pattern: str = "*") -> Iterator[Commit]:
    """The commits after ``since`` (all when None) up to HEAD, oldest first, with the paths each
    added or modified that match the glob ``pattern``. One pattern, not a list of paths: git
    matches every path of every commit against each pathspec given, which over thousands of
    files takes minutes. Renames are read as a deletion and an addition: a file is known by its path."""
    revs = f"{since}..HEAD" if since else "HEAD"
    args = _git(repo, "log", "--reverse", "--no-renames", "--name-status",
                f"--format={_COMMIT}%H{_FIELD}%aI{_FIELD}%B{_FIELD}", revs, "--", pattern)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                          errors="surrogateescape") as proc:
        pending = ""
        for chunk in iter(lambda: proc.stdout.read(1 << 16), ""):
            pending += chunk
            *whole, pending = pending.split(_COMMIT)
            yield from (_commit(text) for text in whole if text)
        if pending:
            yield _commit(pending)
        error = proc.stderr.read()
    if proc.returncode:
        raise GitError(f"{repo}: git log {revs} failed: {error.strip()}")


def _commit(text: str) -> Commit:
    sha, date, message, names = text.split(_FIELD, 3)
    changed = []
    for line in names.splitlines():
        status, _, path = line.partition("\t")
        if path and status[:1] in "AM":
            changed.append(path)
    return Commit(sha, date, message.strip(), changed)


class Blobs:
    """``git cat-file --batch``: the bytes of ``COMMIT:PATH``, one process for every blob asked."""

    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(_git(repo, "cat-file", "--batch"), stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, commit: str, path: str) -> bytes:
        self.proc.stdin.write(f"{commit}:{path}\n".encode("utf-8", "surrogateescape"))
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitError(f"{commit}:{path}: no such file in that commit ({b' '.join(header).decode()})")
        body = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)  # the newline after each object
        return body

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()

    def __enter__(self) -> Blobs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
