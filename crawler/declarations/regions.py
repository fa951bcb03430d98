"""Locale and time zone a browser presents for a region, unless the variant declares its own; and
which regions and languages a declaration may name.

Regions are ISO 3166 country codes or one of the named zones; languages are BCP 47 tags whose
language, script and region subtags exist (ISO 639, ISO 15924, ISO 3166, from CLDR through Babel).
A typo (``XX``, ``Narnia``, ``xx``) fails ``validate`` instead of yielding a variant no proxy,
locale or reader can place.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

from babel import Locale

TIMEZONES = {
    "US": "America/New_York", "CA": "America/Toronto", "BR": "America/Sao_Paulo", "MX": "America/Mexico_City",
    "EEA": "Europe/Dublin", "EU": "Europe/Brussels", "IE": "Europe/Dublin", "UK": "Europe/London", "GB": "Europe/London",
    "CH": "Europe/Zurich", "DE": "Europe/Berlin", "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "SG": "Asia/Singapore",
    "AU": "Australia/Sydney", "ROW": "Asia/Singapore",
}
COUNTRY = {"UK": "GB"}
# Regions that are not one country: the European Economic Area, the European Union, the rest of the
# world; and UK, which sites say for GB.
ZONES = ("EEA", "EU", "ROW", "UK")
_TAG = re.compile(r"^(?P<language>[a-zA-Z]{2,3})(?:-(?P<script>[a-zA-Z]{4}))?(?:-(?P<region>[a-zA-Z]{2}|[0-9]{3}))?$")


@lru_cache(maxsize=1)
def _cldr() -> Locale:
    return Locale("en")


def _country(code: str) -> bool:
    return code.upper() in _cldr().territories and code.upper() != "ZZ"


def region_problem(region: str) -> str | None:
    """Why ``region`` names no place a variant can be served to, or None."""
    if region.upper() in ZONES or (len(region) == 2 and _country(region)):
        return None
    return f"{region!r} is not an ISO 3166 country code or a known zone ({', '.join(ZONES)})"


def language_problem(tag: str) -> str | None:
    """Why ``tag`` is not a BCP 47 language tag of a known language (script, region), or None."""
    parts = _TAG.match(tag)
    if parts is None:
        return f"{tag!r} is not a language tag such as en, de-CH or zh-Hant-TW"
    if parts["language"].lower() not in _cldr().languages:
        return f"{parts['language']!r} is not an ISO 639 language code"
    if parts["script"] and parts["script"].title() not in _cldr().scripts:
        return f"{parts['script']!r} is not an ISO 15924 script code"
    if parts["region"] and not _country(parts["region"]):
        return f"{parts['region']!r} is not an ISO 3166 country code"
    return None


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone Chromium can present, or None: a typo here would make
    every capture of the variant fail at the browser, night after night."""
    if name in _timezones():
        return None
    return f"{name!r} is not an IANA time zone such as Europe/Berlin or UTC"


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


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
