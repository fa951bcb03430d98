"""Retry-After as RFC 9110 writes it: seconds, or an HTTP date."""

from datetime import datetime, timezone

from crawler.capture.retry import retry_after_seconds

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)


def test_delay_seconds_are_read_as_seconds():
    assert retry_after_seconds(" 120 ", NOW) == 120


def test_an_http_date_is_read_as_the_wait_until_then():
    assert retry_after_seconds("Thu, 26 Nov 2026 12:01:30 GMT", NOW) == 90


def test_an_http_date_in_the_past_asks_for_no_wait():
    assert retry_after_seconds("Thu, 26 Nov 2026 11:00:00 GMT", NOW) == 0


def test_an_unreadable_or_missing_value_asks_for_nothing():
    assert [retry_after_seconds(v, NOW) for v in (None, "", "soon", "-5")] == [None, None, None, None]
