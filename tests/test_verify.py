"""`policyarchive verify`: bodies re-hashed, the chain of custody checked, exports checked; tampering named."""

import json
import shutil
import sqlite3
import zlib

import pytest

from crawler.archive.compression import CODEC, pack, unpack
from helpers import LOREM, policy_page, policyarchive, rows, two_region_archive, write_declaration

VARIANT = "acme/privacy-policy/us-en"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """An archive of two import runs: two captures of one text, then a third with a change."""
    tmp = tmp_path_factory.mktemp("verify")
    write_declaration(tmp / "policies", "Acme", [
        {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", "select": ["article.policy"]},
    ])
    pages = {
        "first": {"2021-06-01T10-00-00+00-00.html": policy_page(LOREM, noise="a"),
                  "2021-06-02T10-00-00+00-00.html": policy_page(LOREM, noise="b")},
        "second": {"2021-06-03T10-00-00+00-00.html": policy_page(LOREM, "We may collect faceprints.", noise="c")},
    }
    for run, files in pages.items():
        (tmp / run).mkdir()
        for name, body in files.items():
            (tmp / run / name).write_bytes(body)
        result = policyarchive("import", str(tmp / run), "--variant", VARIANT, "--db", str(tmp / "archive.db"),
                               "--policies", str(tmp / "policies"))
        assert result.returncode == 0, result.stderr
    return tmp / "archive.db"


@pytest.fixture
def db(clean, tmp_path):
    shutil.copy(clean, tmp_path / "archive.db")
    return tmp_path / "archive.db"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """An archive of one crawl of two pages, each served with its own headers (two header sets)."""
    return two_region_archive(tmp_path_factory.mktemp("crawled"), policy_page(LOREM))


@pytest.fixture
def crawled_db(crawled, tmp_path):
    shutil.copy(crawled, tmp_path / "archive.db")
    return tmp_path / "archive.db"


def verify(db, *args):
    return policyarchive("verify", "--db", str(db), *args)


def tamper(db, sql, params=()):
    """Write to the archive behind its back, as someone altering the evidence would."""
    conn = sqlite3.connect(db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_a_clean_archive_verifies_and_the_chain_head_is_printed(db):
    result = verify(db)
    assert result.returncode == 0, result.stderr
    [head] = rows(db, "select id, run_id, sha256 from manifests order by id desc limit 1")
    assert result.stdout.strip() == (f"verified: 3 bodies, 0 header sets, 2 manifests, 3 captures, 2 version texts; chain head manifest {head['id']} "
                                     f"(run {head['run_id']}) {head['sha256']}")


@pytest.mark.parametrize("where", ["bytes", "compressed bytes"])
def test_one_flipped_byte_of_a_stored_body_fails_naming_the_body_and_its_capture(db, where):
    [body] = rows(db, "select sha256, content from bodies where sha256 = (select body_sha256 from captures where id = 2)")
    raw = bytearray(unpack(CODEC, body["content"]) if where == "bytes" else body["content"])
    raw[len(raw) // 2] ^= 0x01
    stored = pack(bytes(raw)) if where == "bytes" else bytes(raw)
    tamper(db, "update bodies set content = ? where sha256 = ?", [stored, body["sha256"]])

    result = verify(db)
    assert result.returncode == 1
    assert f"FAILED: body {body['sha256']} (captures 2): stored bytes" in result.stderr
    assert "the body was altered" in result.stderr
    assert "verify: 1 problem;" in result.stderr


def test_a_deleted_capture_fails_naming_the_capture(db):
    tamper(db, "delete from captures where id = 2")

    result = verify(db)
    assert result.returncode == 1
    assert ("FAILED: capture 2 (acme/privacy-policy/us-en, 2021-06-02T10:00:00.000000Z): listed in manifest 1 (run 1) "
            "but missing from captures: the capture was deleted") in result.stderr


def test_a_backdated_capture_fails_naming_what_changed(db):
    tamper(db, "update captures set fetched_at = '2020-01-01T00:00:00.000000Z' where id = 3")

    result = verify(db)
    assert result.returncode == 1
    assert ("capture 3: fetched_at is '2020-01-01T00:00:00.000000Z' but manifest 2 (run 2) recorded "
            "'2021-06-03T10:00:00.000000Z': the capture was altered") in result.stderr


def test_a_removed_manifest_breaks_the_chain(db):
    tamper(db, "delete from manifests where id = 1")

    result = verify(db)
    assert result.returncode == 1
    assert "manifest 2 (run 2): names " in result.stderr and "the chain is broken" in result.stderr
    assert "run 1 ended at" in result.stderr and "has no manifest" in result.stderr


def test_a_head_noted_earlier_must_still_be_in_the_chain(db):
    [first] = rows(db, "select sha256 from manifests where id = 1")
    assert verify(db, "--head", first["sha256"]).returncode == 0

    result = verify(db, "--head", "f" * 64)
    assert result.returncode == 1 and f"no manifest has the hash {'f' * 64}" in result.stderr


@pytest.mark.parametrize("shorten", [lambda h: h[:8], lambda h: h[:12] + "…", lambda h: h[:20].upper()],
                         ids=["first 8 characters", "as verify prints a hash shortened", "upper case"])
def test_a_head_noted_in_short_is_found_and_named_in_full(db, shorten):
    [first] = rows(db, "select sha256 from manifests where id = 1")
    noted = shorten(first["sha256"])

    result = verify(db, "--head", noted)
    assert result.returncode == 0, result.stderr
    assert f"--head {noted} is manifest 1 (run 1) {first['sha256']}\n" in result.stdout


@pytest.mark.parametrize("head", ["zz12ab34cd", "5be1", "3f9a...", "1" * 65], ids=["not hex", "shorter than 8", "the help's old placeholder", "longer than a hash"])
def test_a_head_that_cannot_be_a_hash_is_a_usage_error_not_an_accusation(db, head):
    result = verify(db, "--head", head)
    assert result.returncode == 2
    assert "Invalid value for '--head'" in result.stderr and "give the 64 hex characters, or a prefix of at least 8" in result.stderr
    assert "rewritten" not in result.stderr and "FAILED" not in result.stderr


def test_a_prefix_two_manifests_begin_with_is_a_usage_error_naming_them(db):
    [first] = rows(db, "select sha256 from manifests where id = 1")
    tamper(db, "update manifests set sha256 = ? || substr(sha256, 9) where id = 2", [first["sha256"][:8]])

    result = verify(db, "--head", first["sha256"][:8])
    assert result.returncode == 2
    assert "begins the hash of more than one manifest (manifest 1 " in result.stderr and ", manifest 2 " in result.stderr
    assert "give more of the hash" in result.stderr and "rewritten" not in result.stderr


def test_a_prefix_no_manifest_begins_with_fails_saying_it_may_be_mistyped(db):
    hashes = [r["sha256"] for r in rows(db, "select sha256 from manifests")]
    prefix = next(p for p in ("1dec9eb8", "2dec9eb8") if not any(h.startswith(p) for h in hashes))

    result = verify(db, "--head", prefix)
    assert result.returncode == 1
    assert f"FAILED: no manifest's hash begins with {prefix}: the prefix is mistyped, or the chain was rewritten" in result.stderr


def test_an_export_verifies_against_the_archive_until_its_bytes_are_altered(db, tmp_path):
    export = tmp_path / "acme.warc"
    assert policyarchive("export", str(export), "--db", str(db)).returncode == 0
    assert verify(db, "--export", str(export)).returncode == 0

    export.write_bytes(export.read_bytes().replace(b"faceprints", b"Faceprints"))
    result = verify(db, "--export", str(export))
    assert result.returncode == 1
    assert "FAILED: export acme.warc: record" in result.stderr and "(resource)" in result.stderr
    assert "export acme.warc: capture 3: exported bytes hash to" in result.stderr


def test_an_altered_response_header_fails_naming_the_header_set_and_its_capture(crawled_db):
    [capture] = rows(crawled_db, "select c.id, h.sha256 from captures c join header_sets h on h.id = c.headers_id limit 1")
    tamper(crawled_db, "update header_sets set headers = replace(headers, 'text/html', 'text/plain') where sha256 = ?",
           [capture["sha256"]])

    result = verify(crawled_db)
    assert result.returncode == 1
    assert (f"FAILED: header set {capture['sha256']} (captures {capture['id']}): its headers hash to "
            in result.stderr) and "the headers were altered" in result.stderr


def test_a_capture_given_other_headers_or_another_date_fails_naming_what_changed(crawled_db):
    tamper(crawled_db, "update captures set headers_id = (select max(headers_id) from captures) where id = 1")
    tamper(crawled_db, "update captures set http_date = 'Mon, 01 Jan 2001 00:00:00 GMT' where id = 2")

    result = verify(crawled_db)
    assert result.returncode == 1
    assert "capture 1: headers_sha256 is " in result.stderr and "but manifest 1 (run 1) recorded" in result.stderr
    assert "capture 2: http_date is 'Mon, 01 Jan 2001 00:00:00 GMT' but manifest 1 (run 1) recorded" in result.stderr
    assert "verify: 2 problems;" in result.stderr


def test_a_compressed_manifest_rewritten_to_match_altered_captures_fails_naming_it(crawled_db):
    [manifest] = rows(crawled_db, "select manifest from manifests where id = 1")
    [fetched] = rows(crawled_db, "select fetched_at from captures where id = 1")
    rewritten = zlib.decompress(manifest["manifest"]).replace(fetched["fetched_at"].encode(), b"2020-01-01T00:00:00.000000Z")
    tamper(crawled_db, "update manifests set manifest = ? where id = 1", [zlib.compress(rewritten)])
    tamper(crawled_db, "update captures set fetched_at = '2020-01-01T00:00:00.000000Z' where id = 1")

    result = verify(crawled_db)
    assert result.returncode == 1
    assert "FAILED: manifest 1 (run 1): its text hashes to " in result.stderr and "the manifest was altered" in result.stderr


def stored_manifest(db) -> bytes:
    """Manifest 1 as its row holds it: canonical JSON, zlib-compressed."""
    [row] = rows(db, "select manifest from manifests where id = 1")
    return row["manifest"]


def store_manifest(db, stored, compression="zlib"):
    """Put ``stored`` in manifest 1's row, as someone editing the column, or a write cut short, would."""
    tamper(db, "update manifests set manifest = ?, compression = ? where id = 1", [stored, compression])


def assert_named_unreadable(result, why):
    """Manifest 1 is named with why it cannot be read, manifest 2 is still checked (run 2's one capture
    is counted and nothing else is found), and the user sees findings, not a traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1
    assert f"FAILED: manifest 1 (run 1): unreadable, {why}" in result.stderr
    assert "the manifest was altered, so the captures of run 1 were not checked against it" in result.stderr
    assert "verify: 1 problem; checked 3 bodies, 0 header sets, 2 manifests, 1 capture, 1 version text\n" in result.stderr


@pytest.mark.parametrize("compression", ["zlib", None], ids=["compressed", "text as sealed before migration 8"])
def test_a_manifest_whose_json_is_cut_short_is_named_unreadable_and_the_next_is_still_checked(db, compression):
    text = zlib.decompress(stored_manifest(db))
    cut = text[: len(text) // 2]
    store_manifest(db, zlib.compress(cut) if compression else cut.decode(), compression)

    assert_named_unreadable(verify(db), "its text is not JSON (")


@pytest.mark.parametrize("remove, why", [
    (lambda manifest: manifest.pop("previous"), "it has no 'previous'"),
    (lambda manifest: manifest.pop("captures"), "it has no 'captures'"),
    (lambda manifest: manifest["captures"].pop("id"), "capture #1 in it has no integer 'id'"),
], ids=["previous", "captures", "the captures' ids"])
def test_a_manifest_missing_a_key_is_named_unreadable_and_the_next_is_still_checked(db, remove, why):
    manifest = json.loads(zlib.decompress(stored_manifest(db)))
    remove(manifest)
    store_manifest(db, zlib.compress(json.dumps(manifest).encode()))

    assert_named_unreadable(verify(db), why)


@pytest.mark.parametrize("garble, why", [
    (lambda blob: b"not zlib" + blob, "its stored bytes do not decompress (Error -3 "),
    (lambda blob: blob[: len(blob) // 2], "its stored bytes do not decompress (Error -5 "),
    (lambda blob: zlib.decompress(blob).decode(), "its stored bytes do not decompress (a bytes-like object is required"),
    (lambda blob: zlib.compress(b"\xff" + zlib.decompress(blob)), "it decompresses to bytes that are not UTF-8 ("),
], ids=["not a zlib stream", "a truncated zlib stream", "text in place of the blob", "not UTF-8 once decompressed"])
def test_a_compressed_manifest_that_does_not_decompress_to_text_is_named_unreadable(db, garble, why):
    store_manifest(db, garble(stored_manifest(db)))

    assert_named_unreadable(verify(db), why)


@pytest.mark.parametrize("compression", ["zlib", None], ids=["compressed", "text as sealed before migration 8"])
def test_an_emptied_manifest_is_named_unreadable(db, compression):
    store_manifest(db, None, compression)

    assert_named_unreadable(verify(db), "its manifest column is empty (NULL)")


def test_an_edited_version_text_is_named_by_verify(db):
    tamper(db, "update versions set text = replace(text, 'We collect', 'We never collect')")
    result = verify(db)
    assert result.returncode == 1
    assert "version 1 (acme/privacy-policy/us-en, first seen 2021-06-01T10:00:00.000000Z): its text hashes to" in result.stderr
    assert "but manifest 1 (run 1) sealed" in result.stderr and "the text was altered" in result.stderr
    assert "version 2 (" in result.stderr


def test_a_version_text_sealed_by_the_manifest_verifies(db):
    [manifest] = [json.loads(zlib.decompress(m["manifest"])) for m in rows(db, "select manifest from manifests where id = 1")]
    assert manifest["format"] == "policyarchive-manifest/5"
    assert manifest["versions"]["id"] == [1]
    assert verify(db).returncode == 0


def corrupt_page(db, table):
    """Overwrite the first page of ``table`` (a table or an index) with garbage, as a failing disk would."""
    [(page,)] = sqlite3.connect(db).execute("select pageno from dbstat where name = ? order by pageno limit 1", [table]).fetchall()
    size = sqlite3.connect(db).execute("pragma page_size").fetchone()[0]
    with open(db, "r+b") as f:
        f.seek((page - 1) * size + 8)
        f.write(b"\xa5" * (size - 8))


@pytest.mark.parametrize("table", ["sqlite_autoindex_bodies_1", "captures", "manifests"])
def test_a_corrupted_page_is_a_finding_not_a_traceback(db, table):
    sqlite3.connect(db).execute("pragma wal_checkpoint(truncate)").close()
    corrupt_page(db, table)
    result = verify(db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the archive file is damaged" in result.stderr, result.stderr


@pytest.mark.parametrize("command, table", [(["status"], "captures"), (["export", "{tmp}/x.warc"], "captures"),
                                            (["export", "{tmp}/x.warc"], "manifests")])
def test_reading_commands_name_a_damaged_archive_instead_of_a_traceback(db, tmp_path, table, command):
    sqlite3.connect(db).execute("pragma wal_checkpoint(truncate)").close()
    corrupt_page(db, table)
    result = policyarchive(*[a.format(tmp=tmp_path) for a in command], "--db", str(db), "--policies", str(db.parent))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{db}: cannot be read (database disk image is malformed): the archive file is damaged; " \
           "policyarchive verify names what" in result.stderr
