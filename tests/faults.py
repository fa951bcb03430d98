"""A fault server on 127.0.0.1: every way a web server can fail a crawler, one path each.

In ``good`` mode every path serves the same readable policy page; in ``faulty`` mode each path
fails in its own way. Crawling good, faulty, good again checks that a fault is recorded as what it
is and that the history then continues as if it had not happened. Sockets are written by hand so
that resets, truncations and slow bodies are real.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import struct
import threading
import time
import zlib

import brotli
from scrapy.utils._compression import zstd

from helpers import LOREM

TEXTS = {
    "en": f"<h1>Privacy Policy</h1><p>{LOREM}</p><p>We keep your data for as long as your account is open.</p>",
    "fr": ("<h1>Politique de confidentialité</h1><p>Nous collectons les données à caractère personnel que vous nous "
           "fournissez lorsque vous créez un compte, comme votre nom, votre adresse électronique et votre date de "
           "naissance, ainsi que des données sur la façon dont vous utilisez le service. Nous conservons vos données "
           "aussi longtemps que votre compte est ouvert, et nous ne les vendons jamais à des tiers.</p>"),
    "ja": ("<h1>プライバシーポリシー</h1><p>当社は、お客様がアカウントを作成する際に提供するお名前、メールアドレス、生年月日などの情報、"
           "およびお客様がサービスをどのように利用しているかに関する情報を収集します。当社は、お客様のアカウントが有効である限り、"
           "お客様の情報を保管します。当社は、お客様の個人情報を第三者に販売することはありません。"
           "お客様は、いつでもご自身の個人情報へのアクセス、訂正、削除を求めることができます。"
           "ご質問がある場合は、プライバシーチームまでお問い合わせください。当社はお問い合わせに速やかに対応します。</p>"),
}
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body><div id='challenge-platform'>Checking your browser</div></body></html>"
CAPTCHA = b"<html><body><form><div class='g-recaptcha' data-sitekey='x'></div><p>Please prove you are human.</p></form></body></html>"

# kind -> (language of the page, outcome its fault must be recorded as)
FAULTS = {
    "500": ("en", "http-error"), "502": ("en", "http-error"), "503": ("en", "http-error"),
    "429-retry-after": ("en", "blocked"), "404": ("en", "http-error"), "410": ("en", "http-error"),
    "timeout": ("en", "network-error"), "reset": ("en", "network-error"), "truncated": ("en", "network-error"),
    "slow-body": ("en", "network-error"), "empty-200": ("en", "empty"), "challenge": ("en", "blocked"),
    "captcha": ("en", "blocked"), "redirect-loop": ("en", "http-error"), "login-redirect": ("en", "blocked"),
    "consent-redirect": ("en", "blocked"), "too-large": ("en", "too-large"), "too-large-chunked": ("en", "too-large"),
    "gzip-bomb": ("en", "too-large"), "windows-1252-declared": ("fr", "unchanged"),
    "windows-1252-undeclared": ("fr", "unchanged"), "shift-jis-declared": ("ja", "unchanged"),
    "shift-jis-undeclared": ("ja", "unchanged"), "malformed-html": ("en", "unchanged"),
    "gzip-cut-short": ("en", "network-error"), "deflate-cut-short": ("en", "network-error"),
    "br-cut-short": ("en", "network-error"), "zstd-cut-short": ("en", "network-error"),
    "gzip-two-members": ("en", "unchanged"), "deflate-raw": ("en", "unchanged"), "br-whole": ("en", "unchanged"),
    "empty-gzip": ("en", "empty"), "deflate-bomb": ("en", "too-large"), "br-bomb": ("en", "too-large"),
    "zstd-bomb": ("en", "too-large"), "charset-base64": ("fr", "unchanged"), "charset-punycode": ("fr", "unchanged"),
}
MAX_SIZE = 1_000_000


def page(language: str, charset: str | None = "utf-8", encoding: str = "utf-8") -> bytes:
    meta = f"<meta charset='{charset}'>" if charset else ""
    return f"<html><head>{meta}<title>Policy</title></head><body><article class='policy'>{TEXTS[language]}</article></body></html>".encode(encoding)


class FaultServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.mode = "good"
        self.hits: dict[str, int] = {}
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1").split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        path = request_line[1] if len(request_line) > 1 else "/"
        kind = path.strip("/").split("?")[0].split("/")[-1]
        self.server.hits[kind] = self.server.hits.get(kind, 0) + 1
        try:
            if path.split("?")[0] in ("/login", "/consent"):
                self.send(200, b"<html><body><form><p>Sign in to continue. Accept cookies to continue.</p></form></body></html>")
            elif self.server.mode == "good" or kind not in FAULTS:
                self.send(200, page(FAULTS.get(kind, ("en",))[0]))
            else:
                getattr(self, "fault_" + kind.replace("-", "_"), lambda: self.fault_status(int(kind)))()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send(self, status: int, body: bytes, headers: dict | None = None, length: int | None = None) -> None:
        head = f"HTTP/1.1 {status} X\r\nConnection: close\r\n"
        headers = {"Content-Type": "text/html", **(headers or {})}
        if length is not False:
            headers["Content-Length"] = str(len(body) if length is None else length)
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()

    def fault_status(self, status: int) -> None:
        self.send(status, b"<html><body>error</body></html>")

    def fault_429_retry_after(self) -> None:
        self.send(429, b"slow down", {"Retry-After": "1"})

    def fault_timeout(self) -> None:
        time.sleep(8)

    def fault_reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def fault_truncated(self) -> None:
        body = page("en")
        self.send(200, body[: len(body) // 3], length=len(body))

    def fault_slow_body(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2000\r\n\r\n")
        for _ in range(16):
            self.wfile.write(b"<p>")
            self.wfile.flush()
            time.sleep(0.5)

    def fault_empty_200(self) -> None:
        self.send(200, b"")

    def fault_challenge(self) -> None:
        self.send(503, CHALLENGE)

    def fault_captcha(self) -> None:
        self.send(200, CAPTCHA)

    def fault_redirect_loop(self) -> None:
        self.send(302, b"", {"Location": "/redirect-loop"})

    def fault_login_redirect(self) -> None:
        self.send(302, b"", {"Location": "/login?next=/login-redirect"})

    def fault_consent_redirect(self) -> None:
        self.send(302, b"", {"Location": "/consent?continue=/consent-redirect"})

    def fault_too_large(self) -> None:
        self.send(200, b"x" * (MAX_SIZE * 2))

    def fault_too_large_chunked(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"<p>" + b"x" * 65_536 + b"</p>"
        for _ in range(2 * MAX_SIZE // len(chunk) + 2):
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def fault_gzip_bomb(self) -> None:
        self.send(200, gzip.compress(b"\0" * (MAX_SIZE * 50)), {"Content-Encoding": "gzip"})

    def cut_short(self, encoding: str, compressed: bytes) -> None:
        """A compressed page whose stream stops halfway, in a response complete as HTTP (its
        Content-Length is what is sent): a proxy that lost its upstream, a cache that kept half."""
        self.send(200, compressed[: len(compressed) // 2], {"Content-Encoding": encoding})

    def fault_gzip_cut_short(self) -> None:
        self.cut_short("gzip", gzip.compress(page("en")))

    def fault_deflate_cut_short(self) -> None:
        self.cut_short("deflate", zlib.compress(page("en")))

    def fault_br_cut_short(self) -> None:
        self.cut_short("br", brotli.compress(page("en")))

    def fault_zstd_cut_short(self) -> None:
        self.cut_short("zstd", zstd.compress(page("en")))

    def fault_gzip_two_members(self) -> None:
        """Whole, though its trailer covers only its second half: gzip members one after another."""
        body = page("en")
        self.send(200, gzip.compress(body[:200]) + gzip.compress(body[200:]), {"Content-Encoding": "gzip"})

    def fault_deflate_raw(self) -> None:
        """Whole: deflate without zlib's wrapper, as some servers send it."""
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        self.send(200, compressor.compress(page("en")) + compressor.flush(), {"Content-Encoding": "deflate"})

    def fault_empty_gzip(self) -> None:
        """Nothing, labelled gzip: an empty page, not a stream cut short."""
        self.send(200, b"", {"Content-Encoding": "gzip"})

    def fault_br_whole(self) -> None:
        self.send(200, brotli.compress(page("en")), {"Content-Encoding": "br"})

    def fault_deflate_bomb(self) -> None:
        self.send(200, zlib.compress(b"\0" * (MAX_SIZE * 50)), {"Content-Encoding": "deflate"})

    def fault_br_bomb(self) -> None:
        self.send(200, brotli.compress(b"\0" * (MAX_SIZE * 50), quality=1), {"Content-Encoding": "br"})

    def fault_zstd_bomb(self) -> None:
        self.send(200, zstd.compress(b"\0" * (MAX_SIZE * 50)), {"Content-Encoding": "zstd"})

    def fault_charset_base64(self) -> None:
        """A charset label that names a Python codec but no text encoding: a browser ignores it."""
        self.send(200, page("fr", "base64"), {"Content-Type": "text/html; charset=base64"})

    def fault_charset_punycode(self) -> None:
        """A label of a codec that is text but not ASCII-compatible, refusing the page's bytes."""
        self.send(200, page("fr", "punycode"), {"Content-Type": "text/html; charset=punycode"})

    def fault_windows_1252_declared(self) -> None:
        self.send(200, page("fr", "windows-1252", "cp1252"), {"Content-Type": "text/html; charset=windows-1252"})

    def fault_windows_1252_undeclared(self) -> None:
        self.send(200, page("fr", None, "cp1252"))

    def fault_shift_jis_declared(self) -> None:
        self.send(200, page("ja", "shift_jis", "shift_jis"), {"Content-Type": "text/html; charset=shift_jis"})

    def fault_shift_jis_undeclared(self) -> None:
        self.send(200, page("ja", None, "shift_jis"))

    def fault_malformed_html(self) -> None:
        body = (page("en").replace(b"</p>", b"</span>").replace(b"class='policy'", b"class=policy id=a id=b")
                .replace(b"</body></html>", b"<b><div"))
        self.send(200, body)
