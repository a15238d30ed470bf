"""Rules for derivatives taken across a kink: the second derivative of |x|, of a sign or of
a step is a Dirac delta at an isolated point, zero almost everywhere. A Hessian is the
derivative of a gradient sample by sample, so a point mass there has no value to give: the
rule drops it, as every autograd and boosting library does (the L1 loss' Hessian is 0).

An expectation needs the point mass (the Fisher information, :mod:`derivation.fisher`); a
two-piece function written as a Piecewise hides it, since sympy differentiates the pieces
one by one. ``piecewise_as_steps`` writes such a function with a step, whose derivative
carries the jump between the pieces as a Dirac delta.

>>> import sympy
>>> g = sympy.Symbol("g", real=True)
>>> piecewise_as_steps(sympy.Piecewise((-1, g <= 0), (2, True)))
3*Heaviside(g) - 1
"""

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


def piecewise_as_steps(expr: sympy.Expr) -> sympy.Expr:
    """Each two-piece Piecewise((A, g <= 0), (B, True)) of ``expr`` (or g < 0, or g >= 0
    with the pieces exchanged) as A + (B - A) Heaviside(g); others are left as they are."""

    def as_step(piecewise: sympy.Piecewise) -> sympy.Expr:
        if len(piecewise.args) != 2 or piecewise.args[1].cond is not sympy.true:
            return piecewise
        (a, condition), (b, _) = piecewise.args
        if isinstance(condition, (sympy.Le, sympy.Lt)):
            g = condition.lhs - condition.rhs
        elif isinstance(condition, (sympy.Ge, sympy.Gt)):
            g = condition.rhs - condition.lhs
        else:
            return piecewise
        # equal to the Piecewise except at g = 0, a set of measure zero
        return a + (b - a) * sympy.Heaviside(g)

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), as_step)


PIECEWISE_AS_STEPS = Rule(
    "piecewise_as_steps",
    "local",
    matches="Piecewise((A, g <= 0), (B, True))",
    writes="A + (B - A)*Heaviside(g)",
    identity="the two agree wherever g != 0; the step's derivative holds the jump B - A",
    rewrite=piecewise_as_steps,
)

__all__ = ["DROP_POINT_MASSES", "PIECEWISE_AS_STEPS", "drop_point_masses", "piecewise_as_steps"]
