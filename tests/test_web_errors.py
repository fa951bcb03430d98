"""What the reporters' pages answer to requests they cannot serve: odd search syntax, ids out of any
range, dates before the archive: a 400 or a 404 that says why, never a server error."""

import pytest

from helpers import LOREM, policy_page, policyarchive, write_declaration
from crawler.web.publish import datasette_app

VARIANT = "acme/privacy-policy/us-en"
HUGE = 10 ** 23


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-errors")
    write_declaration(tmp / "policies", "Acme", [
        {"region": "US", "language": "en", "url": "https://acme.example.com/us", "select": ["article.policy"]},
        {"region": "EEA", "language": "en", "url": "https://acme.example.com/eea", "select": ["article.policy"]}])
    (tmp / "files").mkdir()
    (tmp / "files" / "2021-06-01T10-00-00+00-00.html").write_bytes(policy_page(LOREM))
    for variant in (VARIANT, "acme/privacy-policy/eea-en"):
        result = policyarchive("import", str(tmp / "files"), "--variant", variant, "--db", str(tmp / "archive.db"),
                               "--policies", str(tmp / "policies"))
        assert result.returncode == 0, result.stderr
    return tmp / "archive.db"


@pytest.mark.asyncio
@pytest.mark.parametrize("path, status", [
    ('/-/search?q="', 400), ('/-/search?q=""', 400), ("/-/search?q=%00", 400),
    (f"/-/version/{HUGE}", 404), (f"/-/capture/{HUGE}/body", 404), (f"/-/diff/{HUGE}/1", 404), (f"/-/diff/1/{HUGE}", 404),
    ("/-/diff?from=-1&to=1", 404), (f"/-/diff?from={HUGE}&to=1", 404),
    ("/-/diff/-1/2", 404), ("/-/diff/a/b", 404), ("/-/diff/1/2/3", 404), ("/-/version/1/x", 404),
    ("/-/version/1/screenshot.gif", 404), ("/-/capture/a/body", 404), ("/-/clause/1/x", 404), ("/-/variant/a/b", 404),
    ("/-/document/a/b/c", 404), ("/-/compare/a/b/c", 404), ("/-/anything/else/here", 404),
    ("/-/compare/acme/privacy-policy?a=acme/privacy-policy/us-en&b=acme/privacy-policy/eea-en&at=not-a-date", 400),
    ("/-/compare/acme/privacy-policy?a=acme/privacy-policy/us-en&b=acme/privacy-policy/eea-en&at=9999-99-99", 400),
])
async def test_a_request_the_pages_cannot_serve_is_answered_with_why_not_a_server_error(archive, path, status):
    response = await datasette_app(archive).client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert "Internal Server Error" not in response.text and len(response.text.strip()) > 0


@pytest.mark.asyncio
@pytest.mark.parametrize("path, says", [
    ("/-/search?q=NEAR(", "NEAR("), ("/-/search?q=collect%20AND", "collect AND"),
    ("/-/compare/acme/privacy-policy?a=acme/privacy-policy/us-en&b=acme/privacy-policy/eea-en&at=0001-01-01T00:00:00",
     "no version captured by then"),
])
async def test_search_syntax_and_dates_before_the_archive_are_read_as_words_and_times(archive, path, says):
    response = await datasette_app(archive).client.get(path)
    assert response.status_code == 200 and says in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/-/version/999999", "/archive/no_such_table", "/archive/no_such_table.json"])
async def test_a_page_not_found_answers_404_without_a_traceback_in_the_log(archive, capfd, path):
    response = await datasette_app(archive).client.get(path)
    printed = "".join(capfd.readouterr())

    assert response.status_code == 404
    assert ("No such version" in response.text) if "version" in path else ("not found" in response.text.lower())
    assert "Traceback" not in printed
