"""Locale and time zone a browser presents for a region, unless the variant declares its own."""

from __future__ import annotations

TIMEZONES = {
    "US": "America/New_York", "CA": "America/Toronto", "BR": "America/Sao_Paulo", "MX": "America/Mexico_City",
    "EEA": "Europe/Dublin", "EU": "Europe/Brussels", "IE": "Europe/Dublin", "UK": "Europe/London", "GB": "Europe/London",
    "CH": "Europe/Zurich", "DE": "Europe/Berlin", "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "SG": "Asia/Singapore",
    "AU": "Australia/Sydney", "ROW": "Asia/Singapore",
}
COUNTRY = {"UK": "GB"}


def locale_for(region: str, language: str) -> str:
    """BCP 47 locale: ``en`` in ``US`` gives ``en-US``; in a zone (``EEA``, ``ROW``) just the language."""
    if "-" in language:
        return language
    country = COUNTRY.get(region.upper(), region.upper())
    return f"{language}-{country}" if len(country) == 2 else language


def timezone_for(region: str) -> str:
    return TIMEZONES.get(region.upper(), "UTC")


def accept_language(language: str) -> str:
    """Accept-Language preferring the variant's language, then its base language."""
    base = language.split("-")[0]
    return f"{language},{base};q=0.9" if base != language else f"{language};q=1.0"
