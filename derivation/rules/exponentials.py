"""Rules about exponentials: a product of powers as one exponential, and the log of a sum of
exponentials as a log-sum-exp shifted by its largest term.

>>> import sympy
>>> y, k = sympy.symbols("y k", positive=True)
>>> eta = sympy.Symbol("eta", real=True)
>>> COMBINE_EXPONENTIALS(y**k * sympy.exp(-k * eta))
exp(k*(-eta + log(y)))
>>> LOG_SUM_EXP(sympy.log(sympy.exp(eta) + sympy.exp(-k)))
logaddexp(eta, -k)
"""

from __future__ import annotations

import functools

import sympy

from ..functions import expit, log1p, log_mix, logaddexp, softplus
from .base import Rule


def _exponent(factor: sympy.Expr) -> sympy.Expr | None:
    """``x`` with ``factor == exp(x)``: an exponential, or a power of a positive base with a
    symbolic exponent (b^k = exp(k log b)); None otherwise."""
    if isinstance(factor, sympy.exp):
        return factor.args[0]
    if factor.is_Pow and isinstance(factor.base, sympy.exp):
        return factor.base.args[0] * factor.exp
    if factor.is_Pow and not factor.exp.is_Number and factor.base.is_nonnegative:
        return factor.exp * sympy.log(factor.base)
    return None


def combine_exponentials(expr: sympy.Expr) -> sympy.Expr:
    # exp(a) exp(b) = exp(a + b), and y^k exp(-k eta) = exp(k (log y - eta)): one
    # exponential of a sum, never inf * 0 where y^k overflows as exp(-k eta) underflows.
    def combine(mul: sympy.Mul) -> sympy.Expr:
        exponents = [(f, _exponent(f)) for f in mul.args]
        powers = [(f, x) for f, x in exponents if x is not None]
        if len(powers) < 2 or not any(isinstance(f, sympy.exp) for f, _ in powers):
            return mul
        rest = sympy.Mul(*(f for f, x in exponents if x is None))
        total = sympy.factor_terms(sympy.Add(*(x for _, x in powers)))
        return rest * sympy.exp(total)

    return expr.replace(lambda e: e.is_Mul, combine)


COMBINE_EXPONENTIALS = Rule(
    "combine_exponentials",
    "local",
    matches="a product of two or more exponentials, or of exponentials and b^k, k symbolic",
    writes="one exponential of the sum of the exponents",
    identity="e^a e^b = e^(a + b), b^k = e^(k log b) for b >= 0",
    rewrite=combine_exponentials,
)


def log_of_positive_product(term: sympy.Expr) -> sympy.Expr | None:
    """log(term) without a log of an exponential or a sigmoid left in it, or None if the term
    is not a product of positive factors."""
    parts = []
    for factor in sympy.Mul.make_args(term):
        if isinstance(factor, sympy.exp):
            parts.append(factor.args[0])
        elif isinstance(factor, expit):
            parts.append(-softplus(-factor.args[0]))  # log expit(x) = -softplus(-x)
        elif factor.is_positive:
            parts.append(sympy.expand_log(sympy.log(factor), force=True))
        else:
            return None
    return sympy.Add(*parts)


def log_sum_exp(expr: sympy.Expr) -> sympy.Expr:
    # log(sum_i e^(l_i)) = logaddexp(l_1, logaddexp(l_2, ...)): each pair shifted by its
    # larger term, so no e^(l_i) is formed (a mixture's component at -800, a rate of e^700).
    def convert(log: sympy.log) -> sympy.Expr:
        terms = sympy.Add.make_args(log.args[0])
        if len(terms) < 2 or not any(t.has(sympy.exp, expit) for t in terms):
            return log
        logs = [log_of_positive_product(t) for t in terms]
        if any(entry is None for entry in logs):
            return log
        return functools.reduce(lambda acc, x: logaddexp(x, acc), logs[::-1])

    def convert_log1p(log: log1p) -> sympy.Expr:
        # log1p(w) = softplus(log w) for w a positive product holding an exponential
        w = log.args[0]
        logged = log_of_positive_product(w) if w.has(sympy.exp) else None
        return log if logged is None else softplus(logged)

    expr = expr.replace(lambda e: isinstance(e, log1p), convert_log1p)
    return expr.replace(lambda e: isinstance(e, sympy.log), convert)


LOG_SUM_EXP = Rule(
    "log_sum_exp",
    "sum",
    matches="log of a sum of positive terms, one of them an exponential or a sigmoid; "
    "log1p of such a term",
    writes="logaddexp of the terms' logarithms, nested for more than two; softplus(log w)",
    identity="log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|)",
    rewrite=log_sum_exp,
)


def logistic_mixture(expr: sympy.Expr) -> sympy.Expr:
    # logaddexp(a - softplus(z), b - softplus(-z)) = log(expit(-z) e^a + expit(z) e^b): a
    # mixture of two terms weighted expit(-z) and expit(z), whose value is near 0 where the
    # heavier component is near certainty (zero inflation at a small rate): log_mix keeps it
    # as log1p of a product there, never the difference of two terms near log expit(z).
    def convert(call: logaddexp) -> sympy.Expr:
        first, second = call.args
        for sp in sorted(first.atoms(softplus), key=sympy.default_sort_key):
            mirror = softplus(-sp.args[0])
            if -sp in sympy.Add.make_args(first) and -mirror in sympy.Add.make_args(second):
                return log_mix(sp.args[0], first + sp, second + mirror)
        return call

    return expr.replace(lambda e: isinstance(e, logaddexp), convert)


LOGISTIC_MIXTURE = Rule(
    "logistic_mixture",
    "sum",
    matches="logaddexp(a - softplus(z), b - softplus(-z))",
    writes="log_mix(z, a, b)",
    identity="log(expit(-z) e^a + expit(z) e^b) = b + log1p(expit(-z) expm1(a - b))",
    rewrite=logistic_mixture,
)

__all__ = ["COMBINE_EXPONENTIALS", "LOG_SUM_EXP", "LOGISTIC_MIXTURE"]
