"""The archive's rules, through the same record() a crawl and an import use."""

import gzip
import json
import multiprocessing
import sqlite3
import traceback
import zlib
from contextlib import closing
from pathlib import Path

import pytest
import sqlite_utils

from crawler.archive import store as archive_module
from crawler.archive.schema import MIGRATIONS
from crawler.archive.store import Archive
from crawler.common.clock import utcnow
from crawler.common.digests import sha256
from crawler.declarations.catalog import Catalog, Document, Service, Variant
from crawler.declarations.catalog import Rules, Selector
from crawler.text.classify import Analysis, analyse
from crawler.text.extract import comparable
from crawler.capture.items import Capture
from crawler.evidence.verify import verify
from helpers import LOREM, policy_page, rows

VARIANT = Variant(id="acme/privacy-policy/us-en", document_id="acme/privacy-policy", service="Acme",
                  document_type="privacy-policy", region="US", language="en", url="https://acme.example.com/p")
CATALOG = Catalog(services=(Service("Acme", "acme", "acme.yml", (Document("acme/privacy-policy", "Acme", "privacy-policy", "Acme privacy", (VARIANT,)),)),))


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "archive.db")
    a.sync_catalog(CATALOG)
    yield a
    a.close()


def capture(when: str, body: bytes = b"<p>page</p>") -> Capture:
    return Capture(variant_id=VARIANT.id, requested_url=VARIANT.url, fetched_at=when, status=200, body=body)


def outcomes(archive):
    return [r[0] for r in archive.db.execute("select outcome from captures order by id")]


def test_a_text_that_comes_back_links_to_its_earlier_version(archive):
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    archive.record(capture("2021-02-01T00:00:00Z"), Analysis("ok", "Text B"))
    back = archive.record(capture("2021-03-01T00:00:00Z"), Analysis("ok", "Text A"))

    assert outcomes(archive) == ["new", "changed", "changed"]
    assert archive.db["versions"].count == 2
    first = archive.db["versions"].get(1)
    assert back.version_id == 1 and first["last_seen"] == "2021-03-01T00:00:00Z"
    assert [r["is_return"] for r in archive.db["changes"].rows] == [0, 1]


def test_a_failure_between_two_equal_texts_leaves_one_version(archive):
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    archive.record(capture("2021-01-02T00:00:00Z", b"blocked"), Analysis("blocked", detail="captcha"))
    archive.record(capture("2021-01-03T00:00:00Z"), Analysis("ok", "Text A"))

    assert outcomes(archive) == ["new", "blocked", "unchanged"]
    assert archive.db["versions"].count == 1 and archive.db["changes"].count == 0


def test_identical_bodies_are_stored_once_and_compressed(archive):
    body = b"<html>" + b"<p>We collect data.</p>" * 500 + b"</html>"
    for day in (1, 2, 3):
        archive.record(capture(f"2021-01-0{day}T00:00:00Z", body), Analysis("ok", "Text A"))

    [row] = archive.db["bodies"].rows
    assert row["size"] == len(body) and row["stored_size"] < len(body) / 4
    assert archive.body(row["sha256"]) == body


def test_new_bodies_are_stored_with_zstandard_and_read_back_as_received(archive):
    body = b"<html>" + "<p>Nous collectons vos donn\u00e9es.</p>".encode() * 500 + b"\x00\xff</html>"
    digest = archive.keep_body(body)

    row = archive.db.execute("select compression, content from bodies where sha256 = ?", [digest]).fetchone()
    assert row[0] == "zstd" and row[1].startswith(b"\x28\xb5\x2f\xfd")  # Zstandard's frame magic number
    assert archive.body(digest) == body


@pytest.mark.parametrize("codec, stored", [("zlib", zlib.compress), (None, bytes)], ids=["zlib", "raw"])
def test_bodies_stored_before_zstandard_are_still_read(archive, codec, stored):
    """Archives hold the bodies earlier versions stored, zlib-compressed (and raw before): none is rewritten."""
    body = b"<html>" + b"<p>We collect data.</p>" * 500 + b"</html>"
    archive.db.execute("insert into bodies (sha256, size, stored_size, compression, content) values (?, ?, ?, ?, ?)",
                       [sha256(body), len(body), len(stored(body)), codec, stored(body)])
    assert archive.body(sha256(body)) == body


