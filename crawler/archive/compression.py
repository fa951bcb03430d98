"""How ``bodies`` holds a capture's bytes: compressed, the codec named beside them.

Zstandard at level 3, the standard library's from Python 3.14 (``compression.zstd``) and its
backport before (which Scrapy already requires). On the real TikTok pages it takes 1.2 ms a 550 KB
page and stores it in a sixth of its size, where zlib at level 6 took 10 ms for a fifth: a first crawl
compresses every page it fetches, and that was a third of a fresh page's CPU (issue 20). Bodies
stored with zlib before (``compression`` = ``zlib``) are read as they are; none is rewritten.
"""

from __future__ import annotations

import sys
import zlib

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

CODEC = "zstd"
LEVEL = 3


class Undecodable(ValueError):
    """Stored bytes that their codec cannot read back: they were altered, or the codec is unknown."""


def pack(body: bytes) -> bytes:
    """A body as ``bodies`` stores it, under ``CODEC``."""
    return zstd.compress(body, level=LEVEL)


def unpack(codec: str | None, stored: bytes) -> bytes:
    """The bytes a body was, from what ``bodies`` holds: ``codec`` is its ``compression`` (None: kept as is)."""
    try:
        if codec == "zstd":
            return zstd.decompress(stored)
        if codec == "zlib":
            return zlib.decompress(stored)
    except (zstd.ZstdError, zlib.error) as exc:
        raise Undecodable(f"stored bytes cannot be decompressed ({exc})") from exc
    if codec is None:
        return stored
    raise Undecodable(f"unknown compression {codec!r}")
