"""The accuracy audit of a derived model: its compiled loss and every gradient against mpmath
computed from the declared log-density, over every input's declared domain, the support's
edges and the extremes of float64 (see :mod:`derivation.audit_reference`).

A value passes when it is within 4 ulps or 1e-13 relative of the reference where that is a
finite float64, or, where the problem itself is ill-conditioned, within what rounding each
input by 4 ulps would change; an infinity of the right sign where the reference overflows;
never NaN. :func:`audit` returns an :class:`AuditReport`, which prints as a table.

>>> import likelihoods as lk
>>> report = audit(lk.Exponential(), progress=False)
>>> report.verdict
'pass'
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from .audit_reference import grid, reference_functions

WORK_DIGITS = 520  # working precision: log(1 + e^-1000) needs some 435 digits to see e^-1000
FLOAT64_MAX = mpmath.mpf(np.finfo(np.float64).max)


@dataclass
class Record:
    """One compared value: what it is (``"loss"`` or ``"d/draw[k]"``), the inputs, the float64
    result, the reference (an mpmath number, None where undefined) and what is needed to
    evaluate the reference's sensitivity to its inputs."""

    what: str
    point: tuple
    got: float
    expected: object
    reference: tuple

    def ok(self) -> bool:
        """Whether the value passes (see the module docstring)."""
        if self.expected is None:
            return self.got == self.got  # a limit where the formula is undefined, not NaN
        if acceptable(self.got, self.expected):
            return True
        if math.isnan(self.got) or abs(self.expected) > FLOAT64_MAX:
            return False
        return abs(mpmath.mpf(self.got) - self.expected) <= self.conditioning()

    def conditioning(self):
        """4 eps times sum_i |x_i df/dx_i|: the spread of f over inputs rounded by 4 ulps."""
        f, args, divisor = self.reference
        total = mpmath.mpf(0)
        with mpmath.workdps(WORK_DIGITS):
            for i, x in enumerate(args):
                if x == 0:
                    continue

                def along(t, i=i):
                    moved = list(args)
                    moved[i] = t
                    return f(*moved)

                try:
                    total += abs(x * mpmath.diff(along, x))
                except (ZeroDivisionError, ValueError):
                    return mpmath.mpf(0)
        if divisor is not None:
            total /= abs(divisor)
        return 4 * mpmath.mpf(2) ** -52 * total

    @property
    def ulps(self) -> float:
        return math.inf if self.expected is None else error_in_ulps(self.got, self.expected)


def error_in_ulps(got: float, expected) -> float:
    """|got - expected| in units of the last place of float(expected); inf for a wrong
    infinity or a NaN."""
    if math.isnan(got):
        return math.inf
    if abs(expected) > FLOAT64_MAX:
        return 0.0 if math.isinf(got) and (got > 0) == (expected > 0) else math.inf
    exp_float = float(expected)
    spacing = np.spacing(abs(exp_float)) if exp_float != 0 else 5e-324
    return float(abs(mpmath.mpf(got) - expected) / mpmath.mpf(float(spacing)))


def acceptable(got: float, expected) -> bool:
    """Within 4 ulps or 1e-13 relative where finite; the right infinity where not."""
    if math.isnan(got):
        return False
    if abs(expected) > FLOAT64_MAX:
        return math.isinf(got) and (got > 0) == (expected > 0)
    if math.isinf(got):
        return False
    error = abs(mpmath.mpf(got) - expected)
    spacing = mpmath.mpf(float(np.spacing(abs(float(expected)))))
    return error <= max(4 * spacing, mpmath.mpf("1e-13") * abs(expected))


