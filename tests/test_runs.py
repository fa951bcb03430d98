"""The run log: one run at a time per archive, interrupted runs recorded as such, the cron path, and
what `policyarchive status` says the morning after."""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from datetime import datetime, timezone

import pytest

from helpers import LOREM, PROJECT, Route, crawl, policy_page, policyarchive, rows, write_declaration
from crawler.declarations.catalog import load_catalog
from crawler.common.exits import EXIT_BUSY, EXIT_INTERRUPTED
from crawler.intake.importer import import_paths
from crawler.web.publish import datasette_app


def declare(tmp_path, site, *paths):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": region, "language": "en", "url": site.url(path), "select": ["article.policy"]}
        for region, path in zip(("US", "EEA", "ROW"), paths)
    ])
    return tmp_path / "archive.db", tmp_path / "policies"


class Crawl:
    """A crawl in a session of its own (a test can kill it with its extraction workers), its output in a file."""

    def __init__(self, db, policies, *args):
        self.output = db.parent / f"crawl-{time.monotonic_ns()}.out"
        with open(self.output, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--policies", str(policies), "-s", "RETRY_TIMES=0", *args],
                cwd=PROJECT, stdout=out, stderr=out, start_new_session=True,
            )

    def wait(self, timeout=60):
        self.process.wait(timeout)
        return self.process.returncode

    def said(self):
        return self.output.read_text()


def count(db, sql):
    """A count from an archive that may not have its tables yet."""
    try:
        return rows(db, sql)[0]["n"] if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


def wait_until(condition, timeout=60.0, said=lambda: ""):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; the crawl said:\n{said()[-3000:]}"
        time.sleep(0.05)


def integrity(db):
    return sqlite3.connect(db).execute("pragma integrity_check").fetchall()


