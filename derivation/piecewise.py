"""Piecewise densities in the canonical reduction: what a branch holds that does not depend on
the raw outputs is a constant of the loss like any other, and a factor every branch shares is
a factor of the loss.

A density declared by cases (a point mass mixed in, a check function, a quadratic core with
linear tails) gives a negative log-likelihood with one ``Piecewise`` term.
:func:`split_piecewise` rewrites each such term so that the rule of
:mod:`derivation.canonical` applies to it unchanged:

* Piecewise((a + c1, C), (b + c2, True)) = Piecewise((a, C), (b, True))
  + Piecewise((c1, C), (c2, True)), with c1, c2 and the conditions C free of the outputs:
  the second term is dropped with the other constants (the log y! of a count's branch);
* Piecewise((g a, C), (g b, True)) = g Piecewise((a, C), (b, True)) for the greatest common
  factor g of the branches free of outputs and target (the 1/b of a scaled residual).

>>> import sympy
>>> mu, y = sympy.symbols("mu y", real=True)
>>> b, tau = sympy.symbols("b tau", positive=True)
>>> u = (y - mu) / b
>>> split_piecewise(sympy.Piecewise((tau * u, y >= mu), ((tau - 1) * u, True)), (mu,), y)
Piecewise((tau*(-mu + y), mu <= y), ((-mu + y)*(tau - 1), True))/b
>>> split_piecewise(sympy.Piecewise((mu, sympy.Eq(y, 0)), (mu + y**2, True)), (mu,), y)
mu + Piecewise((0, Eq(y, 0)), (y**2, True))
"""

from __future__ import annotations

import functools

import sympy


def split_piecewise(expr: sympy.Expr, outputs: tuple, target) -> sympy.Expr:
    """Every Piecewise term of the sum ``expr`` split as the module docstring says."""
    return sympy.Add(*(_split_term(t, outputs, target) for t in sympy.Add.make_args(expr)))


def _split_term(term: sympy.Expr, outputs: tuple, target) -> sympy.Expr:
    coefficient, pieces = term.as_independent(sympy.Piecewise, as_Add=False)
    if not isinstance(pieces, sympy.Piecewise):
        return term
    conditions = [_without_positive_factors(c, (*outputs, target)) for _, c in pieces.args]
    # a part free of the outputs is a constant only where the branch taken is too
    constant_cases = not any(c.has(*outputs) for c in conditions)
    varying, fixed = [], []
    for value, _ in pieces.args:
        kept, dropped = [], []
        for part in sympy.Add.make_args(value):
            (dropped if constant_cases and not part.has(*outputs) else kept).append(part)
        varying.append(sympy.Add(*kept))
        fixed.append(sympy.Add(*dropped))
    common = _common_factor(varying, (*outputs, target))
    varying = [v / common for v in varying]
    split = common * _piecewise(varying, conditions) + _piecewise(fixed, conditions)
    return coefficient * split if coefficient != 1 else split


def _without_positive_factors(condition, variables: tuple):
    """``a r >= 0`` as ``r >= 0`` (any relation to 0) for a factor ``a`` that sympy shows
    positive and that holds none of ``variables``: (y - mu)/b >= 0 is y - mu >= 0."""
    if not isinstance(condition, sympy.core.relational.Relational) or condition.rhs != 0:
        return condition
    factor, rest = condition.lhs.as_independent(*variables, as_Add=False)
    if factor.is_positive and rest.has(*variables):
        return condition.func(rest, 0)
    return condition


def _common_factor(values: list, variables: tuple) -> sympy.Expr:
    """The greatest common factor of ``values`` that holds none of ``variables``."""
    factors = [
        sympy.factor_terms(v).as_independent(*variables, as_Add=False)[0] for v in values if v != 0
    ]
    if not factors:
        return sympy.Integer(1)
    common = functools.reduce(sympy.gcd, factors)
    return common if common.is_positive else sympy.Integer(1)


def _piecewise(values: list, conditions: list) -> sympy.Expr:
    return sympy.Piecewise(*zip(values, conditions))


__all__ = ["split_piecewise"]
