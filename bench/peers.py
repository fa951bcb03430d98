"""Peers (issue 20, item 4): policyarchive against changedetection.io, each alone, in the same run,
over the same local pages (the real TikTok snapshots) with the same section selected (the EEA
policy), on the three passes a catalog sees: fresh, unchanged, and 10% changed.

changedetection.io is installed from PyPI into a benchmark-only venv (``bench/.venv-peers``, made on
first use) and driven as its users run it: its own server (``changedetection.py -d DATASTORE``) with
its own datastore and its own fetch workers (its defaults: 5 workers, the ``html_requests``
fetcher, the ``text_json_diff`` processor). The watches are given on its command line (``-u URL
-uN OPTIONS``, which also leaves out its default watches of real sites) with ``include_filters``
set to an XPath selecting the EEA section; the fresh pass is its start-up and first checks, the
later passes ``GET /api/v1/watch?recheck_all=1`` through its REST API. A pass ends when
every watch's ``check_count`` has moved and its queue is empty; the bench polls the API twice a
second for that (its CPU is counted against changedetection.io, a few ms a second).

Figures: pages a second over each process's wall time (start-up included: each ``crawl`` is a process,
and changedetection.io's fresh pass starts its server, which then serves the other two passes), CPU
a page (the process tree's user and system time), and changes detected.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.report import Figure
from bench.site import (EEA_RANGE, ENV, VariantSite, bare_crawl, cpu_seconds, crawl, fresh_db, last_run, tiktok_pages,
                        tree_cpu_seconds, write_declarations)

NAME = "peers"
TITLE = "policyarchive against changedetection.io (from PyPI), same pages, same section, same run"
OPT_IN = True  # installs a package from PyPI: runs only with --peers or --only peers
VENV = Path(__file__).resolve().parent / ".venv-peers"
PACKAGE = "changedetection.io"
# The EEA policy: the heading that opens it and the elements between it and the next policy's heading.
EEA_XPATH = ("//h1[@id='privacy-eea'] | //*[preceding-sibling::h1[@id='privacy-eea'] "
             "and following-sibling::h1[@id='privacy-row']]")
PASSES = ("fresh", "unchanged", "changed")
TARGETS = {"fresh": 10.0, "unchanged": 3.0, "changed": None}  # policyarchive / changedetection.io, pages/s


def peer_python() -> Path:
    """The peers venv's Python, with changedetection.io installed into it on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(python), "-c", "import changedetectionio"], capture_output=True).returncode:
        print(f"  installing {PACKAGE} into {VENV}", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PACKAGE], check=True)
    return python


class ChangeDetection:
    """changedetection.io's own server on 127.0.0.1, with a datastore of its own in ``folder``."""

    def __init__(self, folder: Path, port: int, urls: list[str], xpath: str):
        folder.mkdir(parents=True, exist_ok=True)
        python = peer_python()
        self.version = subprocess.run([str(python), "-c", "import changedetectionio as c; print(c.__version__)"],
                                      capture_output=True, text=True, check=True).stdout.strip()
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.log = open(folder.with_suffix(".log"), "w")
        watches = []  # one a URL, filtered to the xpath, fetched by plain HTTP (its default fetcher)
        for n, url in enumerate(urls):
            watches += ["-u", url, f"-u{n}", json.dumps({"include_filters": [xpath], "fetch_backend": "html_requests"})]
        self.process = subprocess.Popen(
            [str(python), str(VENV / "bin" / "changedetection.py"), "-d", str(folder), "-h", "127.0.0.1", "-p", str(port), *watches],
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, **ENV, "ALLOW_IANA_RESTRICTED_ADDRESSES": "true"})
        self.token = self._wait_for_token(folder)
        self.checks: dict[str, int] = {}

    def _wait_for_token(self, folder: Path) -> str:
        """Its API key, once it has written its settings and answers (bounded: 120 s)."""
        for _ in range(240):
            if self.process.poll() is not None:
                raise RuntimeError(f"changedetection.io exited {self.process.returncode}; see {self.log.name}")
            for settings in folder.glob("*.json"):
                token = json.loads(settings.read_text()).get("settings", {}).get("application", {}).get("api_access_token")
                if token:
                    try:
                        self._call("GET", "/systeminfo", token=token)
                        return token
                    except OSError:
                        pass
            time.sleep(0.5)
        raise RuntimeError("changedetection.io did not start in 120 s")

    def _call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        request = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"x-api-key": token or self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def recheck_all(self) -> None:
        self._call("GET", "/watch?recheck_all=1")

    def wait_for_checks(self, count: int, timeout: float = 3600) -> None:
        """Until every one of ``count`` watches has finished one more check than it had (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            watches = self._call("GET", "/watch")
            if len(watches) == count and self._call("GET", "/systeminfo")["queue_size"] == 0:
                done = {uuid: self._call("GET", f"/watch/{uuid}").get("check_count", 0) for uuid in watches}
                if all(n > self.checks.get(uuid, 0) for uuid, n in done.items()):
                    self.checks = done
                    errors = [w["last_error"] for w in watches.values() if w["last_error"]]
                    if errors:
                        raise RuntimeError(f"changedetection.io: {len(errors)} checks failed, e.g. {errors[0]}")
                    return
            time.sleep(0.5)
        raise RuntimeError(f"changedetection.io did not finish {count} checks in {timeout:.0f} s")

    def snapshots(self) -> int:
        """Snapshots kept over all watches: a watch's first capture and each change it detected."""
        return sum(len(self._call("GET", f"/watch/{uuid}/history")) for uuid in self._call("GET", "/watch"))

    def cpu(self) -> float:
        return tree_cpu_seconds(self.process.pid)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def _policyarchive(work: Path, site: VariantSite, pages: int) -> dict[str, dict]:
    policies = write_declarations(work / "policies", site.urls, select=[EEA_RANGE])
    db = fresh_db(work / "peers.db")
    measured = {}
    for name in PASSES:
        if name == "changed":
            _change(site, pages)
        before = cpu_seconds()[0]
        wall = crawl(db, policies)
        cpu = cpu_seconds()[0] - before
        outcomes = last_run(db)["outcomes"]
        measured[name] = {"rate": pages / wall, "cpu": cpu * 1000 / pages, "changes": outcomes.get("new", 0) + outcomes.get("changed", 0)}
        print(f"  policyarchive {name}: {pages / wall:.1f} pages/s, {measured[name]['cpu']:.1f} ms CPU a page, {outcomes}", flush=True)
    return measured


