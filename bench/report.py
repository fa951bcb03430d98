"""Figures and the final table: each benchmark returns ``Figure``s, printed as they come and at the end."""

from __future__ import annotations

import operator
from dataclasses import dataclass

_COMPARE = {">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True)
class Figure:
    """One measured figure, its target (``op`` and ``limit``), and the baseline measured beside it.

    ``ratio`` is how the figure compares with the baseline, said in ``ratio_note`` (for example
    "pipeline / bare spider"); a figure without a target (``limit`` None) is context only.
    """

    name: str
    value: float
    unit: str
    op: str | None = None
    limit: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    ratio_note: str = ""
    note: str = ""
    on_ratio: bool = False  # the target applies to the ratio, not to the figure

    @property
    def target(self) -> str:
        if self.limit is None:
            return "-"
        return f"ratio {self.op} {self.limit:g}x" if self.on_ratio else f"{self.op} {_number(self.limit)} {self.unit}"

    @property
    def met(self) -> str:
        if self.limit is None:
            return "-"
        measured = self.ratio if self.on_ratio else self.value
        return "yes" if measured is not None and _COMPARE[self.op](measured, self.limit) else "NO"


def _number(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def line(figure: Figure) -> str:
    """A figure as the benchmark prints it when measured."""
    text = f"  {figure.name}: {_number(figure.value)} {figure.unit}"
    if figure.limit is not None:
        text += f"  (target {figure.target}: {'met' if figure.met == 'yes' else 'NOT met'})"
    if figure.baseline is not None:
        text += f"; baseline {_number(figure.baseline)} {figure.unit}"
    if figure.ratio is not None:
        text += f"; ratio {figure.ratio:.2f}x ({figure.ratio_note})"
    if figure.note:
        text += f"; {figure.note}"
    return text


def table(figures: list[Figure]) -> str:
    """The final table: name, figure, baseline, ratio, target, met."""
    rows = [("benchmark figure", "figure", "baseline", "ratio", "target", "met")]
    for f in figures:
        rows.append((f.name, f"{_number(f.value)} {f.unit}", f"{_number(f.baseline)}" if f.baseline is not None else "-",
                     f"{f.ratio:.2f}x" if f.ratio is not None else "-", f.target, f.met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
