"""Datasette publishes an archive built by the real pipeline: every table browsable, texts searchable."""

import json
import re
import urllib.request
from pathlib import Path

import pytest

from helpers import LOREM, policy_page, serving, two_region_archive
from crawler.web.publish import datasette_app

TABLES = ["documents", "variants", "runs", "captures", "bodies", "capture_headers", "versions", "changes"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two crawls of a two-region site whose US page gains a biometric clause."""
    return two_region_archive(tmp_path_factory.mktemp("archive"), policy_page(LOREM),
                              policy_page(LOREM, "We may collect biometric identifiers such as faceprints and voiceprints."))


async def get(archive, path):
    response = await datasette_app(archive).client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


@pytest.mark.asyncio
async def test_every_table_is_browsable(archive):
    for table in TABLES:
        response = await get(archive, f"/archive/{table}.json?_shape=array")
        assert isinstance(response.json(), list)


@pytest.mark.asyncio
async def test_the_home_page_describes_the_archive(archive):
    response = await get(archive, "/")
    assert "policyarchive" in response.text and "version" in response.text


@pytest.mark.asyncio
async def test_version_texts_are_searchable(archive):
    response = await get(archive, "/archive/versions.json?_search=faceprints&_shape=array")
    [hit] = response.json()
    assert hit["variant_id"] == "acme/privacy-policy/us-en"


@pytest.mark.asyncio
async def test_recent_changes_lists_the_us_change(archive):
    response = await get(archive, "/archive/recent_changes.json?_shape=array")
    [change] = response.json()
    assert change["region"] == "US" and "faceprints" in change["added"]


@pytest.mark.asyncio
async def test_every_canned_query_the_home_page_links_opens_without_an_error(archive):
    """The home page links each query without its parameters: each opens as a form with no rows, never an SQL error."""
    for path in re.findall(r'href="(/archive/[a-z_]+)"', (await get(archive, "/")).text):
        assert "message-error" not in (await get(archive, path)).text, path


@pytest.mark.asyncio
async def test_search_query_gives_highlighted_snippets(archive):
    response = await get(archive, "/archive/search_versions.json?q=supervisory&_shape=array")
    [hit] = response.json()
    assert hit["region"] == "EEA" and "[supervisory]" in hit["snippet"]


@pytest.mark.asyncio
async def test_sql_cannot_write_to_the_archive(archive):
    response = await datasette_app(archive).client.get("/archive.json?sql=delete+from+versions")
    assert response.status_code == 400
    count = await get(archive, "/archive.json?sql=select+count(*)+as+n+from+versions&_shape=array")
    assert count.json() == [{"n": 3}]


def test_serve_starts_a_real_datasette_on_the_archive(archive):
    with serving(archive) as base:
        body = urllib.request.urlopen(f"{base}/archive/changes", timeout=5).read().decode()
    assert "acme/privacy-policy/us-en" in body


def test_serving_an_archive_again_rewrites_its_one_metadata_file(tmp_path):
    from crawler.web.publish import serve_command

    def metadata_path(db):
        command = serve_command(db, "127.0.0.1", 8001)
        return Path(command[command.index("--metadata") + 1])

    first, again, other = metadata_path(tmp_path / "a.db"), metadata_path(tmp_path / "a.db"), metadata_path(tmp_path / "b.db")

    assert first == again != other
    assert "a" in json.loads(first.read_text())["databases"]
