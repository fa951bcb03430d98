"""What a capture is: a policy text to version, or a failure to record as such.

``analyse`` runs in worker processes (it parses and converts whole pages), so it takes and returns
plain data. A capture is a version candidate only when it is ``ok``; everything else (HTTP errors,
bot walls, empty pages, network errors, bodies over the size limit) is recorded with its outcome
and never starts or ends a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from crawler.common.outcomes import BLOCKED, EMPTY, HTTP_ERROR, NETWORK_ERROR, OK, WRONG_LANGUAGE
from crawler.capture.items import Capture
from crawler.common.clock import parse as parse_time
from crawler.common.digests import sha256
from crawler.declarations.catalog import Rules, Variant
from crawler.text.pdf import PDF_TYPE, UnreadablePdf, is_pdf, pdf_text
from crawler.text.extract import SelectorMiss, comparable, comparable_normalized, decode, extract_counted, normalize


# Fewer words (or, for scripts written without spaces, letters) than this is not a policy: a stub,
# a shell page, an error text.
MIN_WORDS, MIN_LETTERS = 30, 150
# A text whose words are mostly link labels is a menu or a script-rendered shell, not a policy.
MAX_LINK_SHARE = 0.5
_LINK_LABEL = re.compile(r"\[([^\]]*)\]\(")
_WORD = re.compile(r"\w+")
# Bytes that are no text (an image, an archive, a font) decode to control characters and U+FFFD; a
# real page, mojibake included, has next to none. Above this share of the first characters, the body
# is recorded as no text rather than read as words of some language.
MAX_CONTROL_SHARE, _SAMPLE = 0.05, 65_536
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")

# Markers of challenge, captcha, access-denied and consent-wall pages, looked for in the first bytes
# of a body (lowercased), and the titles such pages carry. Plain substrings: a regular expression with
# this many alternatives costs more than the rest of the classification on a 500 KB page.
_WALL_MARKERS = (
    b"cf-chl-", b"challenge-platform", b"cf-browser-verification", b"attention required! | cloudflare",
    b"g-recaptcha", b"h-captcha", b"hcaptcha.com", b"captcha-delivery", b"px-captcha", b"are you a robot",
    b"verify you are human", b"verify you are a human", b"unusual traffic from your computer",
    b"consent.google.com", b"consent.youtube.com", b"/consent/", b"guce.oath.com", b"consent.yahoo.com",
)
_WALL_TITLES = (b"just a moment", b"access denied", b"before you continue")
_TITLE = re.compile(rb"<title[^>]*>\s*([^<]{0,80})")


def _is_wall(body: bytes) -> bool:
    head = body[:200_000].lower()
    title = _TITLE.search(head)
    return any(m in head for m in _WALL_MARKERS) or bool(title and title.group(1).startswith(_WALL_TITLES))


def _blank(body: bytes) -> bool:
    """Empty or only whitespace, without copying a large body as ``strip()`` would."""
    return not body or body.isspace()


# Where a redirect to a sign-in or consent page ends: the policy was not served.
_LOGIN = re.compile(r"/(log-?in|sign-?in|accounts/login|auth|sso|session/new|consent)(/|\?|$)|//consent\.", re.IGNORECASE)


@dataclass(frozen=True)
class Analysis:
    """What a capture says. ``key`` is the SHA-256 of the text as compared (``extract.comparable``),
    computed where the text was extracted (a worker process) so the archive's writer never has to;
    ``words`` against ``page_words`` is how much of what its page shows the extraction kept."""

    outcome: str
    text: str | None = None
    detail: str | None = None
    language: str | None = None
    key: str | None = None
    words: int | None = None  # visible words of the text
    page_words: int | None = None  # visible words of the whole page (None: a text extracted elsewhere)
    pages: tuple["Analysis", ...] = ()  # each page's, for a multi-page document (crawler/text/pages.py)


# Language is told from three samples (start, middle, end) of SAMPLE characters each: a policy is
# one language throughout, py3langid's cost grows with the length (1.2 ms for 6,000 characters, 0.6
# for 3,000), and samples spread over the text are not fooled by a header or a footer in another
# language. A text that seems not to be in the language declared is told again from samples of
# CONFIRM characters before it is refused: the short look decides the usual case, the long one a refusal.
SAMPLE, CONFIRM = 1_000, 2_000


def _samples(text: str, size: int) -> str:
    middle = max(0, len(text) // 2 - size // 2)
    return text if len(text) <= 3 * size else "\n".join((text[:size], text[middle:middle + size], text[-size:]))


def detect_language(text: str, declared: str | None = None) -> str:
    """ISO 639-1 code of the text's language (py3langid, on three samples of the text), looked at
    again on longer samples when it is not ``declared``.

    py3langid (and numpy with it) is imported here, not with the module: an unchanged capture
    tells no language, and the import costs a crawl's start-up about 0.1 s (issue 20)."""
    import py3langid

    detected = py3langid.classify(_samples(text, SAMPLE))[0]
    if declared and detected != declared and len(text) > 3 * SAMPLE:
        detected = py3langid.classify(_samples(text, CONFIRM))[0]
    return detected


