"""What the `policyarchive` command says to a new user who mistypes: a mistyped id, path or term is
refused in one clear line (exit 1, or 2 for a usage error), never run as an empty selection, never
a traceback; and counts read as English."""

import gzip
import hashlib
import shutil
import socket
import subprocess
import sys

import pytest

from crawler.archive.schema import MIGRATIONS
from helpers import LOREM, PROJECT, crawl, free_port, policy_page, policyarchive, rows, write_declaration
from crawler.common.plural import count

US = "acme/privacy-policy/us-en"
READERS = ["serve", "term", "history", "status", "export", "verify"]
WRITERS = ["crawl", "import", "backfill", "schedule"]


def declare(folder, url="https://acme.example.com/privacy"):
    write_declaration(folder / "policies", "Acme", [
        {"region": "US", "language": "en", "url": url, "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": url + "/eea", "select": ["article.policy"]},
    ])
    return folder / "policies"


def import_one(folder, db):
    """One saved page of the US variant imported into ``db``: one run, one capture, one version."""
    (folder / "saved").mkdir(exist_ok=True)
    (folder / "saved" / "2021-06-01T10-00-00+00-00.html").write_bytes(policy_page(LOREM))
    return policyarchive("import", str(folder / "saved"), "--variant", US, "--db", str(db), "--policies", str(folder / "policies"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    declare(folder)
    result = import_one(folder, folder / "archive.db")
    assert result.returncode == 0, result.stderr
    return folder / "archive.db"


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that something already listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def reader_args(command, db):
    """``command`` run on ``db`` with whatever else it needs to get as far as reading the archive."""
    extra = {"term": ["biometric"], "history": [US], "export": [str(db.parent / "out.warc")], "screenshots": ["--missing"]}.get(command, [])
    return [command, *extra, "--db", str(db)]


def test_serve_refuses_a_missing_archive_and_makes_none(tmp_path):
    result = policyarchive("serve", "--db", str(tmp_path / "typo.db"))
    assert result.returncode == 1
    assert result.stderr == f"no archive at {tmp_path / 'typo.db'}: crawl, import or backfill make one\n"
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize("command", READERS + ["screenshots"])
def test_reading_commands_refuse_a_missing_folder_or_a_file_that_is_no_archive_in_one_line(tmp_path, command):
    """screenshots writes pictures into an archive, but makes none: a mistyped path is no new archive."""
    (tmp_path / "notes.db").write_text("not a database, just notes\n")
    for db, said in [(tmp_path / "missing" / "x.db", "no archive at"), (tmp_path / "notes.db", "is not an archive")]:
        result = policyarchive(*reader_args(command, db))
        assert result.returncode == 1, result.stderr
        assert said in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", READERS)
def test_the_help_of_reading_commands_says_the_archive_must_exist(command):
    result = policyarchive(command, "--help")
    assert "The archive (SQLite); it must exist." in result.stdout and "made if missing" not in result.stdout


@pytest.mark.parametrize("command", WRITERS)
def test_the_help_of_writing_commands_says_the_archive_and_its_folder_are_made(command):
    assert "The archive (SQLite); made if missing, its folder too." in policyarchive(command, "--help").stdout


def test_import_makes_the_folder_of_a_new_archive(tmp_path):
    declare(tmp_path)
    db = tmp_path / "new" / "folder" / "archive.db"
    result = import_one(tmp_path, db)
    assert result.returncode == 0, result.stderr
    assert len(rows(db, "select id from captures")) == 1


def test_crawl_makes_the_folder_of_a_new_archive(tmp_path, site):
    site.set("/us", policy_page(LOREM))
    policies = declare(tmp_path, url=site.url("/us"))
    db = tmp_path / "new" / "archive.db"
    crawl(db, policies, "--only", US)
    assert [r["outcome"] for r in rows(db, "select outcome from captures")] == ["new"]


def test_export_of_an_id_that_names_nothing_is_refused_with_the_ids_that_exist_and_writes_nothing(archive, tmp_path):
    out = tmp_path / "x.wacz"
    result = policyarchive("export", str(out), "--only", "nope", "--db", str(archive))
    assert result.returncode == 1
    assert f"no service, document or variant named 'nope' in {archive} (services: acme)" in result.stderr
    assert f"nothing was exported; {out} was not written" in result.stderr
    assert not out.exists()


def test_export_into_a_new_folder_makes_it_and_counts_one_capture_in_the_singular(archive, tmp_path):
    out = tmp_path / "new" / "acme.warc"
    result = policyarchive("export", str(out), "--only", "acme", "--db", str(archive))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}: 1 capture, 1 with their bytes\n"


def test_crawl_only_with_a_service_name_hints_its_id_and_lists_ids_without_a_line_number(tmp_path):
    policies = declare(tmp_path)
    result = policyarchive("crawl", "--only", "Acme", "--only", "acme/privacy-policy/us-fr",
                           "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"no service, document or variant named 'Acme' in {policies}: did you mean 'acme'? (services: acme)",
        f"no service, document or variant named 'acme/privacy-policy/us-fr' in {policies} "
        "(variants of acme/privacy-policy: acme/privacy-policy/eea-en, acme/privacy-policy/us-en)",
        "nothing was run.",
    ]
    assert not (tmp_path / "a.db").exists()


def test_a_bare_scrapy_crawl_refuses_an_id_that_names_nothing_in_one_line_without_a_traceback(tmp_path):
    policies = declare(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "policies", "-a", "only=nope",
         "-s", f"POLICYARCHIVE_DB={tmp_path / 'a.db'}", "-s", f"POLICYARCHIVE_POLICIES={policies}"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT,
    )
    assert result.returncode == 1
    assert f"no service, document or variant named 'nope' in {policies} (services: acme)\nnothing was run.\n" in result.stderr
    assert "Traceback" not in result.stderr and "CatalogError" not in result.stderr
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("term", ["", "   "], ids=["empty", "blank"])
def test_term_refuses_an_empty_term_rather_than_match_every_word(archive, term):
    result = policyarchive("term", term, "--db", str(archive))
    assert result.returncode == 2
    assert "Invalid value for 'TERM': is empty" in result.stderr and result.stdout == ""


def test_term_given_a_service_as_document_says_so_and_lists_its_documents(archive):
    result = policyarchive("term", "biometric", "--document", "acme", "--db", str(archive))
    assert result.returncode == 1
    assert result.stderr == "acme is a service, not a document; its documents: acme/privacy-policy\n"


def test_history_given_a_document_says_so_and_lists_its_variants(archive):
    result = policyarchive("history", "acme/privacy-policy", "--db", str(archive))
    assert result.returncode == 1
    assert result.stderr == ("acme/privacy-policy is a document, not a variant; "
                             "its variants: acme/privacy-policy/eea-en, acme/privacy-policy/us-en\n")


def test_counts_of_one_are_said_in_the_singular(archive, tmp_path):
    assert policyarchive("history", US, "--db", str(archive)).stdout.startswith(f"{US}: 1 version\n")
    assert " 1 new version\n" in policyarchive("status", "--db", str(archive), "--policies", str(archive.parent / "policies")).stdout
    write_declaration(tmp_path / "one", "Solo", [{"region": "US", "language": "en", "url": "https://solo.example.com/"}])
    assert policyarchive("validate", str(tmp_path / "one")).stdout == "ok: 1 service, 1 document, 1 variant\n"


@pytest.mark.parametrize("n, noun, said", [(1, "version", "1 version"), (0, "version", "0 versions"), (2, "body", "2 bodies"),
                                           (2, "day", "2 days"), (1.0, "hour", "1 hour"), (48.0, "hour", "48 hours")])
def test_count_puts_the_noun_in_the_plural_unless_there_is_one(n, noun, said):
    assert count(n, noun) == said


def test_demo_refuses_a_busy_port_before_crawling(tmp_path, busy_port):
    for args, said in [(["--no-serve", "--port", str(busy_port)], f"the demo site cannot listen on 127.0.0.1:{busy_port}"),
                       (["--serve-port", str(busy_port)], f"127.0.0.1:{busy_port} cannot be listened on")]:
        result = policyarchive("demo", *args, "--db", str(tmp_path / "demo.db"), timeout=30)
        assert result.returncode == 1
        assert said in result.stderr and "Traceback" not in result.stderr and "crawling" not in result.stderr
    assert not (tmp_path / "demo.db").exists()


def test_serve_refuses_a_busy_port_in_one_line(archive, busy_port):
    result = policyarchive("serve", "--port", str(busy_port), "--db", str(archive))
    assert result.returncode == 1
    assert result.stderr.startswith(f"127.0.0.1:{busy_port} cannot be listened on") and "Traceback" not in result.stderr


def test_demo_refuses_a_file_that_holds_other_runs_and_leaves_it_untouched(archive, tmp_path):
    db = tmp_path / "archive.db"
    shutil.copy(archive, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    result = policyarchive("demo", "--no-serve", "--db", str(db), timeout=30)
    assert result.returncode == 1
    assert "is not an archive of demo runs only" in result.stderr and "choose another --db" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("date", ["2021-13-45", "31/12/2021", "2021-02-30"])
def test_backfill_refuses_a_date_that_does_not_exist_before_asking_anything(tmp_path, date):
    result = policyarchive("backfill", "--variant", "lumen/privacy-policy/us-en", "--from", date,
                           "--db", str(tmp_path / "a.db"), "--policies", str(PROJECT / "crawler" / "demo" / "policies"))
    assert result.returncode == 2 and f"{date!r} is not a date such as 2020" in result.stderr
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("setting", ["DOWNLOAD_TIMEOUT", "=10", "DOWNLOAD TIMEOUT=3"])
def test_a_setting_without_name_equals_value_is_a_usage_error(tmp_path, setting):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": "https://acme.example.com/p"}])
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"), "-s", setting)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "NAME=VALUE" in result.stderr and not (tmp_path / "a.db").exists()


def older_archive(tmp_path):
    """An archive made before migration 8, as an earlier policyarchive left it."""
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress((PROJECT / "tests" / "archives" / "made-before-migration-8.db.gz").read_bytes()))
    return path


@pytest.mark.parametrize("command", [["status"], ["export", "{tmp}/x.warc"], ["serve", "--port", "{port}"]],
                         ids=["status", "export", "serve"])
def test_reading_commands_never_migrate_an_older_archive(tmp_path, command):
    path = older_archive(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    args = [a.format(tmp=tmp_path, port=free_port()) for a in command]
    result = policyarchive(*args, "--db", str(path))

    assert result.returncode == 1, result.stderr
    later = ", ".join(str(n) for n in sorted(MIGRATIONS) if n >= 8)
    assert f"{path} was made by an earlier policyarchive (migrations {later} not applied)" in result.stderr
    assert "a crawl, import or backfill brings it up to date" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def on_a_read_only_file_system(folder, *args):
    """``policyarchive ARGS`` with ``folder`` remounted read-only, in a mount namespace of its own
    (unshare(1); the test is skipped where the system allows none)."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here (unshare -m: {probe.stderr.decode().strip()})")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), sys.executable, "-m", "crawler.cli", *args],
                          capture_output=True, text=True, cwd=PROJECT, timeout=120)


@pytest.mark.parametrize("command", ["crawl", "import"])
def test_a_writing_command_on_a_read_only_file_system_says_so(tmp_path, command):
    (tmp_path / "ro").mkdir()
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": "https://acme.example.com/p"}])
    (tmp_path / "2021-06-01T00-00-00Z.html").write_bytes(policy_page(LOREM))
    extra = {"crawl": [], "import": [str(tmp_path / "2021-06-01T00-00-00Z.html"), "--variant", "acme/privacy-policy/us-en"]}
    result = on_a_read_only_file_system(tmp_path / "ro", command, *extra[command], "--db", str(tmp_path / "ro" / "a.db"),
                                        "--policies", str(tmp_path / "policies"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert f"{tmp_path / 'ro' / 'a.db'}: cannot be written (Read-only file system)" in result.stderr


def test_status_reads_an_archive_on_a_read_only_file_system(tmp_path, site):
    site.set("/p", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p")}])
    crawl(tmp_path / "ro" / "a.db", tmp_path / "policies")
    result = on_a_read_only_file_system(tmp_path / "ro", "status", "--db", str(tmp_path / "ro" / "a.db"),
                                        "--policies", str(tmp_path / "policies"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no run in progress" in result.stdout and "1 of 1 variant attempted: 1 new" in result.stdout


def test_validate_against_a_file_that_is_no_page_says_so_rather_than_a_coverage(tmp_path):
    declare(tmp_path)
    (tmp_path / "saved.html").write_bytes(b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(10000)))
    result = policyarchive("validate", "--against", str(tmp_path / "saved.html"), "--variant", US, "--policies", str(tmp_path / "policies"))
    assert result.returncode == 1
    assert f"{US}: saved.html: not text: " in result.stderr and "words the page shows" not in result.stdout + result.stderr
