"""Numerical rewrite rules, kept as data in the style of :mod:`sympy.codegen.rewriting`.

Each rule is an exact identity that trades a form which overflows, underflows or cancels in
floating point for one that does not. They know nothing of distributions: they match shapes
of expressions. :func:`stabilize` applies them all, in order, to any expression.

>>> import sympy
>>> from derivation.functions import softplus
>>> y, z, p = sympy.symbols("y z p", real=True)
>>> stabilize(softplus(z) - y * z)
y*softplus(-z) + (1 - y)*softplus(z)
>>> stabilize(y * sympy.log(p) + (1 - y) * sympy.log(1 - p))
xlog1py(1 - y, -p) + xlogy(y, p)
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.codegen.rewriting import ReplaceOptim, optimize

from likelihoods.links import COMPONENT

from .functions import (
    amax,
    expit,
    gammaln,
    log_i0e,
    log_softmax,
    logsumexp,
    lse_excess,
    replace_column,
    softmax,
    softplus,
    xdivy,
    xlog1py,
    xlogy,
)


def _split_softplus_linear(expr: sympy.Expr) -> sympy.Expr:
    # softplus(x) - softplus(-x) = x, so
    #     a*softplus(x) + b*x = (a + b)*softplus(x) - b*softplus(-x).
    # With a = 1, b = -y and y in [0, 1] both terms are non-negative: no cancellation, so the
    # loss keeps full relative accuracy where it is tiny (y = 1, x = 30 gives 9.36e-14).
    terms = list(sympy.Add.make_args(expr))
    for sp in expr.atoms(softplus):
        x = sp.args[0]
        xs = x.free_symbols
        carrying = [t for t in terms if t.has(sp)]
        if len(carrying) != 1:
            continue
        a = sympy.cancel(carrying[0] / sp)
        linear = [
            t
            for t in terms
            if t is not carrying[0] and t.has(*xs) and not sympy.cancel(t / x).has(*xs)
        ]
        if a.has(*xs) or not linear:
            continue
        b = sympy.cancel(sympy.Add(*linear) / x)
        rest = [t for t in terms if t is not carrying[0] and t not in linear]
        return sympy.Add(*rest, sympy.factor_terms(a + b) * sp, -b * softplus(-x))
    return expr


def _split_expit_constant(expr: sympy.Expr) -> sympy.Expr:
    # expit(-x) = 1 - expit(x), so  a*expit(x) + b = (a + b)*expit(x) + b*expit(-x): the
    # gradient expit(z) - y of a logistic loss keeps its relative accuracy near 0.
    terms = list(sympy.Add.make_args(expr))
    for s in {f for f in expr.atoms(expit)}:
        x = s.args[0]
        with_s = [t for t in terms if t.has(s)]
        free = [t for t in terms if not t.has(*x.free_symbols)]
        if len(with_s) != 1 or not free:
            continue
        a, b = sympy.cancel(with_s[0] / s), sympy.Add(*free)
        if a.has(*x.free_symbols):
            continue
        rest = [t for t in terms if t is not with_s[0] and t not in free]
        return sympy.Add(*rest, sympy.factor_terms(a + b) * s, b * expit(-x))
    return expr


def _group_scaled_residuals(expr: sympy.Expr) -> sympy.Expr:
    # r**k * g**m  ->  (r * g**sign(m))**j * r**(k-j) * g**(m - sign(m)*j),  j = min(k, |m|),
    # with exp(c*b) read as exp(b)**c. The residual r is multiplied into the scale before
    # either is raised: (y - mu)**2 * exp(-2s) at s = -400 is ((y - mu)*exp(-s))**2, finite
    # where exp(-2s) alone overflows; (y - mu)**2 / sigma**2 likewise for sigma = 1e-160.
    def scales(mul: sympy.Mul):
        for f in mul.args:
            if isinstance(f, sympy.exp):
                c, b = f.args[0].as_coeff_Mul()
                if c.is_Integer and abs(c) >= 2:
                    yield f, sympy.exp(b), int(c)
            elif f.is_Pow and f.exp.is_Integer and abs(f.exp) >= 2 and not f.base.is_Add:
                yield f, f.base, int(f.exp)

    def group(mul: sympy.Mul) -> sympy.Expr:
        residual = next(
            (
                f
                for f in mul.args
                if (f.is_Add or (f.is_Pow and f.base.is_Add and f.exp.is_Integer and f.exp > 0))
            ),
            None,
        )
        scale = next(scales(mul), None)
        if residual is None or scale is None:
            return mul
        r, k = (residual.base, int(residual.exp)) if residual.is_Pow else (residual, 1)
        factor, g, m = scale
        step = 1 if m > 0 else -1
        j = min(k, abs(m))
        rest = mul / (residual * factor)
        # A numeric factor of the residual stays outside the group (2*mu - 2*y -> 2*(mu - y)),
        # so that loss and gradient group the same residual and share it.
        content, r = r.as_content_primitive()
        grouped = sympy.UnevaluatedExpr(r * g**step) ** j
        return rest * content**k * grouped * r ** (k - j) * g ** (m - step * j)

    return expr.replace(lambda e: e.is_Mul, group)


def _one_minus_cos(expr: sympy.Expr) -> sympy.Expr:
    # a - a*cos(x) = 2a sin(x/2)**2, exact where cos(x) rounds to 1.
    terms = list(sympy.Add.make_args(expr))
    for c in expr.atoms(sympy.cos):
        with_c = [t for t in terms if t.has(c)]
        if len(with_c) != 1:
            continue
        a = -sympy.cancel(with_c[0] / c)
        if a.has(c) or a not in terms:
            continue
        rest = [t for t in terms if t is not with_c[0] and t != a]
        return sympy.Add(*rest, 2 * a * sympy.sin(c.args[0] / 2) ** 2)
    return expr


def _coefficient_log_to_xlogy(expr: sympy.Expr) -> sympy.Expr:
    # c*log(u) -> xlogy(c, u) and c*log1p(u) -> xlog1py(c, u) when c is not a number: the
    # term is 0 where c is 0, even where u is 0 (a probability of exactly 0 or 1).
    def convert(mul: sympy.Mul) -> sympy.Expr:
        logs = [f for f in mul.args if isinstance(f, (sympy.log, log1p))]
        if len(logs) != 1:
            return mul
        coeff = mul / logs[0]
        if coeff.is_Number:
            return mul
        number, c = coeff.as_coeff_Mul()
        fn = xlogy if isinstance(logs[0], sympy.log) else xlog1py
        return number * fn(c, logs[0].args[0])

    return expr.replace(lambda e: e.is_Mul, convert)


def _softmax_minus_mass(expr: sympy.Expr) -> sympy.Expr:
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


def _delta_over_to_xdivy(expr: sympy.Expr) -> sympy.Expr:
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


def _group_logsumexp(expr: sympy.Expr) -> sympy.Expr:
    # C*logsumexp(z) - sum_m b_m z_m with C = sum_m b_m (the target mass) is
    # sum_m b_m (max z - z_m) + C*(logsumexp(z) - max z): non-negative terms only, so a
    # cross-entropy close to 0 keeps its relative accuracy. Otherwise logsumexp(z) is just
    # max z + lse_excess, which never overflows.
    for lse in expr.atoms(logsumexp):
        z = lse.args[0]
        top = amax(z)
        terms = list(sympy.Add.make_args(expr))
        carrying = [t for t in terms if t.has(lse)]
        if len(carrying) != 1:
            continue
        mass = sympy.cancel(carrying[0] / lse)
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


def _replace_target_column(expr: sympy.Expr) -> sympy.Expr:
    # P + [i = c] Q is P everywhere but at the target class c, where it is P + Q: compute P
    # over all classes and overwrite one entry per sample, instead of evaluating both forms
    # over every class and mixing them with a one-hot mask.
    deltas = [d for d in expr.atoms(sympy.KroneckerDelta) if COMPONENT in d.free_symbols]
    if len(deltas) != 1 or not expr.has(COMPONENT):
        return expr
    (delta,) = deltas
    index = next(a for a in delta.args if a != COMPONENT)
    expanded = sympy.expand(expr, power_exp=False, log=False, mul=True, multinomial=False)
    q = expanded.coeff(delta)
    p = sympy.expand(expanded - q * delta)
    if p.has(delta) or q.has(delta):
        return expr
    at_target = (sympy.factor_terms(p + q)).xreplace({COMPONENT: index})
    return replace_column(sympy.factor_terms(p), index, at_target)


def _evaluate_over_classes(expr: sympy.Expr) -> sympy.Expr:
    # The last step before printing: exp(log_softmax) is softmax, printed from the same
    # helper as max z and lse_excess; log_softmax and any remaining logsumexp in terms of max z
    # and lse_excess, shared with the loss by common-subexpression elimination.
    expr = expr.replace(
        lambda e: isinstance(e, sympy.exp) and isinstance(e.args[0], log_softmax),
        lambda e: softmax(*e.args[0].args),
    )

    def log_p(e):
        z, i = e.args
        top = amax(z)
        return sympy.UnevaluatedExpr(z[i] - top) - lse_excess(z, top)

    expr = expr.replace(lambda e: isinstance(e, log_softmax), log_p)
    return expr.replace(
        lambda e: isinstance(e, logsumexp),
        lambda e: amax(e.args[0]) + lse_excess(e.args[0], amax(e.args[0])),
    )


_X = sympy.Wild("x")


def _logistic_to_expit(expr: sympy.Expr) -> sympy.Expr:
    # (1 + e^x)^n e^(-n x) = (1 + e^-x)^n = expit(x)^(-n), for any integer n: e^x / (1 + e^x)
    # differentiated as a quotient gives e^x/(1+e^x) - e^2x/(1+e^x)^2, and (1 + e^x) e^-x gives
    # 1 - (1 + e^x) e^-x terms, both cancelling for large x; expit's derivative is
    # expit(x) expit(-x).
    def convert(mul: sympy.Mul) -> sympy.Expr:
        for f in mul.args:
            if f.is_Pow and f.exp.is_Integer and f.base.is_Add and len(f.base.args) == 2:
                exps = [t for t in f.base.args if isinstance(t, sympy.exp)]
                if sympy.S.One not in f.base.args or not exps:
                    continue
                x, n = exps[0].args[0], f.exp
                rest = mul / (f * sympy.exp(-n * x))  # exponents combine; no cancel()
                if not rest.has(f.base) and not rest.has(sympy.exp(x)):
                    return rest * expit(x) ** (-n)
        return mul

    return expr.replace(lambda e: e.is_Mul, convert)


RULES = (
    # log(Gamma(x)) overflows for x > 171: use the log-gamma function itself.
    ReplaceOptim(
        lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.gamma),
        lambda e: gammaln(e.args[0].args[0]),
    ),
    # log I0(k) = log(i0e(k)) + |k|: I0 overflows for k > 713, its scaled form never does.
    ReplaceOptim(
        lambda e: (
            isinstance(e, sympy.log)
            and isinstance(e.args[0], sympy.besseli)
            and e.args[0].args[0] == 0
        ),
        lambda e: log_i0e(e.args[0].args[1]) + sympy.Abs(e.args[0].args[1]),
    ),
    # log(1 + exp(x)) -> softplus(x) (logaddexp(0, x)), wherever a density produced it.
    ReplaceOptim(sympy.log(1 + sympy.exp(_X)), softplus(_X)),
    # log(1 + x) -> log1p(x), accurate where x is tiny. (sympy.codegen.rewriting.log1p_opt
    # factors every log argument first, which expands (y - mu)**2 and cancels; not used.)
    ReplaceOptim(
        lambda e: isinstance(e, sympy.log) and e.args[0].is_Add and sympy.S.One in e.args[0].args,
        lambda e: log1p(e.args[0] - 1),
    ),
)

#: Rules on whole expressions (sums) after the term-level rules above.
SUM_RULES = (
    _logistic_to_expit,
    _split_softplus_linear,
    _split_expit_constant,
    _one_minus_cos,
    _coefficient_log_to_xlogy,
    _softmax_minus_mass,
    _delta_over_to_xdivy,
)

#: Rules that fix an evaluation order; applied last, after any differentiation.
FINAL_RULES = (
    _group_scaled_residuals,
    _group_logsumexp,
    _replace_target_column,
    _evaluate_over_classes,
)


def stabilize(expr: sympy.Expr, final: bool = True) -> sympy.Expr:
    """Apply every rule of :data:`RULES` and :data:`SUM_RULES` to ``expr``, then, unless
    ``final`` is false (for an expression still to be differentiated), :data:`FINAL_RULES`."""
    expr = optimize(expr, RULES)
    for rule in SUM_RULES + (FINAL_RULES if final else ()):
        expr = rule(expr)
    return expr


__all__ = ["RULES", "SUM_RULES", "FINAL_RULES", "stabilize"]
