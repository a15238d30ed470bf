"""Rules over the class axis: softmax gradients, cross-entropy sums and the one entry per
sample that a class-index target picks."""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1

from likelihoods.links import COLUMN, COMPONENT

from ..functions import amax, log_softmax, logsumexp, lse_excess, replace_column, softmax, xdivy
from .base import Rule


def softmax_minus_mass(expr: sympy.Expr) -> sympy.Expr:
    # softmax_i = exp(L_i), L_i = log_softmax(z)_i <= 0. For a gradient c*softmax_i + R (R the
    # target mass, negated):  c*s + R = (c + R)*s - R*(s - 1) = (c + R)*exp(L) - R*expm1(L).
    # At the target class of a one-hot row c + R = 0, and expm1 keeps -(1 - p_y) accurate
    # where p_y is close to 1.
    terms = list(sympy.Add.make_args(expr))
    for s in expr.atoms(softmax):
        carrying = [t for t in terms if t.has(s)]
        if len(carrying) != 1:
            continue
        c = sympy.cancel(carrying[0] / s)
        rest = sympy.Add(*(t for t in terms if t is not carrying[0]))
        if c.has(s) or rest.has(s):
            continue
        log_p = log_softmax(*s.args)
        if rest == 0:
            return expr.xreplace({s: sympy.exp(log_p)})
        return (c + rest) * sympy.exp(log_p) - rest * expm1(log_p)
    return expr.replace(lambda e: isinstance(e, softmax), lambda e: sympy.exp(log_softmax(*e.args)))


def delta_over_to_xdivy(expr: sympy.Expr) -> sympy.Expr:
    # [k = c] * x / y -> xdivy([k = c] * x, y): 0 off the target class even where y is 0
    # (a predicted probability of exactly 0 for a class that was not observed).
    def convert(mul: sympy.Mul) -> sympy.Expr:
        if not mul.has(sympy.KroneckerDelta):
            return mul
        numerator, denominator = mul.as_numer_denom()
        if denominator == 1 or not numerator.has(sympy.KroneckerDelta):
            return mul
        return xdivy(numerator, denominator)

    return expr.replace(lambda e: e.is_Mul, convert)


def group_logsumexp(expr: sympy.Expr) -> sympy.Expr:
    # C*logsumexp(z) - sum_m b_m z_m with C = sum_m b_m (the target mass) is
    # sum_m b_m (max z - z_m) + C*(logsumexp(z) - max z): non-negative terms only, so a
    # cross-entropy close to 0 keeps its relative accuracy. Otherwise logsumexp(z) is just
    # max z + lse_excess, which never overflows.
    terms = list(sympy.Add.make_args(expr))
    # only a logsumexp that multiplies a term (not one inside another function's argument)
    factors = {f for t in terms for f in sympy.Mul.make_args(t) if isinstance(f, logsumexp)}
    for lse in factors:
        z = lse.args[0]
        top = amax(z)
        carrying = [t for t in terms if t.has(lse)]
        if len(carrying) != 1:
            continue
        mass = sympy.cancel(carrying[0] / lse)
        if mass.has(lse):
            continue
        grouped, masses, rest = [], [], []
        for t in terms:
            if t is carrying[0]:
                continue
            point = _linear_in_component(t, z)
            if point is not None:
                weight, index = point
                masses.append(-weight)
                grouped.append(-weight * sympy.UnevaluatedExpr(top - z[index]))
                continue
            summed = _linear_sum(t, z)
            if summed is not None:
                weight, limits = summed
                index = limits[0]
                masses.append(sympy.Sum(-weight, limits))
                grouped.append(sympy.Sum(-weight * sympy.UnevaluatedExpr(top - z[index]), limits))
                continue
            rest.append(t)
        excess = lse_excess(z, top)
        if grouped and sympy.simplify(mass - sympy.Add(*masses)) == 0:
            return sympy.Add(*rest, *grouped, mass * excess)
    return expr


def _linear_in_component(term: sympy.Expr, z: sympy.IndexedBase):
    """(b, m) if term = b*z[m] with b free of z, else None."""
    parts = [f for f in sympy.Mul.make_args(term) if isinstance(f, sympy.Indexed) and f.base == z]
    if len(parts) != 1:
        return None
    weight = sympy.cancel(term / parts[0])
    return None if weight.has(z) else (weight, parts[0].indices[0])


def _linear_sum(term: sympy.Expr, z: sympy.IndexedBase):
    """(b_k, limits) if term = c*Sum(b'_k z_k) with b_k = c*b'_k free of z, else None."""
    sums = [f for f in sympy.Mul.make_args(term) if isinstance(f, sympy.Sum)]
    if len(sums) != 1:
        return None
    outer = sympy.cancel(term / sums[0])
    inner = _linear_in_component(sums[0].function, z)
    if outer.has(z) or inner is None or inner[1] != sums[0].limits[0][0]:
        return None
    return outer * inner[0], sums[0].limits[0]


