"""The generated parts of the docs (the README's layout, docs/cli.md) say what the code says now."""

from __future__ import annotations

import contextlib
import io

from cogapp import Cog

from helpers import PROJECT

GENERATED = ("README.md", "docs/cli.md")


def cog_check(*files: str) -> tuple[int, str]:
    """cog's exit status and what it said (it writes to the streams it finds when made)."""
    out = io.StringIO()
    with contextlib.chdir(PROJECT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = Cog().main(["cog", "--check", *files])
    return code, out.getvalue()


def test_the_generated_docs_are_up_to_date():
    code, said = cog_check(*GENERATED)
    assert code == 0, f"{said}\nrun `make docs` and commit the result"


def test_a_stale_generated_part_is_caught(tmp_path):
    stale = tmp_path / "stale.md"
    stale.write_text("<!-- [[[cog\ncog.out('now')\n]]] -->\nthen\n<!-- [[[end]]] -->\n")
    assert cog_check(str(stale))[0] != 0


def test_every_module_of_the_package_is_in_the_readme_layout():
    readme = (PROJECT / "README.md").read_text()
    missing = [p.relative_to(PROJECT).as_posix() for p in (PROJECT / "crawler").rglob("*.py")
               if p.name != "__init__.py" and f" {p.name} " not in readme]
    assert missing == []
