"""Importing saved captures (WARC, HTML and Markdown files) through the same pipeline as a crawl."""

from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from helpers import LOREM, policy_page, policyarchive, rows, write_declaration


def declare(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", "select": ["article.policy"]},
    ])
    return tmp_path / "policies"


def write_warc(path, pages):
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for when, status, body in pages:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record("https://acme.example.com/privacy", "response", payload=BytesIO(body),
                                               http_headers=headers, warc_headers_dict={"WARC-Date": when})
            writer.write_record(record)


def test_a_warc_import_versions_its_responses_in_time_order(tmp_path):
    policies = declare(tmp_path)
    write_warc(tmp_path / "caps.warc.gz", [
        ("2021-06-03T00:00:00Z", 200, policy_page(LOREM, "We may collect faceprints.")),
        ("2021-06-01T00:00:00Z", 200, policy_page(LOREM)),
        ("2021-06-02T00:00:00Z", 503, b"unavailable"),
    ])
    result = policyarchive("import", str(tmp_path / "caps.warc.gz"), "--variant", "acme/privacy-policy/us-en",
                           "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    assert result.returncode == 0, result.stderr

    captures = rows(tmp_path / "a.db", "select fetched_at, outcome, status, source from captures order by id")
    assert [(c["fetched_at"][:10], c["outcome"]) for c in captures] == [("2021-06-01", "new"), ("2021-06-02", "http-error"), ("2021-06-03", "changed")]
    assert captures[0]["source"] == "import:caps.warc.gz"
    [change] = rows(tmp_path / "a.db", "select added_text, detected_at from changes")
    assert "faceprints" in change["added_text"] and change["detected_at"].startswith("2021-06-03")


def test_markdown_files_are_taken_as_extracted_text_at_the_time_in_their_names(tmp_path):
    policies = declare(tmp_path)
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "2021-06-01T10-00-00+02-00.md").write_text(f"# Policy\n\n{LOREM}\n")
    (folder / "2021-06-02T10-00-00+00-00.md").write_text(f"# Policy\n\n{LOREM}\n\nWe may collect voiceprints.\n")
    result = policyarchive("import", str(folder), "--variant", "acme/privacy-policy/us-en",
                           "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    assert result.returncode == 0, result.stderr

    versions = rows(tmp_path / "a.db", "select first_seen, text from versions order by id")
    assert [v["first_seen"] for v in versions] == ["2021-06-01T08:00:00.000000Z", "2021-06-02T10:00:00.000000Z"]
    assert versions[0]["text"] == f"# Policy\n\n{LOREM}"


def test_a_file_without_a_time_in_its_name_is_refused_with_its_name(tmp_path):
    policies = declare(tmp_path)
    (tmp_path / "policy.html").write_bytes(policy_page(LOREM))
    result = policyarchive("import", str(tmp_path / "policy.html"), "--variant", "acme/privacy-policy/us-en",
                           "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    assert result.returncode == 1 and "policy.html: name does not begin with an ISO 8601 time" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_an_unknown_variant_is_refused(tmp_path):
    policies = declare(tmp_path)
    result = policyarchive("import", str(tmp_path), "--variant", "acme/privacy-policy/xx-en",
                           "--db", str(tmp_path / "a.db"), "--policies", str(policies))
    assert result.returncode == 1 and "no variant 'acme/privacy-policy/xx-en'" in result.stderr