def test_two_starts_at_once_give_one_run_and_one_clear_refusal(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us")
    site.set("/us", Route(body=policy_page(LOREM), delay=3))
    first, second = Crawl(db, policies), Crawl(db, policies)
    results = sorted((crawl.wait(), crawl.said()) for crawl in (first, second))

    assert [code for code, _ in results] == [0, EXIT_BUSY]
    refusal = results[1][1]
    assert re.search(r"refused: another run is in progress on .*archive\.db \(pid \d+ on .+ since .+\); nothing was started", refusal)
    [run] = rows(db, "select * from runs")
    assert run["status"] == "finished" and run["new"] == 1 and run["exit_code"] == 0
    assert site.hits == ["/us"]


def test_two_hard_links_to_one_archive_cannot_both_run(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us")
    site.set("/us", policy_page(LOREM))
    crawl(db, policies)
    (tmp_path / "elsewhere").mkdir()
    other_name = tmp_path / "elsewhere" / "same-archive.db"
    os.link(db, other_name)
    held = threading.Event()
    site.set("/us", Route(body=policy_page(LOREM), hold=held))
    try:
        first = Crawl(db, policies)
        wait_until(lambda: len(site.hits) == 2, said=first.said)  # the first run is fetching
        second = Crawl(other_name, policies)
        assert second.wait() == EXIT_BUSY, second.said()
    finally:
        held.set()
    assert first.wait() == 0, first.said()
    assert "refused: another run is in progress on" in second.said()
    assert [r["status"] for r in rows(db, "select status from runs")] == ["finished", "finished"]


def test_sigterm_mid_crawl_marks_the_run_interrupted_and_keeps_its_captures(tmp_path, site):
    db, policies = declare(tmp_path, site, "/a", "/b", "/c")
    # Each page answers when the test says: one served, the next in flight when SIGTERM comes, whatever
    # the machine's speed and whichever order the crawl asks for them in.
    held = {path: threading.Event() for path in ("/a", "/b", "/c")}
    for path, event in held.items():
        site.set(path, Route(body=policy_page(LOREM), hold=event))
    running = Crawl(db, policies, "-s", "CONCURRENT_REQUESTS=1")
    try:
        wait_until(lambda: len(site.hits) == 1, said=running.said)
        held[site.hits[0]].set()
        wait_until(lambda: len(site.hits) == 2, said=running.said)  # one page served, the next in flight
        running.process.send_signal(signal.SIGTERM)
    finally:
        for event in held.values():
            event.set()

    assert running.wait(30) == EXIT_INTERRUPTED
    [run] = rows(db, "select * from runs")
    assert run["status"] == "interrupted" and run["exit_code"] == EXIT_INTERRUPTED and "shutdown" in run["detail"]
    assert (run["planned"], run["attempted"], run["new"], run["new_versions"]) == (3, 2, 2, 2)
    assert len(rows(db, "select id from captures where run_id = ?", [run["id"]])) == len(site.hits) == 2
    assert integrity(db) == [("ok",)]

    for path in ("/a", "/b", "/c"):
        site.set(path, policy_page(LOREM))
    crawl(db, policies)
    last = rows(db, "select * from runs order by id desc limit 1")[0]
    assert (last["status"], last["attempted"], last["new"], last["unchanged"]) == ("finished", 3, 1, 2)


def test_a_run_killed_outright_is_marked_interrupted_by_the_next_start(tmp_path, site):
    db, policies = declare(tmp_path, site, "/a", "/b")
    site.set("/a", policy_page(LOREM))
    held = threading.Event()  # /b answers only once the run is killed: the run has one capture, whatever the machine's speed
    site.set("/b", Route(body=policy_page(LOREM), hold=held))
    running = Crawl(db, policies)
    try:
        wait_until(lambda: "[1/2] acme/privacy-policy/us-en: new" in running.said(), said=running.said)  # logged once committed
        os.killpg(running.process.pid, signal.SIGKILL)
        running.wait(10)
    finally:
        held.set()
    assert rows(db, "select status from runs") == [{"status": "running"}]

    site.set("/b", policy_page(LOREM))
    crawl(db, policies)
    killed, last = rows(db, "select * from runs order by id")
    assert killed["status"] == "interrupted" and f"pid {running.process.pid}" in killed["detail"]
    assert killed["attempted"] == 1 and killed["ended_at"] == rows(db, "select fetched_at from captures where id = 1")[0]["fetched_at"]
    assert last["status"] == "finished" and last["attempted"] == 2
    assert integrity(db) == [("ok",)]


def readme_crontab_command(root):
    """The crontab line in the README, its schedule dropped and its folder made ``root``."""
    readme = (PROJECT / "README.md").read_text()
    [line] = re.findall(r"^```cron\n(.+)\n```", readme, re.MULTILINE)
    command = line.split(None, 5)[5]
    return command.replace("/srv/policyarchive", str(root))


def test_the_readme_crontab_line_is_quiet_on_success_and_speaks_up_on_failure(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    os.symlink(shutil.which("policyarchive", path=os.path.dirname(sys.executable)), tmp_path / ".venv" / "bin" / "policyarchive")
    command = readme_crontab_command(tmp_path)
    site.set("/us", policy_page(LOREM))
    good = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    site.set("/us", Route(status=503, body=b"down"))
    bad = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)

    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
    assert bad.returncode == 0 and bad.stderr == "" and "exit 3" in bad.stdout  # cron mails this line
    runs = rows(db, "select * from runs order by id")
    assert [(r["trigger"], r["exit_code"]) for r in runs] == [("cron", 0), ("cron", 3)]
    log = tmp_path / "logs" / "crawl.log"
    assert {r["log_path"] for r in runs} == {str(log)}
    assert "run 1: 1 new" in log.read_text() and "run 2: 1 http-error" in log.read_text()


def test_status_says_what_ran_what_failed_and_why_and_what_is_stale(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us", "/eea")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "2024-01-01T00-00-00+00-00.html").write_bytes(policy_page(LOREM))
    result = policyarchive("import", str(tmp_path / "saved"), "--variant", "acme/privacy-policy/eea-en", "--db", str(db), "--policies", str(policies))
    assert result.returncode == 0, result.stderr
    site.set("/us", policy_page(LOREM))
    site.set("/eea", Route(status=403, body=b"<html><body>Access denied</body></html>"))
    crawl(db, policies)

    status = policyarchive("status", "--db", str(db), "--policies", str(policies))
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert "no run in progress" in out
    assert re.search(r"run 2 .* cli: finished, exit 3 \(some captures failed\)", out)
    assert "2 of 2 variants attempted: 1 new, 1 blocked; 1 new version\n" in out
    assert re.search(r"failed: acme/privacy-policy/eea-en  blocked 403: \S", out)
    assert "stale: 1 of 2 declared variants without a successful capture for 48 hours" in out
    assert re.search(r"acme/privacy-policy/eea-en: last success 2024-01-01T00:00:00Z, [\d.]+ days ago; last capture .* blocked", out)
    assert "us-en: " not in out.split("stale:")[1]


def test_status_counts_an_imports_captures_as_captures_not_variants(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us")
    (tmp_path / "saved").mkdir()
    for day in ("01", "02"):
        (tmp_path / "saved" / f"2024-01-{day}T00-00-00+00-00.html").write_bytes(policy_page(LOREM))
    assert policyarchive("import", str(tmp_path / "saved"), "--variant", "acme/privacy-policy/us-en",
                         "--db", str(db), "--policies", str(policies)).returncode == 0

    out = policyarchive("status", "--db", str(db), "--policies", str(policies)).stdout
    assert "    2 of 2 captures attempted: 1 new, 1 unchanged; 1 new version\n" in out


def test_status_shows_how_much_of_its_page_each_variant_keeps_lowest_first(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us", "/eea")
    site.set("/us", policy_page(LOREM))
    site.set("/eea", policy_page(LOREM, noise=" ".join(["menu"] * 300)))  # the same policy in a page three times its size
    crawl(db, policies)

    out = policyarchive("status", "--db", str(db), "--policies", str(policies)).stdout
    listed = out.split("coverage, lowest first")[1].split("stale:")[0].splitlines()[1:]
    assert [line.split(":")[0].strip() for line in listed] == ["acme/privacy-policy/eea-en", "acme/privacy-policy/us-en"]
    assert re.match(r"  acme/privacy-policy/eea-en: (\d+) of the ([\d,]+) words its page shows \((\d+)%\)", listed[0])


@pytest.mark.asyncio
async def test_datasette_shows_which_variants_are_stale(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": region, "language": "en", "url": f"https://acme.example.com/{region}", "select": ["article.policy"]}
        for region in ("US", "EEA", "ROW")
    ])
    catalog = load_catalog(tmp_path / "policies")
    db = tmp_path / "archive.db"
    for variant, when in (("us-en", datetime.now(timezone.utc)), ("eea-en", datetime(2024, 1, 1, tzinfo=timezone.utc))):
        saved = tmp_path / variant / f"{when:%Y-%m-%dT%H-%M-%S}+00-00.html"
        saved.parent.mkdir()
        saved.write_bytes(policy_page(LOREM))
        import_paths(db, catalog, f"acme/privacy-policy/{variant}", [saved])

    app = datasette_app(db)
    response = await app.client.get("/archive/variant_status.json?_shape=array")
    flags = {r["variant_id"].rsplit("/", 1)[1]: (r["stale"], r["last_ok_at"] is not None) for r in response.json()}
    assert flags == {"us-en": (0, True), "eea-en": (1, True), "row-en": (1, False)}
    page = await app.client.get("/archive/variant_status")
    assert "no successful capture for 48 hours" in page.text


@pytest.mark.asyncio
async def test_a_first_capture_cut_at_a_stray_body_end_tag_is_flagged_in_status_and_on_the_variant_page(tmp_path, site):
    db, policies = declare(tmp_path, site, "/us")
    sections = [f"{LOREM} Section {n}." for n in range(1, 11)]
    whole = policy_page(sections[0], "<table><tr><td>Data kept</td></body><td>90 days</td></tr></table>", *sections[1:])
    site.set("/us", Route(body=whole[:whole.index(b"</body>")]))  # served cut where a stray </body> stands
    crawl(db, policies)
    site.set("/us", Route(body=whole))
    crawl(db, policies)

    out = policyarchive("status", "--db", str(db), "--policies", str(policies)).stdout
    assert re.search(r"cut short .*\n  acme/privacy-policy/us-en: 1 capture up to \S+Z: cut short\? \d+ words where a later version", out)
    page = await datasette_app(db).client.get("/-/variant/acme/privacy-policy/us-en")
    assert "Cut short?" in page.text and page.text.count("cut short? ") == 1