def replace_target_column(expr: sympy.Expr) -> sympy.Expr:
    # P + [i = c] Q is P everywhere but at the target class c, where it is P + Q: compute P
    # over all classes and overwrite one entry per sample, instead of evaluating both forms
    # over every class and mixing them with a one-hot mask.
    deltas = [d for d in expr.atoms(sympy.KroneckerDelta) if COMPONENT in d.free_symbols]
    if len(deltas) != 1 or not expr.has(COMPONENT):
        return expr
    (delta,) = deltas
    index = next(a for a in delta.args if a != COMPONENT)
    if index == COLUMN:  # the diagonal of a matrix, not a class of the target
        return expr
    expanded = sympy.expand(expr, power_exp=False, log=False, mul=True, multinomial=False)
    q = expanded.coeff(delta)
    p = sympy.expand(expanded - q * delta)
    if p.has(delta) or q.has(delta):
        return expr
    at_target = (sympy.factor_terms(p + q)).xreplace({COMPONENT: index})
    return replace_column(sympy.factor_terms(p), index, at_target)


def evaluate_over_classes(expr: sympy.Expr) -> sympy.Expr:
    # The last step before printing: exp(log_softmax) is softmax, printed from the same
    # helper as max z and lse_excess; log_softmax and any remaining logsumexp in terms of max z
    # and lse_excess, shared with the loss by common-subexpression elimination.
    expr = expr.replace(
        lambda e: isinstance(e, sympy.exp) and isinstance(e.args[0], log_softmax),
        lambda e: softmax(*e.args[0].args),
    )
    expr = expr.replace(lambda e: e.is_Add and e.has(logsumexp), _pair_log_softmax)

    def log_p(e):
        z, i = e.args
        top = amax(z)
        return sympy.UnevaluatedExpr(z[i] - top) - lse_excess(z, top)

    expr = expr.replace(lambda e: isinstance(e, log_softmax), log_p)
    return expr.replace(
        lambda e: isinstance(e, logsumexp),
        lambda e: amax(e.args[0]) + lse_excess(e.args[0], amax(e.args[0])),
    )


def _pair_log_softmax(e: sympy.Add) -> sympy.Expr:
    # z_m - logsumexp(z) in one sum is log_softmax(z)_m, whose (z_m - max z) - lse_excess is
    # exactly -lse_excess at the largest entry (a log weight near 0 keeps its digits).
    terms = list(sympy.Add.make_args(e))
    for lse in [t for t in terms if isinstance(-t, logsumexp)]:
        z = (-lse).args[0]
        entry = next((t for t in terms if isinstance(t, sympy.Indexed) and t.base == z), None)
        if entry is not None:
            terms.remove(lse)
            terms.remove(entry)
            terms.append(log_softmax(z, entry.indices[0]))
    return sympy.Add(*terms)


SOFTMAX_MINUS_MASS = Rule(
    "softmax_minus_mass",
    "sum",
    matches="c softmax(z)_i + R, R free of the softmax",
    writes="(c + R) exp(L_i) - R expm1(L_i), L = log_softmax(z)",
    identity="c s + R = (c + R) s - R (s - 1), and s - 1 = expm1(log s)",
    rewrite=softmax_minus_mass,
)
DELTA_OVER_TO_XDIVY = Rule(
    "delta_over_to_xdivy",
    "sum",
    matches="[k = c] x / y",
    writes="xdivy([k = c] x, y)",
    identity="[k = c] x / y is 0 off the target class, even where y = 0",
    rewrite=delta_over_to_xdivy,
)
GROUP_LOGSUMEXP = Rule(
    "group_logsumexp",
    "final",
    matches="C logsumexp(z) - sum_m b_m z_m with C = sum_m b_m",
    writes="sum_m b_m (max z - z_m) + C lse_excess(z, max z)",
    identity="logsumexp(z) = max z + log sum_k exp(z_k - max z)",
    rewrite=group_logsumexp,
)
REPLACE_TARGET_COLUMN = Rule(
    "replace_target_column",
    "final",
    matches="P + [i = c] Q, linear in one delta of the class index",
    writes="replace_column(P, c, P + Q at c)",
    identity="P + [i = c] Q is P off class c and P + Q at it",
    rewrite=replace_target_column,
)
EVALUATE_OVER_CLASSES = Rule(
    "evaluate_over_classes",
    "final",
    matches="exp(log_softmax), log_softmax, logsumexp",
    writes="softmax; z_i - max z - lse_excess; max z + lse_excess",
    identity="log_softmax(z)_i = z_i - logsumexp(z), logsumexp = max z + lse_excess",
    rewrite=evaluate_over_classes,
)

__all__ = [
    "SOFTMAX_MINUS_MASS",
    "DELTA_OVER_TO_XDIVY",
    "GROUP_LOGSUMEXP",
    "REPLACE_TARGET_COLUMN",
    "EVALUATE_OVER_CLASSES",
]
