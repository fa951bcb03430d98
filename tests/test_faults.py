"""Every fault the web has, recorded as what it is; no fault starts or ends a version, the run
goes on, and the next good capture continues the history as if the fault had not happened."""

import pytest
import yaml

from faults import FAULTS, MAX_SIZE, FaultServer
from helpers import policyarchive, rows

RETRY_TIMES = 1


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three crawls of every fault path: good, faulty, good."""
    tmp = tmp_path_factory.mktemp("faults")
    server = FaultServer()
    try:
        (tmp / "policies").mkdir()
        (tmp / "policies" / "faults.yml").write_text(yaml.safe_dump({"service": "Faults", "documents": [
            {"type": kind, "variants": [{"region": "US", "language": language, "url": server.url(f"/{kind}"),
                                         "select": ["article.policy"]}]}
            for kind, (language, _) in FAULTS.items()
        ]}))
        results, hits = [], []
        for mode in ("good", "faulty", "good"):
            server.mode = mode
            server.hits.clear()
            results.append(policyarchive(
                "crawl", "--db", str(tmp / "a.db"), "--policies", str(tmp / "policies"),
                "-s", "DOWNLOAD_TIMEOUT=3", "-s", f"RETRY_TIMES={RETRY_TIMES}", "-s", f"DOWNLOAD_MAXSIZE={MAX_SIZE}",
            ))
            hits.append(dict(server.hits))
    finally:
        server.close()
    return tmp / "a.db", results, hits


def outcome_of(db, kind, run):
    [row] = rows(db, "select c.outcome, c.detail, c.version_id from captures c join variants v on v.id = c.variant_id "
                     "where v.url like ? and c.run_id = ?", [f"%/{kind}", run])
    return row


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_fault_is_recorded_with_its_outcome(runs, kind):
    db, results, _ = runs
    expected = FAULTS[kind][1]
    row = outcome_of(db, kind, 2)
    assert row["outcome"] == expected, row["detail"]
    if expected not in ("unchanged",):
        assert row["version_id"] is None and row["detail"]


@pytest.mark.parametrize("kind", list(FAULTS))
def test_the_next_good_capture_continues_the_history(runs, kind):
    db, _, _ = runs
    assert outcome_of(db, kind, 1)["outcome"] == "new"
    assert outcome_of(db, kind, 3)["outcome"] == "unchanged"
    variant = rows(db, "select id from variants where url like ?", [f"%/{kind}"])[0]["id"]
    assert len(rows(db, "select id from versions where variant_id = ?", [variant])) == 1
    assert rows(db, "select id from changes where variant_id = ?", [variant]) == []


@pytest.mark.parametrize("kind", ["500", "502", "503", "429-retry-after", "timeout"])
def test_retryable_faults_are_retried_as_configured(runs, kind):
    _, _, hits = runs
    assert hits[1][kind] == 1 + RETRY_TIMES


def test_the_faulty_run_finishes_and_counts_every_outcome(runs):
    db, results, _ = runs
    assert [r.returncode for r in results] == [0, 3, 0]
    run = rows(db, "select * from runs where id = 2")[0]
    assert run["status"] == "finished" and run["attempted"] == len(FAULTS)
    expected = sum(1 for _, outcome in FAULTS.values() if outcome == "unchanged")
    assert run["unchanged"] == expected
