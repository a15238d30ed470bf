"""Rules for sums over a ranking's positions and the gradients they give (see
:mod:`derivation.ranking_functions`)."""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1

from .base import Rule


def _one_where(term: sympy.Expr):
    """The condition c of a term -[c] (-Piecewise((1, c), (0, True))), or None."""
    if not (term.is_Mul and term.args[0] == -1 and len(term.args) == 2):
        return None
    p = term.args[1]
    if isinstance(p, sympy.Piecewise) and len(p.args) == 2 and p.args[0].expr == 1:
        if p.args[1].expr == 0 and p.args[1].cond is sympy.true:
            return p.args[0].cond
    return None


def _exp_minus_one(expr: sympy.Expr) -> sympy.Expr:
    def matches(e):
        return (
            e.is_Add
            and any(t == -1 or _one_where(t) is not None for t in e.args)
            and any(isinstance(t, sympy.exp) for t in e.args)
        )

    def rewrite(e):
        terms = list(e.args)
        first = next(t for t in terms if isinstance(t, sympy.exp))
        one = next(t for t in terms if t == -1 or _one_where(t) is not None)
        terms.remove(first)
        terms.remove(one)
        x = first.args[0]
        if one == -1:
            return expm1(x) + sympy.Add(*terms)
        # exp(x) - [c]: expm1(x) where c holds, exp(x) elsewhere
        return sympy.Piecewise((expm1(x), _one_where(one)), (first, True)) + sympy.Add(*terms)

    return expr.replace(matches, rewrite)


EXP_MINUS_ONE = Rule(
    "exp_minus_one",
    "final",
    matches="exp(x) - 1, or exp(x) - [c], among the terms of a sum",
    writes="expm1(x) (where c holds)",
    identity="exp(x) - 1 = expm1(x), exact where exp(x) is near 1",
    rewrite=_exp_minus_one,
)


def _sums_combined(expr: sympy.Expr) -> sympy.Expr:
    def rewrite(e):
        groups: dict = {}
        rest = []
        for term in e.args:
            coefficient, factor = term.as_coeff_Mul()
            if isinstance(factor, sympy.Sum) and coefficient in (1, -1):
                groups.setdefault(factor.limits, []).append(coefficient * factor.function)
            else:
                rest.append(term)
        if all(len(bodies) < 2 for bodies in groups.values()):
            return e
        summed = [sympy.Sum(sympy.Add(*bodies), *limits) for limits, bodies in groups.items()]
        return sympy.Add(*summed, *rest)

    return expr.replace(lambda e: e.is_Add, rewrite)


SUMS_COMBINED = Rule(
    "sums_combined",
    "final",
    matches="sum_k a_k - sum_k b_k over the same range",
    writes="sum_k (a_k - b_k)",
    identity="sum a - sum b = sum (a - b): terms that cancel do so one by one, not in totals",
    rewrite=_sums_combined,
)


def _suffix_minus_first(expr: sympy.Expr) -> sympy.Expr:
    from ..functions import softplus
    from ..ranking_functions import suffix_logsumexp, suffix_logsumexp_after

    def rewrite(e):
        terms = list(e.args)
        for lse in [t for t in terms if isinstance(t, suffix_logsumexp)]:
            g, j, k = lse.args
            first = -g.xreplace({j: k})
            if first in terms:
                terms.remove(lse)
                terms.remove(first)
                terms.append(softplus(suffix_logsumexp_after(g, j, k) - g.xreplace({j: k})))
        return sympy.Add(*terms)

    return expr.replace(lambda e: e.is_Add, rewrite)


SUFFIX_MINUS_FIRST = Rule(
    "suffix_minus_first",
    "final",
    matches="suffix_logsumexp(g, j, k) - g(k): a position's log normaliser less its pick",
    writes="softplus(log sum_{j > k} exp(g(j)) - g(k))",
    identity="log(e^a + e^b) - a = log(1 + e^(b - a)): no cancellation where a dominates",
    rewrite=_suffix_minus_first,
)

__all__ = ["EXP_MINUS_ONE", "SUMS_COMBINED", "SUFFIX_MINUS_FIRST"]