def test_a_body_kept_before_it_is_recorded_is_hashed_once(archive, monkeypatch):
    body = b"<html>" + b"<p>We collect data.</p>" * 500 + b"</html>"
    hashed = []
    monkeypatch.setattr(archive_module, "sha256", lambda data, real=archive_module.sha256: hashed.append(data) or real(data))

    digest = archive.keep_body(body)
    archive.record(capture("2021-01-01T00:00:00Z", body), Analysis("ok", "Text A"), body_sha256=digest)

    assert hashed.count(body) == 1
    assert archive.db.execute("select body_sha256 from captures").fetchone()[0] == digest


def test_the_writer_takes_the_comparison_key_the_extraction_computed(archive, monkeypatch):
    """A worker process extracted the text and hashed its comparable form: the reactor's thread
    must not do it again."""
    text = "We collect your name and email address."
    key = sha256(comparable(text))
    hashed = []
    monkeypatch.setattr(archive_module, "sha256", lambda data, real=archive_module.sha256: hashed.append(data) or real(data))

    recorded = archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", text, key=key))

    assert comparable(text) not in hashed
    assert archive.db.execute("select text_sha256 from versions where id = ?", [recorded.version_id]).fetchone()[0] == key


def test_the_analysis_of_a_page_carries_its_comparison_key():
    analysis = analyse(200, policy_page(LOREM), "text/html", "https://acme.example.com/p",
                       Rules(select=(Selector.parse("article.policy"),)), language="en")
    assert analysis.outcome == "ok" and analysis.key == sha256(comparable(analysis.text))


def test_the_schema_is_migrated_once_and_reopening_keeps_everything(tmp_path):
    a = Archive(tmp_path / "archive.db")
    a.sync_catalog(CATALOG)
    a.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    a.close()
    b = Archive(tmp_path / "archive.db")
    assert b.db["versions"].count == 1
    assert [r[0] for r in b.db.execute("select id from _migrations order by id")] == sorted(MIGRATIONS)
    b.close()


def test_a_capture_for_an_undeclared_variant_is_refused_whole(archive):
    with pytest.raises(sqlite3.IntegrityError):
        archive.record(Capture(variant_id="nobody/x/us-en", requested_url="u", fetched_at="2021-01-01T00:00:00Z", status=200, body=b"x"),
                       Analysis("ok", "Text"))
    assert archive.db["captures"].count == 0 and archive.db["versions"].count == 0


def effective_changes(archive):
    return [(r["from_version_id"], r["to_version_id"], r["detected_at"][:4]) for r in
            archive.db.query("select * from changes where superseded_by is null order by detected_at")]


