"""Benchmark 11, ota: ``import-ota`` of a generated Open Terms Archive versions repository (issue 19):
captures a second and peak memory, against the file-by-file ``import`` of Markdown in the same run.

The repository is written with one ``git fast-import``: ``commits`` commits over ``files`` files
(``Service-N/Privacy Policy.md``, one variant each), each commit a new version of one file (real
policy paragraphs, one of them rewritten). Both imports run as a user runs them, process start
included. Peak memory (``VmHWM`` of the import's process) is measured at a fifth of the commits and
at all of them: the history is streamed, so it should not grow with the number of commits.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from bench.report import Figure
from bench import site
from bench.site import fresh_db
from bench.synthetic import paragraphs

NAME = "ota"
TITLE = "import-ota of a generated OTA versions repository (captures/s, peak memory) against file-by-file import"
START = 1_600_000_000  # commit times, one a minute from September 2020


def _declarations(folder: Path, files: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        variant = {"region": "US", "language": "en", "url": f"https://s{n}.example.com/privacy",
                   "ota": f"bench/Service-{n}/Privacy Policy"}
        (folder / f"service-{n}.yml").write_text(yaml.safe_dump(
            {"service": f"Service-{n}", "documents": [{"type": "privacy-policy", "variants": [variant]}]}, sort_keys=False))
    return folder


def _text(paras: list[str], n: int) -> bytes:
    """Version ``n`` of a file: eight real paragraphs, the last one numbered so that every version differs."""
    body = "\n\n".join(paras[(n + i) % len(paras)] for i in range(7))
    return f"# Privacy Policy\n\n{body}\n\nVersion {n} of this policy.\n".encode()


def _repository(repo: Path, commits: int, files: int) -> Path:
    """``commits`` commits over ``files`` files, streamed into ``git fast-import``."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    paras = paragraphs()
    with subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE) as proc:
        for n in range(commits):
            message = f"Record new changes of Service-{n % files} Privacy Policy".encode()
            body = _text(paras, n)
            proc.stdin.write(b"commit refs/heads/main\ncommitter OTA <bot@example.org> %d +0000\n" % (START + 60 * n)
                             + b"data %d\n%s\n" % (len(message), message)
                             + f'M 100644 inline "Service-{n % files}/Privacy Policy.md"\n'.encode()
                             + b"data %d\n%s\n" % (len(body), body))
        proc.stdin.close()
    return repo


def _peak(pid: int, seen: list[int]) -> None:
    """The process's high-water resident memory, read until it ends."""
    while True:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                seen.append(int(line.split()[1]) * 1024)
        time.sleep(0.2)


def _import_ota(work: Path, repo: Path, policies: Path) -> tuple[int, float, int]:
    """Captures, seconds and peak bytes of one ``import-ota`` into a fresh archive."""
    db = fresh_db(work / f"{repo.stem}.db")
    seen: list[int] = []
    out, wall = site.run([sys.executable, "-m", "crawler.cli", "import-ota", str(repo), "--collection", "bench",
                     "--db", str(db), "--policies", str(policies)], watch=lambda pid: _peak(pid, seen), timeout=7200)
    captures = sum(int(part.split()[0]) for part in out.split(";", 1)[1].split(","))
    return captures, wall, max(seen, default=0)


def _file_import(work: Path, policies: Path, versions: int) -> tuple[int, float]:
    """Captures and seconds of ``import`` of ``versions`` Markdown files named by time, one variant."""
    folder = work / "files"
    folder.mkdir(parents=True, exist_ok=True)
    paras = paragraphs()
    for n in range(versions):
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S+00-00", time.gmtime(START + 60 * n))
        (folder / f"{stamp}.md").write_bytes(_text(paras, n))
    db = fresh_db(work / "files.db")
    _, wall = site.run([sys.executable, "-m", "crawler.cli", "import", str(folder), "--variant", "service-0/privacy-policy/us-en",
                   "--db", str(db), "--policies", str(policies)], timeout=7200)
    return versions, wall


def run_bench(work: Path, commits: int, files: int, baseline_files: int) -> list[Figure]:
    work.mkdir(parents=True, exist_ok=True)
    policies = _declarations(work / "policies", files)
    small, full = _repository(work / "small.git", commits // 5, files), _repository(work / "full.git", commits, files)
    print(f"  repositories written: {commits // 5:,} and {commits:,} commits over {files:,} files", flush=True)
    base_n, base_wall = _file_import(work, policies, baseline_files)
    print(f"  file-by-file import: {base_n} files in {base_wall:.1f} s ({base_n / base_wall:.1f}/s)", flush=True)
    small_n, small_wall, small_peak = _import_ota(work, small, policies)
    print(f"  import-ota: {small_n:,} captures in {small_wall:.1f} s, peak {small_peak / 2**20:.0f} MiB", flush=True)
    full_n, full_wall, full_peak = _import_ota(work, full, policies)
    print(f"  import-ota: {full_n:,} captures in {full_wall:.1f} s, peak {full_peak / 2**20:.0f} MiB", flush=True)
    rate, base_rate = full_n / full_wall, base_n / base_wall
    return [
        Figure(f"import-ota, {commits:,} commits over {files:,} files", rate, "captures/s", ">=", 50,
               baseline=base_rate, ratio=rate / base_rate, ratio_note=f"import-ota / import of {baseline_files} files"),
        Figure(f"import-ota peak memory, {commits:,} commits", full_peak / 2**20, "MiB", baseline=small_peak / 2**20,
               ratio=full_peak / small_peak, ratio_note=f"{commits:,} / {commits // 5:,} commits (flat: about 1x)"),
    ]


def run(work: Path, args) -> list[Figure]:
    return run_bench(work, 2_000 if args.quick else 50_000, 200 if args.quick else 2_000, 64)