def prepare_extraction() -> None:
    """Load py3langid's model (about 0.4 s) and build the character classes of ``extract`` (about
    0.15 s) in this process. The crawl calls it just before its extraction workers fork, so that they
    share one copy instead of each making its own at its first page."""
    detect_language("")
    comparable("")


def classify_response(status: int | None, body: bytes, error_kind: str | None, error: str | None,
                      requested_url: str | None = None, final_url: str | None = None,
                      known_readable: bool = False) -> Analysis | None:
    """The failure outcome of a response, or None when its body is worth extracting.

    ``known_readable`` says the body is byte for byte one already found readable: it is not looked
    through again for walls (a scan of its first 200 KB), only the exchange around it is judged.
    """
    if error is not None:
        return Analysis(error_kind or NETWORK_ERROR, detail=error)
    if final_url and final_url != requested_url and _LOGIN.search(final_url) and not _LOGIN.search(requested_url or ""):
        return Analysis(BLOCKED, detail=f"redirected to a sign-in or consent page: {final_url}")
    if not known_readable and _is_wall(body):
        return Analysis(BLOCKED, detail=f"challenge or captcha page (HTTP {status})")
    if status is None:  # a saved file: no HTTP exchange to judge
        return Analysis(EMPTY, detail="empty file") if _blank(body) else None
    if status in (401, 403, 429):
        return Analysis(BLOCKED, detail=f"HTTP {status}")
    if not 200 <= status < 300:  # an error, or an answer that is not the page (304, a 302 with no Location)
        return Analysis(HTTP_ERROR, detail=f"HTTP {status}")
    if _blank(body):
        return Analysis(EMPTY, detail="empty body")
    return None


def analyse(status: int | None, body: bytes, content_type: str | None, url: str | None, rules: Rules,
            error_kind: str | None = None, error: str | None = None, is_text: bool = False,
            language: str | None = None, requested_url: str | None = None) -> Analysis:
    """Classify a capture and, when it is a page, extract its normalised text.

    ``is_text`` marks a body that is already extracted Markdown (imports of other archives' versions).
    ``language`` is the declared one: a text detected in another language is not a version of it.
    """
    failure = classify_response(status, body, error_kind, error, requested_url, url)
    if failure:
        return failure
    page_words = None
    if is_text:
        text = normalize(decode(body, "text/plain"))
    elif is_pdf(body, content_type):
        try:
            text = normalize(pdf_text(body))
        except UnreadablePdf as exc:
            return Analysis(EMPTY, detail=str(exc))
    else:
        try:
            extracted = extract_counted(page_text(body, content_type), rules)
            text, page_words = extracted.text, extracted.page_words
        except (NotText, SelectorMiss) as exc:
            return Analysis(EMPTY, detail=str(exc))
    words = len(list(islice(_WORD.finditer(text), MIN_WORDS)))  # counted whole only when under MIN_WORDS
    if words < MIN_WORDS and len(re.findall(r"\w", text)) < MIN_LETTERS:
        return Analysis(EMPTY, detail=f"extracted text has {words} words")
    compared = comparable_normalized(text)
    tokens = compared.split()
    linked = sum(len(_WORD.findall(label)) for label in _LINK_LABEL.findall(text))
    # Each token of ``compared`` holds a word or more: the words are counted only when the links
    # could be their majority.
    if linked > MAX_LINK_SHARE * len(tokens) and linked > MAX_LINK_SHARE * (visible := len(_WORD.findall(compared))):
        return Analysis(EMPTY, detail=f"navigation only: {linked} of {visible} words are links (a page shell, not the policy)")
    declared = language.split("-")[0].lower() if language else None
    detected = detect_language(text, declared)
    if declared and detected != declared:
        return Analysis(WRONG_LANGUAGE, detail=f"text is in {detected!r}, the variant in {language!r}", language=detected)
    return Analysis(OK, text=text, language=detected, key=sha256(compared), words=len(tokens),
                    page_words=page_words)