def test_an_older_capture_imported_later_takes_its_place_in_history(archive):
    archive.record(capture("2025-01-01T00:00:00Z"), Analysis("ok", "Text C"))
    archive.record(capture("2019-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    archive.record(capture("2020-01-01T00:00:00Z"), Analysis("ok", "Text C"))

    versions = {r["text"]: r for r in archive.db["versions"].rows}
    assert versions["Text A"]["first_seen"].startswith("2019") and versions["Text C"]["first_seen"].startswith("2020")
    assert effective_changes(archive) == [(versions["Text A"]["id"], versions["Text C"]["id"], "2020")]


def test_an_older_capture_of_the_earliest_text_is_unchanged_and_moves_its_first_seen_back(archive):
    archive.record(capture("2025-01-01T00:00:00Z"), Analysis("ok", "Text C"))
    archive.record(capture("2020-01-01T00:00:00Z"), Analysis("ok", "Text C"))

    [version] = archive.db["versions"].rows
    assert outcomes(archive) == ["new", "unchanged"]
    assert version["first_seen"].startswith("2020") and version["last_seen"].startswith("2025")
    assert [r["version_id"] for r in archive.db["captures"].rows] == [version["id"]] * 2


def test_a_text_found_between_two_known_ones_supersedes_the_direct_change(archive):
    archive.record(capture("2025-01-01T00:00:00Z"), Analysis("ok", "Text C"))
    archive.record(capture("2019-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    archive.record(capture("2020-01-01T00:00:00Z"), Analysis("ok", "Text B"))

    ids = {r["text"]: r["id"] for r in archive.db["versions"].rows}
    assert effective_changes(archive) == [(ids["Text A"], ids["Text B"], "2020"), (ids["Text B"], ids["Text C"], "2025")]
    [superseded] = archive.db.query("select from_version_id, to_version_id from changes where superseded_by is not null")
    assert superseded == {"from_version_id": ids["Text A"], "to_version_id": ids["Text C"]}
    assert archive.db["changes"].count == 3


@pytest.mark.asyncio
async def test_superseded_changes_leave_the_published_history(archive):
    from crawler.web.publish import datasette_app

    archive.record(capture("2025-01-01T00:00:00Z"), Analysis("ok", "Text C " * 40))
    archive.record(capture("2019-01-01T00:00:00Z"), Analysis("ok", "Text A " * 40))
    archive.record(capture("2020-01-01T00:00:00Z"), Analysis("ok", "Text B " * 40))
    app = datasette_app(archive.path)

    recent = (await app.client.get("/archive/recent_changes.json?_shape=array")).json()
    assert [r["detected_at"][:4] for r in recent] == ["2025", "2020"]
    browse = (await app.client.get("/archive/changes_browse.json?_shape=array")).json()
    assert len(browse) == 2


def test_every_response_header_comes_back_exactly_and_each_distinct_set_is_stored_once(archive):
    sent = [
        {"content-type": "text/html; charset=utf-8", "date": "Fri, 01 Jan 2021 00:00:00 GMT", "server": "nginx",
         "set-cookie": "a=1; Path=/, b=2; Path=/", "x-note": "café \x7f \"quoted\""},
        {"content-type": "text/html; charset=utf-8", "date": "Sat, 02 Jan 2021 00:00:00 GMT", "server": "nginx",
         "set-cookie": "a=1; Path=/, b=2; Path=/", "x-note": "café \x7f \"quoted\""},
        {"content-type": "text/html", "server": "nginx"},
        {},
    ]
    ids = [archive.record(Capture(variant_id=VARIANT.id, requested_url=VARIANT.url, fetched_at=f"2021-01-0{day}T00:00:00Z",
                                  status=200, headers=headers, body=b"<p>page</p>"), Analysis("ok", "Text A")).capture_id
           for day, headers in zip((1, 2, 3, 4), sent)]

    assert [archive.headers(i) for i in ids] == sent
    assert archive.db["header_sets"].count == 2
    by_view = {r["capture_id"]: json.loads(r["headers"]) for r in archive.db.query("select * from capture_headers")}
    assert by_view == {i: h for i, h in zip(ids, sent) if h}


def test_an_unchanged_check_adds_its_capture_row_and_nothing_else(archive):
    def check(day: int) -> dict[str, int]:
        headers = {"content-type": "text/html", "date": f"Fri, 0{day} Jan 2021 00:00:00 GMT"}
        archive.record(Capture(variant_id=VARIANT.id, requested_url=VARIANT.url, fetched_at=f"2021-01-0{day}T00:00:00Z",
                               status=200, headers=headers, body=b"<p>page</p>"), Analysis("ok", "Text A"))
        return {t: archive.db[t].count for t in ("captures", "bodies", "header_sets", "versions", "changes")}

    first, second = check(1), check(2)

    assert second == {**first, "captures": first["captures"] + 1}
    [unchanged] = archive.db.query("select outcome, text_sha256 from captures where id = 2")
    assert unchanged == {"outcome": "unchanged", "text_sha256": None}


def old_archive(tmp_path):
    """An archive written by policyarchive before migration 8 (tests/archives/): two crawls of a US
    and an EEA page (headers with a cookie and ETags; then a 404) and the import of a saved file."""
    path = tmp_path / "archive.db"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "archives" / "made-before-migration-8.db.gz").read_bytes()))
    return path


def rows_as_before(conn, table: str, columns: list[str]) -> list[tuple]:
    return conn.execute(f"select {', '.join(columns)} from {table} order by rowid").fetchall()


def test_an_archive_made_before_migration_8_keeps_every_header_and_still_verifies(tmp_path):
    path = old_archive(tmp_path)
    with closing(sqlite3.connect(path)) as conn:
        headers_before = {i: json.loads(h) for i, h in conn.execute("select capture_id, headers from capture_headers")}
        columns = {t: [r[1] for r in conn.execute(f"pragma table_info({t})")] for t in ("captures", "bodies", "manifests")}
        before = {t: rows_as_before(conn, t, c) for t, c in columns.items()}
    assert len(headers_before) == 4
    assert verify(path).problems == [f"{path} predates header sets (migration 8): any crawl, import or backfill migrates it"]

    archive = Archive(path)
    assert {i: archive.headers(i) for i in headers_before} == headers_before
    assert {t: rows_as_before(archive.db.conn, t, c) for t, c in columns.items()} == before
    report = verify(path)
    assert report.ok, report.problems
    assert report.checked == {"bodies": 5, "header sets": 4, "manifests": 3, "captures": 5, "version texts": 0}

    run_id = archive.start_run("cli")
    archive.record(Capture(variant_id="acme/privacy-policy/us-en", requested_url="https://acme.example.com/us",
                           fetched_at=utcnow(), status=200, headers={"server": "BaseHTTP/0.6 Python/3.11.7"}, body=b"<p>x</p>"),
                   Analysis("blocked", detail="captcha"), run_id)
    archive.end_run(run_id, "finished")
    archive.close()
    report = verify(path)
    assert report.ok, report.problems
    assert report.head["run_id"] == run_id and report.checked["captures"] == 6


def test_runs_ended_before_the_archive_had_a_chain_of_custody_are_sealed_when_it_is_migrated(tmp_path):
    db = sqlite_utils.Database(tmp_path / "archive.db")
    db.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, applied_at TEXT)")
    for number in (1, 2, 3):
        MIGRATIONS[number](db)
        db.execute("INSERT INTO _migrations VALUES (?, '2021-01-01T00:00:00Z')", [number])
    db["documents"].insert({"id": "acme/privacy-policy"})
    db["variants"].insert({"id": VARIANT.id, "document_id": "acme/privacy-policy"})
    db["runs"].insert({"id": 1, "started_at": "2021-01-01T00:00:00Z", "ended_at": "2021-01-01T00:01:00Z", "status": "finished"})
    db["captures"].insert({"variant_id": VARIANT.id, "run_id": 1, "fetched_at": "2021-01-01T00:00:30Z", "outcome": "network-error"})
    db.conn.commit()
    db.conn.close()

    Archive(tmp_path / "archive.db").close()

    report = verify(tmp_path / "archive.db")
    assert report.ok, report.problems
    assert report.checked["manifests"] == 1 and report.checked["captures"] == 1


