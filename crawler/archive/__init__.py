"""The archive (``archive.db``): schema and migrations, the writer (``store``), its lock, the chain
of custody, the Scrapy pipeline that feeds it, and the read-side summaries (history, status).

Readers open it with ``open_read_only``, defined here so that reading loads nothing of the writer.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

# sqlite-utils imports numpy whenever it is installed (py3langid installs it), only to store numpy
# values, which the archive never holds; that import was a tenth of a crawl's start-up (issue 20).
# Hidden while sqlite-utils loads, numpy is imported as usual by the code that uses it.
if "numpy" not in sys.modules:
    sys.modules["numpy"] = None
    import sqlite_utils

    del sys.modules["numpy"]
else:
    import sqlite_utils


def open_read_only(path: str | Path) -> sqlite_utils.Database:
    """The archive opened read-only: reading never creates, migrates or changes it (a missing file
    is an error, not a new empty archive). In a folder nothing can be written to (a read-only file
    system), SQLite cannot make the shared-memory file a WAL archive is read with; nobody can
    write the archive there either, so it is opened as immutable."""
    path = Path(path).resolve()
    immutable = "" if os.access(path.parent, os.W_OK) else "&immutable=1"
    return sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True))
