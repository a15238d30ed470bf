"""Rules about logarithms: log-gamma, log-Bessel, log1p and x log y that is 0 at x = 0."""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.codegen.rewriting import ReplaceOptim

from ..functions import (
    betaln,
    gammaln,
    log1p_square,
    log_i0e,
    log_ive,
    square_fraction,
    x_over_1px2,
    xlog1py,
    xlogy,
)
from .base import Rule
from .logistic import logistic_to_expit, split_expit_constant

LOG_GAMMA = Rule(
    "log_gamma",
    "local",
    matches="log(gamma(x))",
    writes="gammaln(x)",
    identity="log Gamma(x) = gammaln(x); Gamma overflows past x = 171, gammaln does not",
    rewrite=ReplaceOptim(
        lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.gamma),
        lambda e: gammaln(e.args[0].args[0]),
    ),
)

LOG_BESSEL_I0 = Rule(
    "log_bessel_i0",
    "local",
    matches="log(besseli(0, k))",
    writes="log_i0e(k) + |k|",
    identity="log I0(k) = log(I0(k) e^-|k|) + |k|; I0 overflows past k = 713, i0e never",
    rewrite=ReplaceOptim(
        lambda e: (
            isinstance(e, sympy.log)
            and isinstance(e.args[0], sympy.besseli)
            and e.args[0].args[0] == 0
        ),
        lambda e: log_i0e(e.args[0].args[1]) + sympy.Abs(e.args[0].args[1]),
    ),
)

LOG_BESSEL_I = Rule(
    "log_bessel_i",
    "local",
    matches="log(besseli(nu, k)), nu not 0, k known to be non-negative",
    writes="log_ive(nu, k) + k",
    identity="log I_nu(k) = log(I_nu(k) e^-k) + k; I_nu overflows past k = 713 and "
    "underflows for small k and large nu, its logarithm does neither",
    rewrite=ReplaceOptim(
        lambda e: (
            isinstance(e, sympy.log)
            and isinstance(e.args[0], sympy.besseli)
            and e.args[0].args[0] != 0
            and e.args[0].args[1].is_nonnegative
        ),
        lambda e: log_ive(*e.args[0].args) + e.args[0].args[1],
    ),
)

# (sympy.codegen.rewriting.log1p_opt factors every log argument first, which expands
# (y - mu)**2 and cancels; not used.)
LOG1P = Rule(
    "log1p",
    "local",
    matches="log(1 + x), a sum holding the term 1",
    writes="log1p(x)",
    identity="log(1 + x) = log1p(x)",
    rewrite=ReplaceOptim(
        lambda e: isinstance(e, sympy.log) and e.args[0].is_Add and sympy.S.One in e.args[0].args,
        lambda e: log1p(e.args[0] - 1),
    ),
)


def _square_root(w: sympy.Expr) -> sympy.Expr | None:
    """x with x**2 == w, for w a product of even powers and positive factors; else None."""
    roots = []
    if not any(f.is_Pow and f.exp.is_even for f in sympy.Mul.make_args(w)):
        return None  # no square in it (a positive product is the exponentials' business)
    for factor in sympy.Mul.make_args(w):
        if factor.is_Pow and factor.exp.is_even:
            roots.append(factor.base ** (factor.exp / 2))
        elif factor.is_positive:
            roots.append(sympy.sqrt(factor))
        else:
            return None
    return sympy.Mul(*roots)


def log1p_of_square(expr: sympy.Expr) -> sympy.Expr:
    # log1p(w) with w = x^2: log1p_square(x) never forms x^2, which overflows past 1.3e154
    # (a Student-t residual over a small scale) or underflows below 1.5e-154.
    def convert(log: log1p) -> sympy.Expr:
        w = log.args[0]
        root = _square_root(w) if w.is_Mul or w.is_Pow else None
        return log if root is None or root.is_Number else log1p_square(root)

    return expr.replace(lambda e: isinstance(e, log1p), convert)


LOG1P_SQUARE = Rule(
    "log1p_square",
    "local",
    matches="log1p(w) with w a product of even powers and positive factors",
    writes="log1p_square(sqrt(w))",
    identity="log(1 + x^2) = 2 log|x| + log1p(x^-2), no x^2 formed where it overflows",
    rewrite=log1p_of_square,
)


def times_x_over_1px2(expr: sympy.Expr) -> sympy.Expr:
    # x * x/(1 + x^2) = square_fraction(x): the product of the two factors is inf * 0 where
    # x overflows (a Student-t gradient in its log-scale), the named fraction is 1 there.
    def convert(mul: sympy.Mul) -> sympy.Expr:
        for f in mul.args:
            if isinstance(f, x_over_1px2):
                x = f.args[0]
                factors = set(sympy.Mul.make_args(x))
                if factors <= set(mul.args):  # the factors of x are all there
                    return mul / (f * x) * square_fraction(x)
                shared = [g for g in factors & set(mul.args) if not g.is_Number]
                if shared:
                    # s x/(1 + x^2) = square_fraction(x) / r for x = r s: finite where x
                    # overflows (s = e^700), and the product as it is below |x| = 1
                    s = sympy.Mul(*shared)
                    rest = mul / (f * s)
                    large = rest * square_fraction(x) / (x / s)
                    return sympy.Piecewise((large, sympy.Abs(x) > 1), (mul, True))
        return mul

    return expr.replace(lambda e: e.is_Mul, convert)


