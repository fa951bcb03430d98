"""What the README's layout table and docs/cli.md are generated from, by cog (``make docs``).

The layout comes from the modules' own docstrings, the CLI reference from ``--help``: neither can
drift from the code, and ``tests/test_docs.py`` fails when a generated part is out of date.
"""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

PROJECT = Path(__file__).resolve().parent.parent
# The stages in the order data flows (docs/decisions/0007-packages-by-stage.md).
STAGES = ("common", "declarations", "capture", "text", "archive", "fleet", "evidence", "intake", "web")
TOP_LEVEL = (
    ("policies/", "declarations of real services, one file per service"),
    ("schedules.py", "the scheduler (APScheduler): each service crawled on its cron schedule"),
    ("scrapy.cfg", "Scrapy project file: `scrapy crawl policies` works too"),
    ("tests/", "the test suite (`make test`)"),
    ("bench/", "benchmarks (`make bench`), see bench/README.md"),
    ("docs/", "decision records, the CLI reference, and this generator"),
    ("Makefile", "`make demo`, `make test`, `make docs`"),
)


def summary(path: Path, width: int = 96) -> str:
    """What a module is for: its docstring up to the first full stop, and, when that is long, up to
    the first colon or semicolon."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(doc.split("\n\n")[0].split()).replace("``", "")
    first = first.split(". ")[0].rstrip(".")
    for mark in (": ", "; "):
        if len(first) > width and mark in first:
            first = first.split(mark)[0]
    return first


def _rows(package: Path, depth: int) -> list[tuple[str, str]]:
    rows = []
    for path in sorted(p for p in package.iterdir() if p.suffix == ".py" and p.name != "__init__.py"):
        rows.append(("  " * depth + path.name, summary(path)))
    for sub in sorted(p for p in package.iterdir() if (p / "__init__.py").exists()):
        rows.append(("  " * depth + sub.name + "/", summary(sub / "__init__.py")))
        rows += _rows(sub, depth + 1)
    return rows


def layout() -> str:
    """The README's layout: every package by stage, every module with what it is for."""
    crawler = PROJECT / "crawler"
    rows = [("crawler/", summary(crawler / "__init__.py"))]
    for name in STAGES:
        rows.append((f"  {name}/", summary(crawler / name / "__init__.py")))
        rows += _rows(crawler / name, 2)
    for top in ("cli", "demo"):
        rows.append((f"  {top}/", summary(crawler / top / "__init__.py")))
        rows += _rows(crawler / top, 2)
    rows += list(TOP_LEVEL)
    width = max(len(where) for where, _ in rows) + 2
    return "```\n" + "".join(f"{where:<{width}}{what}\n" for where, what in rows) + "```\n"


def cli_reference() -> str:
    """Every command's ``--help``, as the command prints it."""
    from crawler.cli import cli

    out = []
    for name in [None, *sorted(cli.commands)]:
        args = [name, "--help"] if name else ["--help"]
        result = CliRunner().invoke(cli, args, prog_name="policyarchive", terminal_width=100)
        title = f"policyarchive {name}" if name else "policyarchive"
        out.append(f"## {title}\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(out)
