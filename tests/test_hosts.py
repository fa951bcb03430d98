"""The private-host check reads an address the way the system's resolver and browsers do: every
spelling of a private or loopback address is refused, every spelling of a public one is not."""

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.declarations.hosts import refusal

PRIVATE = [ipaddress.ip_network(n) for n in
           ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")]
PUBLIC = [ipaddress.ip_network(n) for n in ("8.8.8.0/24", "93.184.216.0/24", "151.101.0.0/16")]


def addresses(networks):
    return st.sampled_from(networks).flatmap(
        lambda net: st.integers(int(net.network_address), int(net.broadcast_address)).map(ipaddress.IPv4Address))


@st.composite
def number(draw, value: int) -> str:
    """``value`` written in decimal, octal (leading zeros) or hexadecimal (0x or 0X, any case)."""
    radix = draw(st.sampled_from(["dec", "oct", "hex"]))
    if radix == "dec" or (radix == "oct" and value == 0):
        return str(value)
    if radix == "oct":
        return "0" * draw(st.integers(1, 3)) + format(value, "o")
    digits = format(value, "x")
    digits = "".join(c.upper() if draw(st.booleans()) else c for c in digits)
    return draw(st.sampled_from(["0x", "0X"])) + "0" * draw(st.integers(0, 2)) + digits


@st.composite
def ipv4_spelling(draw, address: ipaddress.IPv4Address) -> str:
    """``address`` in one to four parts (``127.1``, ``127.0.1``, ``2130706433``), each in any radix,
    the last part holding the bytes that remain, as inet_aton(3) and the WHATWG URL parser read it."""
    packed = address.packed
    parts = draw(st.integers(1, 4))
    values = list(packed[:parts - 1]) + [int.from_bytes(packed[parts - 1:], "big")]
    return ".".join(draw(number(v)) for v in values)


@st.composite
def host_spelling(draw, address: ipaddress.IPv4Address) -> str:
    """A URL host naming ``address``: an IPv4 spelling, perhaps with a trailing dot, percent-encoded
    or in full-width digits, or the IPv4-mapped IPv6 address."""
    form = draw(st.sampled_from(["plain", "trailing-dot", "percent", "full-width", "mapped", "mapped-hex"]))
    if form == "mapped":
        return f"[::ffff:{address}]"
    if form == "mapped-hex":
        return f"[::ffff:{int(address) >> 16:x}:{int(address) & 0xffff:x}]"
    spelled = draw(ipv4_spelling(address))
    if form == "trailing-dot":
        return spelled + "."
    if form == "percent":
        return "".join(f"%{ord(c):02x}" if c.isdigit() and draw(st.booleans()) else c for c in spelled)
    if form == "full-width":
        return spelled.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return spelled


@settings(max_examples=500, deadline=None)
@given(addresses(PRIVATE).flatmap(lambda a: st.tuples(st.just(a), host_spelling(a))))
def test_every_spelling_of_a_private_address_is_refused(case):
    address, host = case
    reason = refusal(f"http://{host}/privacy", allowed=set())
    assert reason is not None and str(address) in reason, (host, reason)


@settings(max_examples=300, deadline=None)
@given(addresses(PUBLIC).flatmap(lambda a: st.tuples(st.just(a), host_spelling(a))))
def test_every_spelling_of_a_public_address_may_be_fetched(case):
    _, host = case
    assert refusal(f"http://{host}/privacy", allowed=set()) is None, host


@settings(max_examples=300, deadline=None)
@given(addresses(PRIVATE + PUBLIC).flatmap(ipv4_spelling))
def test_the_check_reads_an_ipv4_spelling_as_the_system_resolver_does(host):
    resolved = ipaddress.IPv4Address(socket.inet_aton(host))
    reason = refusal(f"http://{host}/", allowed=set())
    assert (reason is None) == resolved.is_global
    assert reason is None or str(resolved) in reason


@settings(max_examples=200, deadline=None)
@given(addresses([ipaddress.ip_network("127.0.0.0/24")]).flatmap(lambda a: st.tuples(st.just(a), host_spelling(a))))
def test_an_allowed_address_is_allowed_in_any_spelling(case):
    address, host = case
    assert refusal(f"http://{host}/", allowed={str(address)}) is None, host


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "0", "0.0.0.0", "127.0.0.1.",
                                  "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::1]", "[0:0:0:0:0:0:0:1]", "[::]",
                                  "localhost.", "LOCALHOST", "app.localhost.", "[2002:7f00:1::1]", "[64:ff9b::a00:1]",
                                  "[::127.0.0.1]", "[fe80::1%25eth0]", "１２７.０.０.１", "127。0。0。1", "%31%32%37.0.0.1"])
def test_the_spellings_that_bypassed_the_check_are_refused(host):
    assert refusal(f"http://{host}/privacy", allowed=set()) is not None


@pytest.mark.parametrize("host", ["1.2.3.256", "0x1g.0.0.1", "08.0.0.1", "1.2.3.4.5", "999999999999", "1..1"])
def test_a_host_that_ends_in_a_number_but_is_no_address_is_refused(host):
    assert "not a valid address" in refusal(f"http://{host}/", allowed=set())


@pytest.mark.parametrize("host", ["example.com", "www.tiktok.com", "1password.com", "x.123abc", "8.8.8.8", "[2606:4700::1111]"])
def test_public_names_and_addresses_may_be_fetched(host):
    assert refusal(f"https://{host}/privacy", allowed=set()) is None