SQUARE_FRACTION = Rule(
    "square_fraction",
    "sum",
    matches="a product holding x_over_1px2(x) and some of the factors of x",
    writes="square_fraction(x) times the rest (over the missing factors, where |x| > 1)",
    identity="x * x / (1 + x^2) = x^2 / (1 + x^2)",
    rewrite=times_x_over_1px2,
)


def _log_gammas(expr: sympy.Expr) -> dict:
    """argument -> the coefficient of its log-gamma in the sum ``expr``."""
    found: dict = {}
    for term in sympy.Add.make_args(expr):
        coefficient, rest = term.as_coeff_Mul()
        if isinstance(rest, (sympy.loggamma, gammaln)):
            found[rest.args[0]] = found.get(rest.args[0], 0) + coefficient
    return found


def log_beta(expr: sympy.Expr) -> sympy.Expr:
    # c (log G(a) + log G(b) - log G(a + b)) = c log B(a, b): scipy's betaln does not form
    # the two large log-gammas whose difference it is when a << b.
    def convert(add: sympy.Add) -> sympy.Expr:
        gammas = _log_gammas(add)
        for total, c in gammas.items():
            if not total.is_Add or c == 0:
                continue
            for a in gammas:
                b = total - a
                if a != total and gammas.get(a) == -c and gammas.get(b) == -c:
                    used = {a, b, total}
                    kept = [
                        t
                        for t in add.args
                        if not (
                            isinstance(t.as_coeff_Mul()[1], (sympy.loggamma, gammaln))
                            and t.as_coeff_Mul()[1].args[0] in used
                        )
                    ]
                    return sympy.Add(*kept) - c * betaln(a, b)
        return add

    return expr.replace(lambda e: e.is_Add, convert)


LOG_BETA = Rule(
    "log_beta",
    "sum",
    matches="c log G(a) + c log G(b) - c log G(a + b) in a sum",
    writes="-c betaln(a, b)",
    identity="log G(a) + log G(b) - log G(a + b) = log B(a, b)",
    rewrite=log_beta,
)


def coefficient_log_to_xlogy(expr: sympy.Expr) -> sympy.Expr:
    # c*log(u) -> xlogy(c, u) and c*log1p(u) -> xlog1py(c, u) when c is not a number: the
    # term is 0 where c is 0, even where u is 0 (a probability of exactly 0 or 1).
    def convert(mul: sympy.Mul) -> sympy.Expr:
        logs = [f for f in mul.args if isinstance(f, (sympy.log, log1p))]
        if len(logs) != 1:
            return mul
        coeff = mul / logs[0]
        if coeff.is_Number:
            return mul
        # a coefficient first put together here, 1 + e^x/(1 + e^x), gets expit(x) and then
        # 1 - expit(x) = expit(-x), as any sum does (1 - 1 at large x otherwise)
        number, c = split_expit_constant(logistic_to_expit(coeff)).as_coeff_Mul()
        fn = xlogy if isinstance(logs[0], sympy.log) else xlog1py
        return number * fn(c, logs[0].args[0])

    # c1 log u + c2 log u = (c1 + c2) log u first: log y - k log y is inf - inf at y = 0,
    # (1 - k) log y is not
    expr = expr.replace(lambda e: e.is_Add, _collect_logs)
    return expr.replace(lambda e: e.is_Mul, convert)


def _collect_logs(add: sympy.Add) -> sympy.Expr:
    logs = [f for f in add.atoms(sympy.log, log1p) if add.coeff(f) != 0]
    counts = {f: sum(1 for t in add.args if t.has(f)) for f in logs}
    repeated = sorted((f for f, n in counts.items() if n > 1), key=sympy.default_sort_key)
    return sympy.collect(add, repeated) if repeated else add


COEFFICIENT_LOG_TO_XLOGY = Rule(
    "coefficient_log_to_xlogy",
    "sum",
    matches="c log(u) or c log1p(u) with c not a number (terms of one log collected first)",
    writes="xlogy(c, u), xlog1py(c, u)",
    identity="c log u = xlogy(c, u), taken as 0 where c = 0 even where u = 0",
    rewrite=coefficient_log_to_xlogy,
)

__all__ = [
    "LOG_GAMMA",
    "LOG_BESSEL_I0",
    "LOG1P",
    "LOG1P_SQUARE",
    "LOG_BETA",
    "LOG_BESSEL_I",
    "SQUARE_FRACTION",
    "COEFFICIENT_LOG_TO_XLOGY",
]
