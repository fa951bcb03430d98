"""The seed story from Open Terms Archive's own repositories: the real TikTok Markdown committed as
OTA committed it (its dates and messages, manifest.tsv), imported with ``import-ota``."""

import pytest

from helpers import ota_history, policyarchive, rows

pytestmark = pytest.mark.realdata

DOCUMENT = "TikTok/Privacy Policy"
COLLECTIONS = {"vlopses-us": "ota-vlopses-us-versions", "vlopses-ie": "ota-vlopses-ie-versions",
               "contrib": "ota-contrib-versions", "france": "ota-france-versions"}


@pytest.fixture(scope="module")
def seed(tmp_path_factory, realdata):
    folder = tmp_path_factory.mktemp("ota")
    db = folder / "archive.db"
    for collection, source in COLLECTIONS.items():
        repo = ota_history(folder / f"{source}.git", source, DOCUMENT)
        result = policyarchive("import-ota", str(repo), "--collection", collection, "--only", "TikTok", "--db", str(db))
        assert result.returncode == 0, result.stderr[-2000:]
    return db


def test_importing_the_four_repositories_gives_the_readme_answer_to_the_seed_question(seed):
    result = policyarchive("term", "biometric", "--document", "tiktok/privacy-policy", "--db", str(seed))
    table = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines()[1:]}
    assert table["tiktok/privacy-policy/us-en"] == ["yes", "2025-09-13T00:31:19"]
    for variant in ("ie-en", "eea-en", "eea-fr"):
        assert table[f"tiktok/privacy-policy/{variant}"] == ["no", "-"]


def test_every_committed_version_is_a_capture_cited_to_its_commit(seed, realdata):
    manifest = [line.split("\t") for line in (realdata / "manifest.tsv").read_text().splitlines()[1:]]
    commits = {row[3] for row in manifest if row[0] in COLLECTIONS.values() and row[2] == f"{DOCUMENT}.md"}
    captures = rows(seed, "select source from captures")
    assert len(captures) == len(commits) == 81 + 13 + 30 + 45
    assert all(c["source"].startswith("ota:") and c["source"].endswith(f" {DOCUMENT}.md") for c in captures)


def test_ota_refilter_and_upgrade_commits_make_no_visible_change(seed):
    reextracted = rows(seed, """select ch.visible from changes ch join captures c on c.id = ch.capture_id
                                where c.detail like 're-extracted by Open Terms Archive%'""")
    assert reextracted and all(r["visible"] == 0 for r in reextracted)


def test_wrong_language_entries_meet_the_same_checks_as_an_import_of_files(seed):
    flagged = rows(seed, "select variant_id, detected_language from captures where outcome = 'wrong-language'")
    assert {(r["variant_id"], r["detected_language"]) for r in flagged} == {
        ("tiktok/privacy-policy/eea-en", "fr"), ("tiktok/privacy-policy/eea-fr", "en")}
    assert len(flagged) == 8
