"""Rules for derivatives taken across a kink: the second derivative of |x|, of a sign or of
a step is a Dirac delta at an isolated point, zero almost everywhere. A Hessian is the
derivative of a gradient sample by sample, so a point mass there has no value to give: the
rule drops it, as every autograd and boosting library does (the L1 loss' Hessian is 0)."""

from __future__ import annotations

import sympy

from .base import Rule


def drop_point_masses(expr: sympy.Expr) -> sympy.Expr:
    # DiracDelta(x) = 0 for every x != 0: the value of a density-free derivative a.e.
    if not expr.has(sympy.DiracDelta):
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)


DROP_POINT_MASSES = Rule(
    "drop_point_masses",
    "local",
    matches="DiracDelta(x) (the derivative of sign(x), Heaviside(x) or |x|')",
    writes="0",
    identity="DiracDelta(x) = 0 for x != 0: zero almost everywhere, as a per-sample Hessian",
    rewrite=drop_point_masses,
)

__all__ = ["DROP_POINT_MASSES", "drop_point_masses"]
