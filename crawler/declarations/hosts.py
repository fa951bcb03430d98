"""Which hosts a crawl may reach: public ones, and private or loopback ones only when allowed.

A declaration or a redirect that points at ``127.0.0.1``, ``10.x`` or ``169.254.169.254`` would make
the crawler fetch the operator's own network (and archive it, and publish it). Such hosts are
refused unless named in ``POLICYARCHIVE_ALLOW_PRIVATE_HOSTS`` (the tests and the demo allow
``127.0.0.1,localhost``).
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

ALLOW_ENV = "POLICYARCHIVE_ALLOW_PRIVATE_HOSTS"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def allowed_private_hosts() -> set[str]:
    return {h.strip().lower() for h in os.environ.get(ALLOW_ENV, "").split(",") if h.strip()}


def refusal(url: str, allowed: set[str] | None = None) -> str | None:
    """Why ``url`` may not be fetched, or None when it may."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not fetched; only http and https"
    if not host:
        return "no host"
    allowed = allowed_private_hosts() if allowed is None else allowed
    if host in allowed:
        return None
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is a loopback name; allow it with {ALLOW_ENV}={host}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return f"{host} is a private, loopback or reserved address; allow it with {ALLOW_ENV}={host}"
    return None
