"""Hostile declarations and redirects, and secrets that must not leak into the archive or the logs."""


import pytest

from helpers import LOREM, Route, crawl, policy_page, policyarchive, rows, write_declaration


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,<p>x</p>", "javascript:alert(1)", "ftp://acme.example.com/p"])
def test_urls_that_are_not_http_are_refused_in_the_catalog(tmp_path, url):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": url}])
    result = policyarchive("validate", "--policies", str(tmp_path))
    assert result.returncode == 1 and "documents[0].variants[0].url:" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.1", "192.168.1.1", "169.254.169.254", "[::1]"])
def test_private_and_loopback_hosts_are_refused_unless_allowed(tmp_path, host):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": f"http://{host}/privacy"}])
    refused = policyarchive("validate", "--policies", str(tmp_path), env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": ""})
    assert refused.returncode == 1 and "POLICYARCHIVE_ALLOW_PRIVATE_HOSTS" in refused.stderr
    allowed = policyarchive("validate", "--policies", str(tmp_path), env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": host.strip("[]")})
    assert allowed.returncode == 0, allowed.stderr


def test_a_redirect_to_a_host_not_allowed_is_refused_before_any_connection(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p")}])
    port = site.server.server_address[1]
    site.set("/p", Route(status=302, headers={"Location": f"http://localhost:{port}/internal"}))
    site.set("/internal", policy_page(LOREM))
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                           env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})

    assert result.returncode == 3
    [capture] = rows(tmp_path / "a.db", "select outcome, detail from captures")
    assert capture["outcome"] == "blocked" and "localhost is a loopback name" in capture["detail"]
    assert site.hits == ["/p"]


def test_proxy_credentials_reach_the_proxy_but_never_the_archive_or_the_logs(tmp_path, site):
    seen = {}
    original = site.server.RequestHandlerClass.do_GET

    def proxy(handler):
        seen["authorization"] = handler.headers.get("Proxy-Authorization")
        original(handler)

    site.server.RequestHandlerClass.do_GET = proxy
    site.set("http://acme.example.com/privacy", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": "http://acme.example.com/privacy",
                                                       "select": ["article.policy"]}])
    proxy_url = f"http://reporter:s3cret-pass@127.0.0.1:{site.server.server_address[1]}"
    result = policyarchive("crawl", "--verbose", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                           env={"POLICYARCHIVE_PROXY_US": proxy_url})

    assert result.returncode == 0, result.stderr[-2000:]
    assert seen["authorization"].startswith("Basic ")
    [capture] = rows(tmp_path / "a.db", "select outcome, proxy from captures")
    assert capture == {"outcome": "new", "proxy": "US"}
    assert "s3cret" not in result.stdout + result.stderr
    for path in tmp_path.glob("a.db*"):
        assert b"s3cret" not in path.read_bytes()


def test_a_declared_proxy_that_is_not_set_is_not_fetched_directly_in_its_name(tmp_path, site):
    """``proxy: EU`` with no POLICYARCHIVE_PROXY_EU: fetched from this machine, the page would be
    another region's and its citation would name an egress it never went through."""
    site.set("/p", policy_page(LOREM))
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p"), "proxy": "EU"}])
    result = crawl(tmp_path / "a.db", tmp_path / "policies")

    assert result.returncode == 3 and site.hits == []
    [capture] = rows(tmp_path / "a.db", "select outcome, proxy, detail from captures")
    assert capture["outcome"] == "error" and capture["proxy"] is None
    assert "proxy 'EU' is declared, but POLICYARCHIVE_PROXY_EU is not set" in capture["detail"]


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "0", "[::ffff:127.0.0.1]", "127.0.0.1."])
def test_other_spellings_of_a_loopback_address_fail_validate(tmp_path, host):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": f"http://{host}/privacy"}])
    result = policyarchive("validate", "--policies", str(tmp_path), env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "localhost"})
    assert result.returncode == 1
    assert "documents[0].variants[0].url: " in result.stderr and "private, loopback or reserved" in result.stderr


def test_a_redirect_to_another_spelling_of_a_refused_address_is_not_followed(tmp_path, site):
    port = site.server.server_address[1]
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": f"http://localhost:{port}/p"}])
    site.set("/p", Route(status=302, headers={"Location": f"http://0x7f000001:{port}/internal"}))
    site.set("/internal", policy_page(LOREM))
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                           env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "localhost"})

    assert result.returncode == 3, result.stderr[-2000:]
    [capture] = rows(tmp_path / "a.db", "select outcome, detail from captures")
    assert capture["outcome"] == "blocked" and "127.0.0.1 is a private, loopback or reserved address" in capture["detail"]
    assert site.hits == ["/p"]


@pytest.mark.parametrize("url", ["https://reporter:s3cretpw@acme.example.com/privacy", "https://s3cretpw@acme.example.com/privacy",
                                 "https://:s3cretpw@acme.example.com/privacy"])
def test_a_url_with_credentials_fails_validate_without_echoing_them(tmp_path, url):
    write_declaration(tmp_path, "Acme", [{"region": "US", "language": "en", "url": url}])
    result = policyarchive("validate", "--policies", str(tmp_path))
    assert result.returncode == 1
    assert "documents[0].variants[0].url: credentials in a URL" in result.stderr and "s3cretpw" not in result.stderr


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://acme.example.com/p", "data:text/html,<p>x</p>"])
def test_a_redirect_to_a_scheme_that_is_not_http_is_recorded_blocked(tmp_path, site, target):
    write_declaration(tmp_path / "policies", "Acme", [{"region": "US", "language": "en", "url": site.url("/p")}])
    site.set("/p", Route(status=302, headers={"Location": target}))
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"))

    assert result.returncode == 3, result.stderr[-2000:]
    [capture] = rows(tmp_path / "a.db", "select outcome, detail from captures")
    assert capture["outcome"] == "blocked" and "is not fetched; only http and https" in capture["detail"], capture
