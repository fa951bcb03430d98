"""What became of a capture: the words ``captures.outcome`` holds, and the runs' counters are named after.

A readable capture is ``ok`` until the archive places it: ``new``, ``changed`` or ``unchanged``.
Everything in ``FAILURES`` is recorded as such and never starts or ends a version.
"""

OK = "ok"
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
HTTP_ERROR, BLOCKED, EMPTY, NETWORK_ERROR, TOO_LARGE = "http-error", "blocked", "empty", "network-error", "too-large"
WRONG_LANGUAGE, SUSPECT = "wrong-language", "suspect"
# The archive could not handle the capture (an exception while extracting or versioning it): its
# bytes are kept and ``detail`` names the exception.
ERROR = "error"
FAILURES = (HTTP_ERROR, BLOCKED, EMPTY, NETWORK_ERROR, TOO_LARGE, WRONG_LANGUAGE, SUSPECT, ERROR)
OUTCOMES = (NEW, CHANGED, UNCHANGED) + FAILURES
