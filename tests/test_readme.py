"""The README documents the schema as it really is."""

import re

from helpers import PROJECT
from crawler.archive.store import Archive


def test_the_readme_schema_table_matches_the_archive(tmp_path):
    readme = (PROJECT / "README.md").read_text()
    documented = {
        m.group(1): re.findall(r"`([a-z_0-9]+)`", m.group(2))
        for m in re.finditer(r"^\| `([a-z_]+)` \| [^|]+ \| (.+) \|$", readme, re.MULTILINE)
    }
    archive = Archive(tmp_path / "archive.db")
    actual = {t: [c.name for c in archive.db[t].columns] for t in archive.db.table_names()
              if not t.startswith("_") and "_fts" not in t}
    archive.close()
    assert documented == actual
