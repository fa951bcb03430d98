"""The lookups pages run per variant or per document search an index (EXPLAIN QUERY PLAN), never
scan a table that grows with the archive: at 100,000 versions a scan of ``versions`` cost the
document page 1.2 s (bench/README.md, benchmark 4)."""

import pytest

from crawler.archive.clauses import _SIBLING_VERSIONS
from crawler.archive.store import Archive
from crawler.web.plugins.policy_filters import _NUMBERS
from crawler.web.plugins.policy_home import _CLAUSE_HITS


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "a.db")
    yield a
    a.close()


def plan(archive, sql: str, params=()) -> list[str]:
    return [row[3] for row in archive.db.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_numbering_a_variant_s_versions_searches_an_index(archive):
    assert not any(step.startswith("SCAN versions") for step in plan(archive, _NUMBERS, [1]))


def test_listing_a_document_s_variants_searches_an_index(archive):
    steps = plan(archive, "select * from variants where document_id = ? order by region, language", ["d"])
    assert steps == ["SEARCH variants USING INDEX idx_variants_document_id_region_language (document_id=?)"]


def test_the_variant_status_page_s_order_reads_an_index_without_sorting(archive):
    steps = plan(archive, "select * from variant_status order by last_ok_at limit 51")
    assert steps == ["SCAN variant_freshness USING INDEX idx_variant_freshness_last_ok_at"]


def test_a_search_hit_s_clause_is_found_by_its_version_not_by_every_version_holding_the_clause(archive):
    """The search page's snippets: the hits' versions read by primary key, the matching clauses
    listed once; never every version that holds a clause (idx_version_clauses_clause)."""
    steps = plan(archive, _CLAUSE_HITS, {"ids": "[1, 2]", "q": "biometric"})
    assert steps[0] == "SEARCH version_clauses USING PRIMARY KEY (version_id=?)"
    assert not any("idx_version_clauses_clause" in step or step.startswith("SCAN version_clauses") for step in steps)


def test_a_new_version_s_sibling_variants_are_found_by_its_document_not_by_its_language(archive):
    """Every new version looks for the other variants of its document in its language (clause
    counterparts): by the language's index that read most of the catalog's variants each time."""
    steps = plan(archive, _SIBLING_VERSIONS, [1])
    assert "SEARCH other USING INDEX idx_variants_document_id_region_language (document_id=?)" in steps