def sweep(model, nll: bool = True, progress: bool = False) -> list[Record]:
    """A :class:`Record` for the loss (or the full NLL) and every gradient at every point of
    the audit's grid."""
    from .derive import derive

    _check_sweepable(model)
    d = derive(model)
    functions, constant_names = reference_functions(model)
    fn = d.compile(nll=nll)
    # Symbolic fixed parameters at 1.5, or mid-domain (the NLL holds all; the loss maybe fewer).
    constants = {c: _fixed_value(model, c) for c in d.compile(nll=True).constants}
    passed = {c: constants[c] for c in fn.constants}
    points = grid(model)
    records = []
    with mpmath.workdps(WORK_DIGITS):
        for n, (target, raw) in enumerate(points):
            if progress:
                print(f"\raudit {model!r}: {n + 1}/{len(points)} points", end="", file=sys.stderr)
            arrays = [np.array([target]), *(np.array([r]) for r in raw)]
            loss, grads = fn.loss_and_grad(*arrays, reduction="sum", **passed)
            flat = [v for x in (target, *raw) for v in np.atleast_1d(x)]
            args = [mpmath.mpf(float(v)) for v in flat]
            args += [mpmath.mpf(constants.get(c, _fixed_value(model, c))) for c in constant_names]
            scale, shift = (None, 0) if nll else _scale_and_constant(model, d, flat, constants)
            expected = _safe(functions[0], args)
            if expected is not None and not nll:
                expected = None if shift is None else (expected - shift) / scale
            point = (target, raw)
            records.append(Record("loss", point, float(loss), expected, (functions[0], args, None)))
            got = [v for g in grads for v in np.atleast_1d(g[0])]
            for k, g in enumerate(got):
                e = _safe(functions[1 + k], args)
                if scale is not None and e is not None:
                    e = e / scale
                reference = (functions[1 + k], args, scale)
                records.append(Record(f"d/draw[{k}]", point, float(g), e, reference))
    if progress:
        print(file=sys.stderr)
    return records


def _fixed_value(model, name: str) -> float:
    """The value a symbolic fixed parameter takes in the audit: 1.5, or the middle of its
    domain where 1.5 is outside it (a quantile level)."""
    choice = model.choices.get(name)
    domain = choice.parameter.domain if choice is not None else None
    if domain is None or (domain.lower < 1.5 < domain.upper):
        return 1.5
    return (domain.lower + domain.upper) / 2 if math.isfinite(domain.upper) else domain.lower + 1.5


def _scale_and_constant(model, d, flat, constants):
    """The derivation's scale and dropped constant at this point, as mpmath numbers (the
    constant None where it cannot be evaluated: a target over classes)."""
    # at the working precision: a Float of 15 digits would carry its precision into the logs
    subs = {model.parameter_symbol(c): sympy.Float(v, WORK_DIGITS) for c, v in constants.items()}
    if not isinstance(d.target, sympy.IndexedBase):
        subs[d.target] = sympy.Float(flat[0], WORK_DIGITS)
    scale = mpmath.mpf(str(sympy.N(d.scale.subs(subs), WORK_DIGITS)))
    if isinstance(d.target, sympy.IndexedBase):
        return scale, (mpmath.mpf(0) if d.constant == 0 else None)
    constant = sympy.N(d.constant.subs(subs), WORK_DIGITS)
    # a constant that is infinite here (log y at y = 0) leaves the loss without a reference
    return scale, (mpmath.mpf(str(constant)) if constant.is_finite else None)


def _safe(f, args):
    try:
        value = f(*args)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None  # undefined at this point (e.g. log 0 times 0 as a limit)
    return value if mpmath.isfinite(value) or mpmath.isinf(value) else None


def _check_sweepable(model) -> None:
    """Refuse what the grid cannot sweep: a vector target off the simplex, a matrix."""
    support = model.target.support
    matrices = [n for n, c in model.choices.items() if c.parameter.domain.matrix]
    if matrices or (support.event and not support.sums_to_one):
        what = (
            f"the matrix {matrices[0]}"
            if matrices
            else "a ranking as its target"
            if support.permutation
            else "a target vector of real numbers"
        )
        raise ValueError(
            f"audit: {model.name} has {what}; the audit sweeps scalars and vectors over "
            "classes only (compare such a model with a reference density at high precision "
            "instead)"
        )


def audit(model, nll: bool = True, progress: bool = True):
    """Audit ``model`` (see the module docstring); ``progress`` counts the points on stderr."""
    from .audit_report import AuditReport

    return AuditReport(model, nll, sweep(model, nll=nll, progress=progress))


__all__ = ["audit", "sweep", "Record", "acceptable", "error_in_ulps"]
