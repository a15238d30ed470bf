"""Rules about the logistic function: expit for e^x/(1 + e^x), and sums of softplus and expit
terms split so that no two large terms cancel."""

from __future__ import annotations

import sympy

from ..functions import expit, softplus
from .base import Rule


def logistic_to_expit(expr: sympy.Expr) -> sympy.Expr:
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


def split_softplus_linear(expr: sympy.Expr) -> sympy.Expr:
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


def split_expit_constant(expr: sympy.Expr) -> sympy.Expr:
    # expit(-x) = 1 - expit(x), so  a*expit(x) + b = (a + b)*expit(x) + b*expit(-x): the
    # gradient expit(z) - y of a logistic loss keeps its relative accuracy near 0, and
    # 1 - expit(x) inside another function (a beta's shape, a mixture weight) is expit(-x).
    inner = expr.replace(lambda e: e.is_Add and e is not expr and e.has(expit), _split_expit_in_sum)
    return _split_expit_in_sum(inner) if inner.is_Add else inner


def _split_expit_in_sum(expr: sympy.Expr) -> sympy.Expr:
    terms = list(sympy.Add.make_args(expr))
    for s in {f for f in expr.atoms(expit)}:
        x = s.args[0]
        with_s = [t for t in terms if t.has(s)]
        if len(with_s) != 1:
            continue
        a = sympy.cancel(with_s[0] / s)
        mirror = [t for t in terms if t.has(expit(-x)) and sympy.expand(t / expit(-x) + a) == 0]
        if mirror and not a.has(s):  # a (expit(x) - expit(-x)) = a tanh(x / 2)
            rest = [t for t in terms if t is not with_s[0] and t is not mirror[0]]
            return sympy.Add(*rest, a * sympy.tanh(x / 2))
        halves = [t for t in terms if t is not with_s[0] and sympy.expand(a + 2 * t) == 0]
        if halves and not a.has(s):  # b (1 - 2 expit(x)) = -b tanh(x / 2): no 1 - 1
            rest = [t for t in terms if t is not with_s[0] and t is not halves[0]]
            return sympy.Add(*rest, -halves[0] * sympy.tanh(x / 2))
        free = [t for t in terms if not t.has(*x.free_symbols)]
        if not free or a.has(*x.free_symbols):
            continue
        b = sympy.Add(*free)
        rest = [t for t in terms if t is not with_s[0] and t not in free]
        return sympy.Add(*rest, sympy.factor_terms(a + b) * s, b * expit(-x))
    return expr


LOGISTIC_TO_EXPIT = Rule(
    "logistic_to_expit",
    "sum",
    matches="(1 + e^x)^n e^(-n x) inside a product, n an integer",
    writes="expit(x)^(-n)",
    identity="(1 + e^x)^n e^(-n x) = (1 + e^-x)^n = expit(x)^(-n)",
    rewrite=logistic_to_expit,
)
SPLIT_SOFTPLUS_LINEAR = Rule(
    "split_softplus_linear",
    "sum",
    matches="a softplus(x) + b x with a, b free of x",
    writes="(a + b) softplus(x) - b softplus(-x)",
    identity="softplus(x) - softplus(-x) = x",
    rewrite=split_softplus_linear,
)
SPLIT_EXPIT_CONSTANT = Rule(
    "split_expit_constant",
    "sum",
    matches="a expit(x) + b with a, b free of x, in any sum",
    writes="(a + b) expit(x) + b expit(-x); -b tanh(x/2) where a = -2b",
    identity="expit(x) + expit(-x) = 1, 1 - 2 expit(x) = -tanh(x/2)",
    rewrite=split_expit_constant,
)

__all__ = ["LOGISTIC_TO_EXPIT", "SPLIT_SOFTPLUS_LINEAR", "SPLIT_EXPIT_CONSTANT"]
