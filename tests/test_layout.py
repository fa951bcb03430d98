"""The house: packages by stage, data flowing one way, no import circles, and docs that cannot drift.

Every ``crawler`` import is read from the source (top-level and inside functions alike), so a
lazy import that walks around the rule is caught too.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata

from packaging.utils import canonicalize_name

from helpers import PROJECT

# The stages in the order data flows (docs/decisions/0007-packages-by-stage.md); a module may
# import its own stage or an earlier one, never a later one.
STAGES = ("common", "declarations", "capture", "text", "archive", "fleet", "evidence", "intake", "web")
TOP = len(STAGES)  # crawler.cli, crawler.demo, the package itself and schedules.py: they may import anything


def modules() -> dict[str, ast.Module]:
    """Every module of the package and schedules.py, by dotted name, parsed."""
    found = {}
    for path in sorted((PROJECT / "crawler").rglob("*.py")):
        parts = path.relative_to(PROJECT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    found["schedules"] = ast.parse((PROJECT / "schedules.py").read_text(encoding="utf-8"))
    return found


def imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in it (``from crawler.x import y`` names
    the module ``crawler.x.y`` when there is one, else ``crawler.x``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] in ("crawler", "schedules")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in ("crawler", "schedules"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
    return {m for m in out if m != name}


def stage(name: str) -> int:
    parts = name.split(".")
    if parts[0] == "crawler" and len(parts) > 1 and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return TOP


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, tree, known) for name, tree in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), i.e. the import circles."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return result


def test_every_module_belongs_to_a_stage_or_the_top():
    strays = [name for name in graph() if name.count(".") == 1 and name.split(".")[1] not in STAGES + ("cli", "demo")]
    assert strays == []


def test_no_module_imports_from_a_later_stage():
    against = sorted(f"{name} ({STAGES[stage(name)]}) imports {target}"
                     for name, targets in graph().items() if stage(name) < TOP
                     for target in targets if stage(target) > stage(name))
    assert against == []


def test_the_package_has_no_import_circle():
    assert cycles(graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_reading_the_archive_loads_nothing_of_the_writer():
    """The lock and the read-only opener are light: no extraction libraries behind them."""
    code = ("import sys, crawler.archive.lock, crawler.archive; "
            "print(sorted(m for m in ('selectolax', 'lxml', 'py3langid', 'jsonschema', 'scrapy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True)
    assert result.stdout.strip() == "[]"



def _declared(extra: str | None = None) -> set[str]:
    """The distributions pyproject.toml declares (its ``dependencies``, or an optional extra), normalised."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {canonicalize_name(re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]) for spec in specs}


def _imports(tree):
    """The imports of ``tree``, but those under ``if sys.version_info >= (3, N):`` for a later Python
    than this one: the standard library there (``compression.zstd`` from 3.14), where this one takes
    the ``else``, a backport that must be declared."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        later = (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and isinstance(node.test.ops[0], ast.GtE)
                 and ast.unparse(node.test.left) == "sys.version_info"
                 and sys.version_info < ast.literal_eval(node.test.comparators[0]))
        pending += node.orelse if later else ast.iter_child_nodes(node)


def _third_party(trees) -> set[str]:
    """The top-level names of every module ``trees`` import that neither the standard library nor the
    project itself provides."""
    names = set()
    for tree in trees:
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    local = {p.stem for p in (PROJECT / "tests").rglob("*")} | {"crawler", "schedules", "bench", "docs"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local and n != "__future__"}


def _undeclared(trees, declared: set[str]) -> list[str]:
    distributions = metadata.packages_distributions()
    return sorted(f"{name} (from {', '.join(distributions.get(name, ['no installed distribution']))})"
                  for name in _third_party(trees)
                  if not {canonicalize_name(d) for d in distributions.get(name, [])} & declared)


def test_every_library_the_package_imports_is_a_declared_dependency():
    """A clean install gets only what pyproject.toml names: a library that arrives here as another's
    dependency, or was installed by hand, would fail there."""
    assert _undeclared(modules().values(), _declared()) == []


def test_every_library_the_tests_and_benchmarks_import_is_declared_for_the_tests():
    paths = sorted((PROJECT / "tests").rglob("*.py")) + sorted((PROJECT / "bench").glob("*.py"))
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in paths]
    assert _undeclared(trees, _declared() | _declared("test")) == []