def archive_before_migration_11(tmp_path):
    """An archive written by policyarchive before migration 11 (tests/archives/): the import of three
    real versions of TikTok's US policy (realdata/ota-vlopses-us-versions, 2026-02-06, 2026-02-10 and
    2026-07-01). The first two differ only in Markdown (links added around words, link targets
    shortened), so the old key made them two versions and a change of +0/-0 words; the third has new words."""
    path = tmp_path / "archive.db"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "archives" / "made-before-migration-11.db.gz").read_bytes()))
    return path


def test_migration_11_keeps_every_version_and_recomputes_keys_from_the_visible_words(tmp_path):
    path = archive_before_migration_11(tmp_path)
    with closing(sqlite3.connect(path)) as conn:
        before = conn.execute("select id, text, first_seen, last_seen, capture_id, words from versions order by id").fetchall()
    assert len(before) == 3

    archive = Archive(path)
    after = archive.db.execute("select id, text, first_seen, last_seen, capture_id, words from versions order by id").fetchall()
    keys = [r[0] for r in archive.db.execute("select text_sha256 from versions order by id")]
    archive.close()

    assert after == before
    assert keys == [sha256(comparable(text)) for _, text, *_ in before]
    assert keys[0] == keys[1] != keys[2]


def test_migration_11_points_a_version_with_the_same_visible_words_to_the_earlier_one(tmp_path):
    archive = Archive(archive_before_migration_11(tmp_path))
    same = dict(archive.db.execute("select id, same_words_as from versions").fetchall())
    archive.close()
    assert same == {1: None, 2: 1, 3: None}


def test_migration_11_marks_a_change_of_markup_only_as_not_visible_and_leaves_it_out_of_current_history(tmp_path):
    path = archive_before_migration_11(tmp_path)
    Archive(path).close()
    changes = rows(path, "select from_version_id, to_version_id, visible from changes order by id")
    assert changes == [{"from_version_id": 1, "to_version_id": 2, "visible": 0}, {"from_version_id": 2, "to_version_id": 3, "visible": 1}]
    assert [(c["from_version_id"], c["to_version_id"]) for c in rows(path, "select * from changes_browse")] == [(2, 3)]


