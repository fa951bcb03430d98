"""PDF documents: captured as bytes, their text extracted page by page, versioned and diffed like HTML."""

import hashlib

import pytest

from helpers import LOREM, Route, crawl, policy_pdf, rows, write_declaration
from crawler.text.pdf import is_pdf, pdf_text
from crawler.web.publish import datasette_app

PDF = {"Content-Type": "application/pdf"}
CLAUSE = "We may share your precise location with advertising partners for measurement purposes."
RETENTION = "We keep your data for as long as your account is active and for ninety days after it is deleted."


def pdf_variant(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/privacy.pdf")}])
    return tmp_path / "archive.db", tmp_path / "policies"


def test_a_pdf_whose_second_edition_adds_a_clause_gives_one_change_with_that_clause(tmp_path, site):
    db, policies = pdf_variant(tmp_path, site)
    site.set("/privacy.pdf", Route(body=policy_pdf([LOREM], [RETENTION]), headers=PDF))
    crawl(db, policies)
    site.set("/privacy.pdf", Route(body=policy_pdf([LOREM, CLAUSE], [RETENTION]), headers=PDF))
    crawl(db, policies)

    assert [r["outcome"] for r in rows(db, "select outcome from captures order by id")] == ["new", "changed"]
    [change] = rows(db, "select * from changes")
    assert CLAUSE in change["added_text"]
    assert change["removed_text"] in ("", None)


def test_a_pdfs_bytes_are_kept_and_its_text_keeps_page_numbers(tmp_path, site):
    db, policies = pdf_variant(tmp_path, site)
    body = policy_pdf([LOREM], [RETENTION])
    site.set("/privacy.pdf", Route(body=body, headers=PDF))
    crawl(db, policies)

    [capture] = rows(db, "select body_sha256, body_size from captures")
    assert capture["body_size"] == len(body)
    [version] = rows(db, "select text from versions")
    assert version["text"].index("## Page 1") < version["text"].index(LOREM[:40]) < version["text"].index("## Page 2")
    assert version["text"].index("## Page 2") < version["text"].index(RETENTION[:40])


def test_a_pdf_is_known_by_its_signature_when_no_media_type_says_so():
    assert is_pdf(policy_pdf([LOREM]), None)
    assert is_pdf(b"anything", "application/pdf; charset=binary")
    assert not is_pdf(b"<html>%PDF-</html>", "text/html")


def test_a_paragraph_wrapped_over_lines_is_one_paragraph_and_paragraphs_stay_apart():
    text = pdf_text(policy_pdf([LOREM, RETENTION]))
    assert f"{LOREM}\n\n{RETENTION}" in text


@pytest.mark.asyncio
async def test_the_version_page_of_a_pdf_links_the_pdf_as_a_download(tmp_path, site):
    db, policies = pdf_variant(tmp_path, site)
    body = policy_pdf([LOREM], [RETENTION])
    site.set("/privacy.pdf", Route(body=body, headers=PDF))
    crawl(db, policies)
    [version] = rows(db, "select id, capture_id from versions")
    client = datasette_app(db).client

    page = await client.get(f"/-/version/{version['id']}")
    assert page.status_code == 200
    assert f'href="/-/capture/{version["capture_id"]}/body" download>download the PDF</a>' in page.text
    download = await client.get(f"/-/capture/{version['capture_id']}/body")
    assert download.headers["content-disposition"].endswith('.pdf"')
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(body).hexdigest()
