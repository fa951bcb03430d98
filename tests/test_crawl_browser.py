"""Crawling through a real headless Chromium (Debian's), for pages whose text only JavaScript writes."""

import pytest

from helpers import GERMAN, LOREM, Route, crawl, policy_page, policyarchive, rows, write_declaration

pytestmark = pytest.mark.browser

def js_only(paragraph: str = LOREM) -> bytes:
    """A page whose policy only its script writes, after load, naming the browser's language."""
    return f"""<html><head><title>Policy</title></head><body>
<div id="root"></div><noscript>Enable JavaScript.</noscript>
<script>
  setTimeout(function () {{
    var a = document.createElement('article'); a.className = 'policy';
    a.innerHTML = '<h1>Privacy Policy</h1><p>{paragraph}</p><p>Written by script for ' + navigator.language + '.</p>';
    document.getElementById('root').appendChild(a);
  }}, 50);
</script></body></html>""".encode()


def test_a_page_written_by_javascript_is_captured_through_chromium(tmp_path, site):
    site.set("/row", Route(body=js_only()))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "ROW", "language": "en", "url": site.url("/row"), "fetch": "browser",
         "wait_for": "article.policy", "select": ["article.policy"]},
    ])
    crawl(tmp_path / "archive.db", tmp_path / "policies")

    [capture] = rows(tmp_path / "archive.db", "select * from captures")
    assert capture["outcome"] == "new" and capture["renderer"] == "browser"
    assert "HeadlessChrome" in capture["user_agent"]
    [version] = rows(tmp_path / "archive.db", "select text from versions")
    assert "We collect information you provide" in version["text"]


def test_the_browser_presents_the_variant_locale(tmp_path, site):
    site.set("/de", Route(body=js_only(GERMAN)))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "DE", "language": "de", "url": site.url("/de"), "fetch": "browser",
         "wait_for": "article.policy", "select": ["article.policy"]},
    ])
    crawl(tmp_path / "archive.db", tmp_path / "policies")

    [version] = rows(tmp_path / "archive.db", "select text from versions")
    assert "Written by script for de-DE." in version["text"]


def test_the_same_page_over_plain_http_is_recorded_as_empty(tmp_path, site):
    site.set("/row", Route(body=js_only()))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "ROW", "language": "en", "url": site.url("/row"), "select": ["article.policy"]},
    ])
    crawl(tmp_path / "archive.db", tmp_path / "policies")

    [capture] = rows(tmp_path / "archive.db", "select * from captures")
    assert capture["outcome"] == "empty" and "no element matches" in capture["detail"]
    assert rows(tmp_path / "archive.db", "select * from versions") == []


def crawl_allowing_only_127_0_0_1(tmp_path, site):
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/p"), "fetch": "browser", "select": ["article.policy"]},
    ])
    return policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                         "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_TIMES=0",
                         env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})


def test_the_browser_never_follows_a_redirect_to_a_host_not_allowed(tmp_path, site):
    refused = f"http://localhost:{site.server.server_address[1]}/internal"
    site.set("/p", Route(status=302, headers={"Location": refused}))
    site.set("/internal", policy_page(LOREM))
    result = crawl_allowing_only_127_0_0_1(tmp_path, site)

    assert result.returncode == 3, result.stderr[-2000:]
    [capture] = rows(tmp_path / "a.db", "select outcome, detail from captures")
    assert capture["outcome"] == "blocked" and f"refused {refused}: localhost is a loopback name" in capture["detail"]
    assert "/internal" not in site.hits


def test_the_browser_never_follows_a_script_navigation_to_a_host_not_allowed(tmp_path, site):
    refused = f"http://localhost:{site.server.server_address[1]}/internal"
    site.set("/p", Route(body=policy_page(LOREM).replace(b"</body>", f"<script>location.href = '{refused}';</script></body>".encode())))
    site.set("/internal", policy_page(LOREM, "Internal."))
    result = crawl_allowing_only_127_0_0_1(tmp_path, site)

    assert result.returncode == 3, result.stderr[-2000:]
    [capture] = rows(tmp_path / "a.db", "select outcome, detail from captures")
    assert capture["outcome"] == "blocked" and f"refused {refused}" in capture["detail"]
    assert "/internal" not in site.hits


def test_the_browser_never_opens_a_websocket_to_a_host_not_allowed(tmp_path, site):
    refused = f"ws://localhost:{site.server.server_address[1]}/socket"
    script = (f"<script>var ws = new WebSocket('{refused}'); ws.onclose = function () {{"
              f" document.querySelector('article.policy').insertAdjacentHTML('beforeend', '<p id=closed>Closed.</p>'); }};</script>")
    site.set("/p", Route(body=policy_page(LOREM).replace(b"</body>", script.encode() + b"</body>")))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/p"), "fetch": "browser", "wait_for": "#closed", "select": ["article.policy"]},
    ])
    result = policyarchive("crawl", "--db", str(tmp_path / "a.db"), "--policies", str(tmp_path / "policies"),
                           "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_TIMES=0", env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})

    assert result.returncode == 0, result.stderr[-2000:]
    assert "/socket" not in site.hits


def behind_consent(paragraph: str = LOREM) -> bytes:
    """A page that shows its policy only once its consent banner's button is clicked."""
    return f"""<html><head><title>Policy</title></head><body>
<div id="consent">We use cookies. <button id="accept">Accept all</button></div><div id="root"></div>
<script>
  document.getElementById('accept').onclick = function () {{
    document.getElementById('consent').remove();
    document.getElementById('root').innerHTML = '<article class="policy"><h1>Privacy Policy</h1><p>{paragraph}</p></article>';
  }};
</script></body></html>""".encode()


def test_a_consent_banner_is_clicked_before_the_text_is_read(tmp_path, site):
    site.set("/consent", Route(body=behind_consent()))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/consent"), "fetch": "browser",
         "actions": [{"click": "#accept"}, {"wait_for": "article.policy"}, {"scroll": "bottom"}],
         "select": ["article.policy"]},
    ])
    crawl(tmp_path / "archive.db", tmp_path / "policies")

    [capture] = rows(tmp_path / "archive.db", "select outcome, detail from captures")
    assert capture == {"outcome": "new", "detail": None}
    [version] = rows(tmp_path / "archive.db", "select text from versions")
    assert LOREM in version["text"] and "cookies" not in version["text"]


def test_a_failed_action_is_named_in_the_captures_detail_and_an_absent_optional_one_is_not(tmp_path, site):
    site.set("/p", Route(body=policy_page(LOREM)))
    write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/p"), "fetch": "browser",
         "actions": [{"click": "#banner-gone", "optional": True}, {"click": "#show-more"}],
         "select": ["article.policy"]},
    ])
    result = policyarchive("crawl", "--db", str(tmp_path / "archive.db"), "--policies", str(tmp_path / "policies"),
                           "-s", "POLICYARCHIVE_ACTION_TIMEOUT=1", env={"POLICYARCHIVE_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})

    [capture] = rows(tmp_path / "archive.db", "select outcome, detail from captures")
    assert capture["outcome"] == "new", result.stderr
    assert capture["detail"].startswith("action 2 (click: #show-more) failed: ")
    assert "banner-gone" not in capture["detail"]