def test_after_migration_11_the_words_of_a_merged_version_return_to_the_earliest_of_them(tmp_path):
    archive = Archive(archive_before_migration_11(tmp_path))
    [first] = archive.db.execute("select text from versions where id = 1").fetchone()
    us = {"variant_id": "tiktok/privacy-policy/us-en", "requested_url": None, "body": b"saved"}
    recorded = archive.record(Capture(fetched_at="2026-07-20T00:00:00Z", **us), Analysis("ok", first))
    link = "[cookies](https://www.tiktok.com/legal/page/us/privacy-policy/en#cookies)"
    assert link in first
    again = archive.record(Capture(fetched_at="2026-07-21T00:00:00Z", **us), Analysis("ok", first.replace(link, "cookies")))
    [change] = archive.db.execute("select from_version_id, visible, is_return from changes where id = ?", [recorded.change_id]).fetchall()
    archive.close()
    assert (recorded.outcome, recorded.version_id, change) == ("changed", 1, (3, 1, 1))
    assert (again.outcome, again.version_id) == ("unchanged", 1)


def _open_at(path, barrier, failures):
    barrier.wait(30)
    try:
        Archive(path).close()
    except Exception as exc:  # reported to the test, which names it
        failures.put(traceback.format_exc())


@pytest.mark.parametrize("round_", range(4))
def test_first_opens_of_a_new_archive_at_once_all_succeed(tmp_path, round_):
    context = multiprocessing.get_context("fork")
    barrier, failures = context.Barrier(3), context.Queue()
    openers = [context.Process(target=_open_at, args=(tmp_path / "a.db", barrier, failures)) for _ in range(3)]
    for p in openers:
        p.start()
    for p in openers:
        p.join(60)
    found = [failures.get(timeout=5) for _ in range(failures.qsize())]
    assert found == [] and [p.exitcode for p in openers] == [0, 0, 0], "\n".join(found)
    applied = sqlite3.connect(tmp_path / "a.db").execute("select id from _migrations order by id").fetchall()
    assert [n for (n,) in applied] == sorted(MIGRATIONS)


def test_a_redeclared_variant_is_mirrored_and_its_rules_date_moves_only_with_its_rules(archive):
    import dataclasses

    archive.db.execute("update variants set rules_changed_at = '2020-01-01T00:00:00Z'")
    moved = dataclasses.replace(VARIANT, url="https://acme.example.com/privacy")
    archive.sync_catalog(dataclasses.replace(CATALOG, services=(dataclasses.replace(
        CATALOG.services[0], documents=(dataclasses.replace(CATALOG.services[0].documents[0], variants=(moved,)),)),)))
    [after_move] = rows(archive.path, "select * from variants")
    reselected = dataclasses.replace(moved, rules=Rules(select=(Selector(css="main"),)))
    archive.sync_catalog(dataclasses.replace(CATALOG, services=(dataclasses.replace(
        CATALOG.services[0], documents=(dataclasses.replace(CATALOG.services[0].documents[0], variants=(reselected,)),)),)))
    [after_rules] = rows(archive.path, "select * from variants")

    assert after_move["url"] == "https://acme.example.com/privacy" and after_move["rules_changed_at"] == "2020-01-01T00:00:00Z"
    assert after_rules["rules_sha256"] != after_move["rules_sha256"] and after_rules["rules_changed_at"] > "2020-01-01T00:00:00Z"


def test_migration_18_flags_the_short_versions_an_archive_already_holds(tmp_path):
    archive = Archive(tmp_path / "archive.db")
    archive.sync_catalog(CATALOG)
    archive.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", " ".join(["word"] * 40)))
    archive.record(capture("2021-01-02T00:00:00Z"), Analysis("ok", " ".join(["word"] * 100)))
    archive.close()
    with closing(sqlite3.connect(tmp_path / "archive.db")) as conn, conn:  # the archive as it was before migration 18
        conn.execute("ALTER TABLE captures DROP COLUMN cut_short")
        conn.execute("DELETE FROM _migrations WHERE id = 18")

    Archive(tmp_path / "archive.db").close()

    flags = rows(tmp_path / "archive.db", "select cut_short, outcome from captures order by fetched_at")
    assert flags[0]["cut_short"].startswith("cut short? 40 words where a later version, seen 2021-01-02T00:00:00Z, has 100")
    assert [f["outcome"] for f in flags] == ["new", "changed"] and flags[1]["cut_short"] is None
