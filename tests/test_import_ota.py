"""Importing an Open Terms Archive versions repository commit by commit (crawler/intake/ota_versions.py)."""

import re
import subprocess

import pytest

from helpers import LOREM, git_history, policyarchive, rows, write_declaration
from crawler.web.publish import datasette_app

US = "acme/privacy-policy/us-en"
DOC = "Acme/Privacy Policy.md"
V1, V2 = f"# Policy\n\n{LOREM}\n".encode(), f"# Policy\n\n{LOREM}\n\nWe may collect faceprints.\n".encode()


def declare(tmp_path):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": "https://acme.example.com/privacy", "ota": "acme-us/Acme/Privacy Policy"},
        {"region": "EEA", "language": "en", "url": "https://acme.example.com/eea/privacy"},
    ])


def import_ota(tmp_path, repo, *args):
    result = policyarchive("import-ota", str(repo), "--collection", "acme-us", *args,
                           "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"))
    assert result.returncode == 0, result.stderr
    return result


def test_versions_are_imported_in_commit_order_dated_by_their_commits(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [
        ("2021-06-01T08:00:00+00:00", "Start tracking Acme Privacy Policy", {DOC: V1}),
        ("2021-06-02T09:30:00+00:00", "Record new changes of Acme Privacy Policy", {DOC: V2}),
    ])
    import_ota(tmp_path, repo)

    captures = rows(tmp_path / "a.db", "select variant_id, fetched_at, outcome, source from captures order by id")
    assert [(c["variant_id"], c["fetched_at"], c["outcome"]) for c in captures] == [
        (US, "2021-06-01T08:00:00.000000Z", "new"), (US, "2021-06-02T09:30:00.000000Z", "changed")]
    [change] = rows(tmp_path / "a.db", "select added_text, visible from changes")
    assert "faceprints" in change["added_text"] and change["visible"] == 1


def test_a_capture_names_the_repository_the_commit_and_the_path(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1})])
    import_ota(tmp_path, repo)

    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    [capture] = rows(tmp_path / "a.db", "select source from captures")
    assert capture["source"] == f"ota:acme-us {repo.resolve()} {head} {DOC}"


def test_a_bare_repository_is_read_from_its_commits(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions.git", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1}),
                                                   ("2021-06-02T08:00:00+00:00", "Record", {DOC: V2})], bare=True)
    import_ota(tmp_path, repo)

    assert rows(tmp_path / "a.db", "select count(*) n from versions")[0]["n"] == 2


def test_a_fetched_at_time_in_the_message_dates_the_version(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [
        ("2021-06-03T00:00:00+00:00", "Record new changes of Acme Privacy Policy\n\nFetched at: 2021-06-01T12:00:00Z", {DOC: V1})])
    import_ota(tmp_path, repo)

    assert rows(tmp_path / "a.db", "select fetched_at from captures")[0]["fetched_at"] == "2021-06-01T12:00:00.000000Z"


def test_importing_the_same_repository_twice_adds_nothing(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1}),
                                               ("2021-06-02T08:00:00+00:00", "Record", {DOC: V2})])
    import_ota(tmp_path, repo)
    second = import_ota(tmp_path, repo)

    assert rows(tmp_path / "a.db", "select count(*) n from captures")[0]["n"] == 2
    assert "0 commits read; nothing new" in second.stdout


def test_one_more_commit_adds_one_capture_and_reads_only_that_commit(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1})])
    import_ota(tmp_path, repo)
    git_history(repo, [("2021-06-02T08:00:00+00:00", "Record new changes", {DOC: V2})])
    second = import_ota(tmp_path, repo)

    assert "1 commit read" in second.stdout
    assert [c["outcome"] for c in rows(tmp_path / "a.db", "select outcome from captures order by id")] == ["new", "changed"]


def test_a_refilter_that_changes_the_text_is_kept_as_a_change_that_is_not_visible(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [
        ("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1}),
        ("2021-06-02T08:00:00+00:00", "Refilter Acme Privacy Policy", {DOC: V2}),
        ("2021-06-03T08:00:00+00:00", "Apply technical or declaration upgrade on Acme Privacy Policy", {DOC: V1})])
    import_ota(tmp_path, repo)

    assert [c["visible"] for c in rows(tmp_path / "a.db", "select visible from changes")] == [0, 0]
    captures = rows(tmp_path / "a.db", "select outcome, detail from captures order by id")
    assert [c["outcome"] for c in captures] == ["new", "changed", "changed"]
    assert all("re-extracted by Open Terms Archive" in c["detail"] for c in captures[1:])


def test_files_no_variant_follows_are_left_out(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [
        ("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1, "Other/Privacy Policy.md": V2})])
    import_ota(tmp_path, repo)

    assert [c["variant_id"] for c in rows(tmp_path / "a.db", "select variant_id from captures")] == [US]


def test_a_collection_no_variant_follows_is_refused(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1})])
    result = policyarchive("import-ota", str(repo), "--collection", "elsewhere", "--db", str(tmp_path / "a.db"),
                           "--policies", str(tmp_path / "policies"))

    assert result.returncode == 1 and "nothing was imported" in result.stderr


def test_a_long_import_is_split_into_runs(tmp_path):
    from crawler.declarations.catalog import load_catalog
    from crawler.intake.ota_versions import import_ota as run_import

    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [(f"2021-06-0{n}T08:00:00+00:00", "Record", {DOC: V1 + f"{n}\n".encode()})
                                               for n in range(1, 6)])
    imported = run_import(str(tmp_path / "a.db"), load_catalog(str(tmp_path / "policies")), repo, "acme-us", run_size=2)

    runs = rows(tmp_path / "a.db", "select attempted, status from runs order by id")
    assert [(r["attempted"], r["status"]) for r in runs] == [(2, "finished"), (2, "finished"), (1, "finished")]
    assert len(imported.runs) == 3


@pytest.mark.asyncio
async def test_a_versions_citation_names_the_collection_the_commit_and_the_path(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1})])
    import_ota(tmp_path, repo)

    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    [version] = rows(tmp_path / "a.db", "select id from versions")
    response = await datasette_app(tmp_path / "a.db").client.get(f"/-/version/{version['id']}")
    [citation] = re.findall(r'<div class="citation"><pre>(.*?)</pre>', response.text, re.S)
    assert (f"From Open Terms Archive's acme-us versions, commit {head}, {DOC}, dated 2021-06-01 08:00:00 UTC by its "
            "commit; not fetched by policyarchive") in citation
    assert "Region and egress: none recorded." in citation


def test_an_export_carries_ota_versions_as_markdown_that_imports_back_as_text(tmp_path):
    declare(tmp_path)
    repo = git_history(tmp_path / "versions", [("2021-06-01T08:00:00+00:00", "Start tracking", {DOC: V1}),
                                               ("2021-06-02T08:00:00+00:00", "Record", {DOC: V2})])
    import_ota(tmp_path, repo)
    exported = policyarchive("export", str(tmp_path / "out.warc.gz"), "--db", str(tmp_path / "a.db"))
    assert exported.returncode == 0, exported.stderr
    again = policyarchive("import", str(tmp_path / "out.warc.gz"), "--variant", US, "--db", str(tmp_path / "b.db"),
                          "--policies", str(tmp_path / "policies"))

    assert again.returncode == 0, again.stderr
    assert [v["text"] for v in rows(tmp_path / "b.db", "select text from versions order by id")] == [
        v["text"] for v in rows(tmp_path / "a.db", "select text from versions order by id")]