def _changedetection(work: Path, site: VariantSite, pages: int) -> tuple[str, dict[str, dict]]:
    started = time.perf_counter()
    peer = ChangeDetection(work / "changedetection", _free_port(), site.urls, EEA_XPATH)
    measured = {}
    try:
        snapshots, before = 0, 0.0
        for name in PASSES:
            if name != "fresh":
                if name == "changed":
                    _change(site, pages)
                before, started = peer.cpu(), time.perf_counter()
                peer.recheck_all()
            peer.wait_for_checks(pages)
            wall, cpu = time.perf_counter() - started, peer.cpu() - before
            kept = peer.snapshots()
            measured[name] = {"rate": pages / wall, "cpu": cpu * 1000 / pages, "changes": kept - snapshots}
            snapshots = kept
            print(f"  changedetection.io {name}: {pages / wall:.1f} pages/s, {measured[name]['cpu']:.1f} ms CPU a page, "
                  f"{measured[name]['changes']} snapshots kept", flush=True)
    finally:
        peer.close()
    return peer.version, measured


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _change(site: VariantSite, pages: int) -> None:
    for i in range(0, pages, 10):
        site.change(i, f"Edition 2: we now keep data about variant {i} for 30 days.", section="privacy-eea")


def _fresh_against_bare(work: Path, pages: int) -> Figure:
    site = VariantSite(tiktok_pages(), pages)
    try:
        bare = bare_crawl(site.urls, work / "bare")
        wall = crawl(fresh_db(work / "bare-fresh.db"), write_declarations(work / "bare-policies", site.urls, select=[EEA_RANGE]))
    finally:
        site.close()
    rate, bare_rate = pages / wall, bare["pages"] / bare["wall"]
    return Figure(f"fresh pass over {pages:,} pages against the bare spider", rate, "pages/s", ">=", 0.35, baseline=bare_rate,
                  ratio=rate / bare_rate, ratio_note="policyarchive / bare spider, wall time", on_ratio=True)


def run(work: Path, args) -> list[Figure]:
    pages = args.peers_pages or (40 if args.quick else 200)
    bare_pages = args.peers_bare_pages or (200 if args.quick else 5_000)
    site = VariantSite(tiktok_pages(), pages)
    try:
        ours = _policyarchive(work / "policyarchive", site, pages)
    finally:
        site.close()
    site = VariantSite(tiktok_pages(), pages)
    try:
        version, theirs = _changedetection(work, site, pages)
    finally:
        site.close()
    figures = []
    for name in PASSES:
        a, b = ours[name], theirs[name]
        figures.append(Figure(f"{name} pass over {pages} pages, policyarchive against changedetection.io", a["rate"], "pages/s",
                              ">=" if TARGETS[name] else None, TARGETS[name], baseline=b["rate"], ratio=a["rate"] / b["rate"],
                              ratio_note="policyarchive / changedetection.io", on_ratio=True,
                              note=f"CPU a page {a['cpu']:.1f} ms against {b['cpu']:.1f} ms; changes {a['changes']} against "
                                   f"{b['changes']}; changedetection.io {version}, html_requests, 5 workers"))
    figures.append(_fresh_against_bare(work, bare_pages))
    return figures
