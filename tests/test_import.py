"""Importing saved captures (WARC, HTML and Markdown files) through the same pipeline as a crawl."""

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, windows-1252 as browsers decode it)
import os
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from helpers import LOREM, policy_page, policyarchive, rows, write_declaration, write_warc

URL, EEA_URL = "https://acme.example.com/privacy", "https://acme.example.com/eea/privacy"
US, EEA = "acme/privacy-policy/us-en", "acme/privacy-policy/eea-en"


def declare(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": URL, "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": EEA_URL, "select": ["article.policy"]},
    ])
    return tmp_path / "policies"


def import_(tmp_path, *paths, variant=US):
    return policyarchive("import", *map(str, paths), "--variant", variant, "--db", str(tmp_path / "a.db"),
                         "--policies", str(tmp_path / "policies"))


def test_a_warc_import_versions_its_responses_in_time_order(tmp_path):
    policies = declare(tmp_path)
    write_warc(tmp_path / "caps.warc.gz", [
        (URL, "2021-06-03T00:00:00Z", 200, policy_page(LOREM, "We may collect faceprints.")),
        (URL, "2021-06-01T00:00:00Z", 200, policy_page(LOREM)),
        (URL, "2021-06-02T00:00:00Z", 503, b"unavailable"),
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
    assert result.returncode == 1 and "no variant named 'acme/privacy-policy/xx-en'" in result.stderr


def test_a_saved_file_is_recorded_with_no_url_and_no_region_language_egress_or_renderer(tmp_path):
    declare(tmp_path)
    (tmp_path / "2020-08-12T14-41-08+02-00.html").write_bytes(policy_page(LOREM))
    assert import_(tmp_path, tmp_path / "2020-08-12T14-41-08+02-00.html").returncode == 0

    [capture] = rows(tmp_path / "a.db",
                     "select requested_url, final_url, region, language, proxy, renderer, source from captures")
    assert capture == {"requested_url": None, "final_url": None, "region": None, "language": None, "proxy": None,
                       "renderer": None, "source": "import:2020-08-12T14-41-08+02-00.html"}


def test_a_warc_from_another_tool_gives_the_variant_only_the_records_of_its_url_and_names_the_others(tmp_path):
    declare(tmp_path)
    write_warc(tmp_path / "site.warc", [
        ("https://ACME.example.com:443/privacy", "2021-06-01T00:00:00Z", 200, policy_page(LOREM)),
        (EEA_URL, "2021-06-02T00:00:00Z", 200, policy_page(LOREM, "Our lead supervisory authority is in Ireland.")),
    ])
    result = import_(tmp_path, tmp_path / "site.warc")
    assert result.returncode == 0, result.stderr

    assert rows(tmp_path / "a.db", "select outcome, requested_url, final_url, region from captures") == [
        {"outcome": "new", "requested_url": "https://ACME.example.com:443/privacy",
         "final_url": "https://ACME.example.com:443/privacy", "region": None}]
    said = f"skipped 1 record of other URLs: {EEA_URL} (1)"
    assert said in result.stderr
    assert rows(tmp_path / "a.db", "select detail from runs") == [{"detail": said}]


def test_a_warc_record_whose_metadata_names_a_variant_goes_to_that_variant_whatever_its_url(tmp_path):
    declare(tmp_path)
    write_warc(tmp_path / "export.warc.gz", [
        (f"{URL}?lang=en", "2021-06-01T00:00:00Z", 200, policy_page(LOREM), US),
        (URL, "2021-06-02T00:00:00Z", 200, policy_page(LOREM, "Our lead supervisory authority is in Ireland."), EEA),
    ])
    result = import_(tmp_path, tmp_path / "export.warc.gz")
    assert result.returncode == 0, result.stderr

    assert rows(tmp_path / "a.db", "select variant_id, requested_url from captures") == [
        {"variant_id": US, "requested_url": f"{URL}?lang=en"}]
    assert f"skipped 1 record of other variants: {EEA} (1)" in result.stderr


def test_a_warc_with_no_record_of_the_variant_is_refused_naming_what_it_holds(tmp_path):
    declare(tmp_path)
    write_warc(tmp_path / "eea.warc", [(EEA_URL, "2021-06-01T00:00:00Z", 200, policy_page(LOREM), EEA)])
    (tmp_path / "2021-06-02T00-00-00+00-00.html").write_bytes(policy_page(LOREM))
    result = import_(tmp_path, tmp_path / "2021-06-02T00-00-00+00-00.html", tmp_path / "eea.warc")

    assert result.returncode == 1
    assert f"eea.warc: no record of {US} (declared URL {URL}); skipped 1 record of other variants: {EEA} (1)" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_importing_the_same_files_again_adds_no_capture_and_says_so(tmp_path):
    declare(tmp_path)
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "2021-06-01T10-00-00+00-00.html").write_bytes(policy_page(LOREM))
    (folder / "2021-06-02T10-00-00+00-00.html").write_bytes(policy_page(LOREM, "We may collect voiceprints."))
    assert import_(tmp_path, folder).returncode == 0

    again = import_(tmp_path, folder, folder / "2021-06-01T10-00-00+00-00.html")

    assert again.returncode == 0 and "3 captures already in the archive, not imported again" in again.stderr
    assert len(rows(tmp_path / "a.db", "select id from captures")) == 2


FRENCH = ("Nous collectons les informations que vous fournissez lorsque vous créez un compte, comme votre nom, "
          "votre adresse électronique et votre date de naissance, et des informations sur votre utilisation du service.")
CURLY = f"# Policy\n\nWe don’t sell “Platform” data. Café.\n\n{LOREM}\n"


def saved(tmp_path, files: dict[str, bytes]):
    folder = tmp_path / "saved"
    folder.mkdir(exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return folder


def test_an_import_whose_every_capture_failed_exits_3_and_says_why(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.md": FRENCH.encode(), "2021-06-02T10-00-00+00-00.md": FRENCH.encode()})
    result = import_(tmp_path, folder)
    assert result.returncode == 3, result.stderr
    assert "nothing versioned: every one of 2 captures failed (2 wrong-language)" in result.stderr
    assert rows(tmp_path / "a.db", "select exit_code from runs") == [{"exit_code": 3}]


def test_an_import_with_one_readable_capture_exits_0(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.md": FRENCH.encode(), "2021-06-02T10-00-00+00-00.md": CURLY.encode()})
    assert import_(tmp_path, folder).returncode == 0


def test_a_markdown_file_in_mojibake_is_repaired_not_a_new_version(tmp_path):
    declare(tmp_path)
    mojibake = CURLY.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")  # as a browser reads UTF-8 as windows-1252
    assert "â€" in mojibake.decode()
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.md": CURLY.encode(), "2021-06-02T10-00-00+00-00.md": mojibake})
    assert import_(tmp_path, folder).returncode == 0
    assert [r["outcome"] for r in rows(tmp_path / "a.db", "select outcome from captures order by fetched_at")] == ["new", "unchanged"]


def test_a_markdown_file_in_windows_1252_is_read_as_such(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.md": CURLY.encode(), "2021-06-02T10-00-00+00-00.md": CURLY.encode("cp1252")})
    assert import_(tmp_path, folder).returncode == 0
    assert [r["outcome"] for r in rows(tmp_path / "a.db", "select outcome from captures order by fetched_at")] == ["new", "unchanged"]


def test_files_of_the_same_second_are_imported_in_name_order_with_a_warning(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T12-00-00+02-00.md": CURLY.encode(),
                              "2021-06-01T10-00-00+00-00.md": f"{CURLY}\nWe may collect voiceprints.\n".encode()})
    result = import_(tmp_path, folder)
    assert result.returncode == 0
    assert ("2 files share the capture time 2021-06-01T10:00:00Z and their names give no fraction of a second: "
            "imported in name order (2021-06-01T10-00-00+00-00.md, 2021-06-01T12-00-00+02-00.md)") in result.stderr
    assert [r["source"] for r in rows(tmp_path / "a.db", "select source from captures order by id")] == [
        "import:2021-06-01T10-00-00+00-00.md", "import:2021-06-01T12-00-00+02-00.md"]


def test_fractions_of_a_second_in_names_order_files_without_a_warning(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00.2+00-00.md": CURLY.encode(),
                              "2021-06-01T10-00-00.10+00-00.md": f"{CURLY}\nWe may collect voiceprints.\n".encode()})
    result = import_(tmp_path, folder)
    assert result.returncode == 0 and "share the capture time" not in result.stderr
    assert [r["source"] for r in rows(tmp_path / "a.db", "select source from captures order by id")] == [
        "import:2021-06-01T10-00-00.10+00-00.md", "import:2021-06-01T10-00-00.2+00-00.md"]


def test_a_return_within_the_same_second_is_recognised(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.md": CURLY.encode(),
                              "2021-06-01T11-00-00+01-00.md": f"{CURLY}\nWe may collect voiceprints.\n".encode(),
                              "2021-06-01T12-00-00+02-00.md": CURLY.encode()})
    assert import_(tmp_path, folder).returncode == 0
    assert [r["is_return"] for r in rows(tmp_path / "a.db", "select is_return from changes order by id")] == [0, 1]


def test_a_variant_that_mixes_extraction_sources_is_warned(tmp_path):
    declare(tmp_path)
    folder = saved(tmp_path, {"2021-06-01T10-00-00+00-00.html": policy_page(LOREM), "2021-06-02T10-00-00+00-00.md": f"# Privacy Policy\n\n{LOREM}\n".encode()})
    result = import_(tmp_path, folder)
    assert result.returncode == 0
    said = (f"{US} mixes extraction sources: 1 capture of text extracted by another tool (Markdown), 1 of pages extracted here; "
            "a change where the source switches may be the extractors' difference, not a new wording")
    assert said in result.stderr
    assert said in rows(tmp_path / "a.db", "select detail from runs")[0]["detail"]


def refused(tmp_path, result, says):
    assert result.returncode == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "a.db").exists()


def test_a_file_dated_in_the_future_is_refused_and_nothing_imported(tmp_path):
    declare(tmp_path)
    (tmp_path / "2021-06-01T00-00-00Z.html").write_bytes(policy_page(LOREM))
    (tmp_path / "2099-01-01T00-00-00Z.html").write_bytes(policy_page(LOREM, "From the future."))
    result = import_(tmp_path, tmp_path / "2021-06-01T00-00-00Z.html", tmp_path / "2099-01-01T00-00-00Z.html")
    refused(tmp_path, result, "2099-01-01T00-00-00Z.html: dated 2099-01-01T00:00:00Z, after the time of the import")


def test_a_warc_record_dated_in_the_future_is_refused(tmp_path):
    declare(tmp_path)
    write_warc(tmp_path / "x.warc", [(URL, "2099-06-01T00:00:00Z", 200, policy_page(LOREM))])
    refused(tmp_path, import_(tmp_path, tmp_path / "x.warc"), "dated 2099-06-01T00:00:00Z, after the time of the import")


def test_a_name_with_an_impossible_time_is_refused_with_its_name(tmp_path):
    declare(tmp_path)
    (tmp_path / "2021-13-45T10-00-00Z.html").write_bytes(policy_page(LOREM))
    refused(tmp_path, import_(tmp_path, tmp_path / "2021-13-45T10-00-00Z.html"),
            "2021-13-45T10-00-00Z.html: 2021-13-45T10:00:00 is not a valid time")


def warc_with(tmp_path, change) -> Path:
    """A WARC of one response record of the variant, altered by ``change(record)`` before it is written."""
    path = tmp_path / "x.warc"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(URL, "response", payload=BytesIO(policy_page(LOREM)), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": "2021-06-01T00:00:00Z"})
        change(record)
        writer.write_record(record)
    return path


def test_a_warc_record_without_a_date_is_refused_naming_it(tmp_path):
    declare(tmp_path)
    path = warc_with(tmp_path, lambda r: r.rec_headers.remove_header("WARC-Date"))
    refused(tmp_path, import_(tmp_path, path), "x.warc: record <urn:uuid:")
    assert "has no valid WARC-Date" in import_(tmp_path, path).stderr


def test_a_warc_record_whose_status_is_not_a_number_is_refused_naming_it(tmp_path):
    declare(tmp_path)
    path = warc_with(tmp_path, lambda r: setattr(r.http_headers, "statusline", "abc OK"))
    refused(tmp_path, import_(tmp_path, path), "has no valid HTTP status ('abc')")


def test_a_warc_record_whose_bytes_do_not_match_its_digests_is_refused(tmp_path):
    declare(tmp_path)
    path = write_warc(tmp_path / "x.warc", [(URL, "2021-06-01T00:00:00Z", 200, policy_page(LOREM))])
    path.write_bytes(path.read_bytes().replace(b"We collect", b"We COLLECT"))
    refused(tmp_path, import_(tmp_path, path), "payload digest failed")


def test_a_warc_cut_short_is_refused_saying_how_far_it_was_read(tmp_path):
    declare(tmp_path)
    whole = write_warc(tmp_path / "whole.warc.gz", [(URL, f"2021-06-0{day}T00:00:00Z", 200, policy_page(LOREM, f"Day {day}."))
                                                      for day in range(1, 6)])
    (tmp_path / "cut.warc.gz").write_bytes(whole.read_bytes()[:len(whole.read_bytes()) * 2 // 3])
    refused(tmp_path, import_(tmp_path, tmp_path / "cut.warc.gz"), "cut.warc.gz: cut short or damaged after")


def test_a_latin_1_markdown_file_is_imported(tmp_path):
    declare(tmp_path)
    text = f"# Privacy Policy\n\n{LOREM} We keep your data in the café's systems for as long as your account is open."
    (tmp_path / "2021-06-01T00-00-00Z.md").write_bytes(text.encode("latin-1"))
    result = import_(tmp_path, tmp_path / "2021-06-01T00-00-00Z.md")
    assert result.returncode == 0, result.stderr
    assert "café's systems" in rows(tmp_path / "a.db", "select text from versions")[0]["text"]


def test_an_xhtml_file_is_imported(tmp_path):
    declare(tmp_path)
    (tmp_path / "2021-06-01T00-00-00Z.html").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><article class="policy">'
        + f"<h1>Privacy Policy</h1><p>{LOREM}</p></article></body></html>".encode())
    result = import_(tmp_path, tmp_path / "2021-06-01T00-00-00Z.html")
    assert result.returncode == 0, result.stderr
    assert [r["outcome"] for r in rows(tmp_path / "a.db", "select outcome from captures")] == ["new"]


def test_a_file_name_that_is_not_utf_8_is_imported_and_named_readably(tmp_path):
    declare(tmp_path)
    name = os.fsdecode(b"2021-06-01T00-00-00Z-caf\xe9.html")
    (tmp_path / name).write_bytes(policy_page(LOREM))
    result = import_(tmp_path, tmp_path / name)
    assert result.returncode == 0, result.stderr
    [capture] = rows(tmp_path / "a.db", "select outcome, source from captures")
    assert capture == {"outcome": "new", "source": "import:2021-06-01T00-00-00Z-caf\\xe9.html"}
    assert rows(tmp_path / "a.db", "select status from runs") == [{"status": "finished"}]


def test_a_file_named_warc_that_is_none_is_refused_in_one_short_printable_line(tmp_path):
    declare(tmp_path)
    (tmp_path / "x.warc").write_bytes(b"\x1b[2J\x1b]0;pwned\x07" + b"\xe9" * 5000 + b"\n")
    result = import_(tmp_path, tmp_path / "x.warc")
    refused(tmp_path, result, "x.warc: cut short or damaged (ArchiveLoadFailed: Unknown archive format")
    [line, last] = result.stderr.splitlines()
    assert len(line) < 300 and line.isprintable() and last == "nothing was imported."


@pytest.mark.parametrize("inside", [[], ["snapshots/2021-06-01T00-00-00Z.html"]], ids=["empty", "files-in-a-subfolder"])
def test_a_folder_with_no_file_to_import_is_refused_naming_its_subfolders(tmp_path, inside):
    declare(tmp_path)
    (tmp_path / "saved").mkdir()
    for name in inside:
        (tmp_path / "saved" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "saved" / name).write_bytes(policy_page(LOREM))
    said = "saved: no file to import" + (" (subfolders are not read: snapshots)" if inside else "")
    refused(tmp_path, import_(tmp_path, tmp_path / "saved"), said)
