"""Which hosts a crawl may reach: public ones, and private or loopback ones only when allowed.

A declaration or a redirect that points at ``127.0.0.1``, ``10.x`` or ``169.254.169.254`` would make
the crawler fetch the operator's own network (and archive it, and publish it). Such hosts are
refused unless named in ``POLICYARCHIVE_ALLOW_PRIVATE_HOSTS`` (the tests and the demo allow
``127.0.0.1,localhost``).

An address has many spellings: ``2130706433``, ``0x7f000001``, ``127.1``, ``0177.0.0.1``, ``0``,
``127.0.0.1.``, ``[::ffff:127.0.0.1]``, ``%31%32%37.0.0.1``, full-width digits. The system's
resolver (inet_aton(3)) and browsers (the WHATWG URL parser) read every one of them as the address
it names, so the check reads the host the same way before it judges it: one check, used by the
declarations, every Scrapy request and redirect, and every request Chromium makes.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import unquote, urlsplit

ALLOW_ENV = "POLICYARCHIVE_ALLOW_PRIVATE_HOSTS"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
# What no host name holds (WHATWG's forbidden host code points, and control characters).
_FORBIDDEN = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
# The last label of a host that an IPv4 parser reads as a number (WHATWG's "ends in a number").
_NUMERIC = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class InvalidHost(ValueError):
    """A host no resolver or browser would read as the same name: refused, never guessed at."""


def _number(part: str) -> int:
    """One part of an IPv4 spelling: ``0x`` hexadecimal, a leading ``0`` octal, else decimal."""
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address an IPv4 spelling names (one to four parts, the last holding the bytes that
    remain), None when the host is a name; InvalidHost when it looks like a number but is none."""
    parts = host.split(".")
    if not _NUMERIC.match(parts[-1]):
        return None
    try:
        if len(parts) > 4 or "" in parts:
            raise ValueError
        *head, last = [_number(p) for p in parts]
        if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
            raise ValueError
    except ValueError:
        raise InvalidHost(f"{host} is not a valid address") from None
    return ipaddress.IPv4Address(_join(head, last))


def _join(head: list[int], last: int) -> int:
    """The 32-bit value of an IPv4 spelling's parts: the first ones are bytes from the left."""
    value = 0
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return value | last


def canonical(host: str) -> str | Address:
    """The host as the resolver and a browser read it: an address, or a lowercased ASCII name.

    Percent-escapes are decoded and Unicode is mapped by IDNA (full-width digits and ideographic
    full stops included), as the URL parser does; trailing dots are dropped; the IPv4-mapped IPv6
    address is its IPv4 address, which is where a socket connects.
    """
    host = unquote(host).lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise InvalidHost(f"{host} is not a valid address") from None
        return address.ipv4_mapped or address
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidHost(f"{host} is not a valid host name") from None
    host = host.rstrip(".")
    if not host:
        raise InvalidHost("no host")
    if _FORBIDDEN.search(host):
        raise InvalidHost(f"{host} is not a valid host name")
    return _ipv4(host) or host


def _embedded(address: Address) -> list[Address]:
    """The address and the IPv4 addresses an IPv6 one carries to (6to4, Teredo, NAT64,
    IPv4-compatible): each must be public for the whole to be."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    carried = [address.sixtofour, *(address.teredo or ())]
    if address in ipaddress.ip_network("64:ff9b::/96") or address in ipaddress.ip_network("::/96"):
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [address, *filter(None, carried)]


def allowed_private_hosts() -> set[str]:
    """The hosts named in ``POLICYARCHIVE_ALLOW_PRIVATE_HOSTS``, each in its canonical spelling."""
    return _canonical_names(os.environ.get(ALLOW_ENV, "").split(","))


def _canonical_names(hosts) -> set[str]:
    """Allowed hosts as the check compares them: an allowed address is allowed in any spelling."""
    names = set()
    for raw in filter(None, (h.strip() for h in hosts)):
        try:
            names.add(str(canonical(raw)))
        except InvalidHost:
            continue
    return names


def refusal(url: str, allowed: set[str] | None = None) -> str | None:
    """Why ``url`` may not be fetched, or None when it may."""
    try:
        parts = urlsplit(url)
        raw, _ = parts.hostname or "", parts.port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not fetched; only http and https"
    if not raw:
        return "no host"
    if "@" in parts.netloc:
        return "credentials in a URL (user:password@host) are refused: they would be stored in the archive and its exports"
    try:
        host = canonical(raw)
    except InvalidHost as exc:
        return str(exc)
    allowed = allowed_private_hosts() if allowed is None else _canonical_names(allowed)
    if str(host) in allowed:
        return None
    if isinstance(host, str):
        if host in _LOCAL_NAMES or host.endswith(".localhost"):
            return f"{host} is a loopback name; allow it with {ALLOW_ENV}={host}"
        return None
    private = [a for a in _embedded(host) if not a.is_global]
    if private:
        via = "" if private[0] == host else f" (it reaches {private[0]})"
        return f"{host} is a private, loopback or reserved address{via}; allow it with {ALLOW_ENV}={private[0]}"
    return None
