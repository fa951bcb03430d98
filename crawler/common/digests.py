"""The one digest the archive names things by: SHA-256, in hex, of bytes or of UTF-8 text."""

from __future__ import annotations

import hashlib


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()
