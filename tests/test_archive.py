"""The archive's rules, through the same record() a crawl and an import use."""

import sqlite3

import pytest

from crawler.archive import Archive
from crawler.catalog import Catalog, Document, Service, Variant
from crawler.classify import Analysis
from crawler.items import Capture

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


def test_the_schema_is_migrated_once_and_reopening_keeps_everything(tmp_path):
    a = Archive(tmp_path / "archive.db")
    a.sync_catalog(CATALOG)
    a.record(capture("2021-01-01T00:00:00Z"), Analysis("ok", "Text A"))
    a.close()
    b = Archive(tmp_path / "archive.db")
    assert b.db["versions"].count == 1
    from crawler.archive import MIGRATIONS

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
    from crawler.publish import datasette_app

    archive.record(capture("2025-01-01T00:00:00Z"), Analysis("ok", "Text C " * 40))
    archive.record(capture("2019-01-01T00:00:00Z"), Analysis("ok", "Text A " * 40))
    archive.record(capture("2020-01-01T00:00:00Z"), Analysis("ok", "Text B " * 40))
    app = datasette_app(archive.path)

    recent = (await app.client.get("/archive/recent_changes.json?_shape=array")).json()
    assert [r["detected_at"][:4] for r in recent] == ["2025", "2020"]
    browse = (await app.client.get("/archive/changes_browse.json?_shape=array")).json()
    assert len(browse) == 2
