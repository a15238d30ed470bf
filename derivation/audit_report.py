"""The report of an accuracy audit (see :mod:`derivation.audit`): per compared quantity, the
values checked, the median and worst error in ulps, the NaN and overflow counts, and the
worst inputs; a verdict for the whole.

>>> import likelihoods as lk
>>> from derivation.audit import audit
>>> print(audit(lk.Exponential(), progress=False))  # doctest: +ELLIPSIS
Accuracy audit of Exponential(rate='log'), full NLL, against mpmath from the declared log-density
quantity   values  median ulps  worst ulps  NaN  overflow  failed
loss       ...
verdict: pass ...
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np


@dataclass
class AuditReport:
    """What :func:`derivation.audit.audit` found: ``records`` (every compared value),
    ``failures`` (those that did not pass) and ``verdict`` (``"pass"`` or ``"fail"``)."""

    model: object
    nll: bool
    records: list

    def __post_init__(self) -> None:
        self.failures = [r for r in self.records if not r.ok()]
        self.verdict = "fail" if self.failures else "pass"

    def rows(self) -> list[dict]:
        """One row per quantity (the loss, each gradient): the table's numbers."""
        rows = []
        for what in dict.fromkeys(r.what for r in self.records):
            mine = [r for r in self.records if r.what == what]
            defined = [r for r in mine if r.expected is not None]
            errors = [r.ulps for r in defined]
            rows.append(
                {
                    "quantity": what,
                    "values": len(mine),
                    "median_ulps": statistics.median(errors) if errors else 0.0,
                    "worst_ulps": max(errors, default=0.0),
                    "nan": sum(1 for r in mine if r.got != r.got),
                    "overflow": sum(1 for r in mine if math.isinf(r.got)),
                    "failed": sum(1 for r in self.failures if r.what == what),
                }
            )
        return rows

    def worst(self, count: int = 5) -> list:
        """The failed values with the largest errors (or, if none failed, the worst ones)."""
        pool = self.failures or [r for r in self.records if r.expected is not None]
        return sorted(pool, key=lambda r: -r.ulps)[:count]

    def __str__(self) -> str:
        kind = "full NLL" if self.nll else "loss"
        lines = [
            f"Accuracy audit of {self.model!r}, {kind}, against mpmath from the declared "
            "log-density",
            f"{'quantity':<10} {'values':>6}  {'median ulps':>11}  {'worst ulps':>10}  "
            f"{'NaN':>3}  {'overflow':>8}  {'failed':>6}",
        ]
        for row in self.rows():
            lines.append(
                f"{row['quantity']:<10} {row['values']:>6}  {_ulps(row['median_ulps']):>11}  "
                f"{_ulps(row['worst_ulps']):>10}  {row['nan']:>3}  {row['overflow']:>8}  "
                f"{row['failed']:>6}"
            )
        title = "worst failed inputs" if self.failures else "worst inputs"
        lines.append(f"{title} (target, raw outputs -> got, expected):")
        for r in self.worst():
            target, raw = r.point
            expected = "undefined" if r.expected is None else f"{float(r.expected):.17g}"
            lines.append(
                f"  {r.what}: {_value(target)}, {[_value(x) for x in raw]} -> "
                f"{r.got:.17g}, {expected}"
            )
        checked = len(self.records)
        lines.append(
            f"verdict: {self.verdict} ({checked - len(self.failures)} of {checked} values "
            "within 4 ulps, 1e-13 relative or the inputs' rounding)"
        )
        return "\n".join(lines)


def _ulps(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.3g}"


def _value(x) -> object:
    array = np.asarray(x, float)
    return float(array) if array.ndim == 0 else array.tolist()


__all__ = ["AuditReport"]
