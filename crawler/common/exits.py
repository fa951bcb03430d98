"""Exit status of ``policyarchive crawl`` (and the other commands), for cron, schedulers and scripts.

The README's table and ``crawl --help`` say the same; a crawl records its code in ``runs.exit_code``.
"""

from crawler.common.outcomes import FAILURES

EXIT_OK = 0           # every variant captured: new, changed or unchanged
EXIT_CANNOT_RUN = 1   # nothing ran: the declarations do not validate, or an option is wrong
EXIT_SOME_FAILED = 3  # the run finished, but some captures failed; they are recorded with their outcome
EXIT_INTERRUPTED = 4  # the run was stopped (SIGTERM, Ctrl-C) before the end; its captures are kept
EXIT_BUSY = 75        # another run holds the archive (EX_TEMPFAIL): nothing was started

MEANINGS = {
    EXIT_OK: "every variant captured",
    EXIT_CANNOT_RUN: "could not run",
    EXIT_SOME_FAILED: "some captures failed",
    EXIT_INTERRUPTED: "interrupted, captures so far kept",
    EXIT_BUSY: "refused, another run holds the archive",
}


def import_exit_code(counts: dict[str, int]) -> int:
    """An import that attempted captures and versioned none, every one a failure, did not do its job."""
    failed = sum(n for outcome, n in counts.items() if outcome in FAILURES)
    return EXIT_SOME_FAILED if failed and failed == sum(counts.values()) else EXIT_OK


def run_exit_code(status: str, failed: int, missing: int = 0) -> int:
    """The exit status of a run that ended with ``status``, ``failed`` failed captures and
    ``missing`` planned ones that have no record: a capture not recorded is not a success."""
    if status != "finished":
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if failed or missing else EXIT_OK