class NotText(ValueError):
    """Bytes that are no text (an image, an archive, a font) where a page was expected."""


# Media types of data, code and media: a body served as one is no page, whatever words it holds (an
# API's JSON where the policy was, a script, a stylesheet, an SVG image). HTML, XHTML, XML, plain
# text and untyped bodies are read; PDF is read before this.
_NOT_A_PAGE = re.compile(r"\s*(?:(?:image|audio|video|font|model)/|[\w.+-]+/(?:[\w.-]+\+)?(?:x-)?"
                         r"(?:json|javascript|ecmascript|css|wasm)\s*(?:;|$))", re.IGNORECASE)


def page_text(body: bytes, content_type: str | None = None) -> str:
    """The page's bytes as text (``extract.decode``); NotText when they are no text, or are served as
    a type that is no page, rather than words of no language, or a JSON document's, that would be
    counted, compared, language-detected and versioned."""
    if content_type and _NOT_A_PAGE.match(content_type):
        raise NotText(f"not a page: served as {content_type.split(';')[0].strip()}, a type of data, code or media "
                      f"(the URL may now answer with an API's data or a file)")
    decoded = decode(body, content_type)
    controls = len(_CONTROL.findall(decoded, 0, _SAMPLE)) / max(min(len(decoded), _SAMPLE), 1)
    if controls > MAX_CONTROL_SHARE:
        raise NotText(f"not text: {controls:.0%} of its first characters are control or undecodable characters "
                      f"(Content-Type: {content_type or 'none'}); an image or a file, not a page")
    return decoded


def selection_coverage(body: bytes, rules: Rules) -> tuple[int, int]:
    """The visible words of what ``rules`` select from a page, and of the whole page (``validate
    --against``). Raises SelectorMiss when the selectors match nothing, NotText for bytes that are no page."""
    extracted = extract_counted(page_text(body), rules)
    return len(comparable_normalized(extracted.text).split()), extracted.page_words


def analyse_capture(capture: Capture, variant: Variant, is_text: bool = False) -> Analysis:
    """``analyse`` as the crawl, imports and backfills all call it: with the variant's selectors of
    the capture's date and its declared language. A capture with no URL (a saved file) stands at the
    declared URL, with no redirect to judge (the capture keeps no URL)."""
    url = capture.final_url or capture.requested_url or variant.url
    return analyse(capture.status, capture.body, declared_type(capture, variant), url,
                   variant.rules_at(parse_time(capture.fetched_at)), capture.error_kind, capture.error, is_text=is_text,
                   language=variant.language, requested_url=capture.requested_url or url)


def declared_type(capture: Capture, variant: Variant) -> str | None:
    """The capture's media type, or PDF when the variant declares ``format: pdf``: a PDF served as
    ``application/octet-stream`` (or behind a download link) is still read as one."""
    return PDF_TYPE if variant.format == "pdf" else capture.content_type
