"""Rules about the logistic function: expit for e^x/(1 + e^x), and sums of softplus and expit
terms split so that no two large terms cancel."""

from __future__ import annotations

import sympy

from ..functions import expit, softplus
from .base import Rule


def logistic_to_expit(expr: sympy.Expr) -> sympy.Expr:
    # (1 + e^x)^n e^(-n x) = (1 + e^-x)^n = expit(x)^(-n), and (1 + e^x)^n = expit(-x)^(-n),
    # for any integer n: e^x / (1 + e^x) differentiated as a quotient gives e^x/(1+e^x) -
    # e^2x/(1+e^x)^2, and (1 + e^x) e^-x gives 1 - (1 + e^x) e^-x terms, both cancelling for
    # large x; expit's derivative is expit(x) expit(-x). An e^x multiplying a sum of such
    # terms is distributed first, so that it meets its denominator (never e^x * e^-x).
    def convert(mul: sympy.Mul) -> sympy.Expr:
        for f in mul.args:
            x, n = _logistic_power(f)
            if x is None:
                continue
            rest = sympy.powsimp(mul / (f * sympy.exp(-n * x)), combine="exp")  # no cancel()
            if not rest.has(f.base) and not rest.has(sympy.exp(x), sympy.exp(-x)):
                return rest * expit(x) ** (-n)
            rest = mul / f  # never e^x expit(-x): inf * 0 for large x
            if not rest.has(f.base) and not rest.has(sympy.exp(x)):
                return rest * expit(-x) ** (-n)
        return mul

    expr = expr.replace(lambda e: e.is_Mul, _distribute_to_denominator)
    return expr.replace(lambda e: e.is_Mul, convert)


def _distribute_to_denominator(mul: sympy.Mul) -> sympy.Expr:
    """e^x (a/(1 + e^x) + b/(1 + e^x)) as a e^x/(1 + e^x) + b e^x/(1 + e^x): the product
    distributed over a sum of its factors that holds a power of 1 + e^x."""
    exponents = {f.args[0] for f in mul.args if isinstance(f, sympy.exp)}
    for s in (a for a in mul.args if a.is_Add):
        inside = {_logistic_power(f)[0] for f in sympy.preorder_traversal(s)}
        if exponents & inside:
            others = mul / s
            return sympy.Add(*(others * t for t in s.args))
    return mul


def _logistic_power(f: sympy.Expr) -> tuple:
    """(x, n) for f = (1 + e^x)^n with n an integer, (None, None) otherwise."""
    if f.is_Pow and f.exp.is_Integer and f.base.is_Add and len(f.base.args) == 2:
        exps = [t for t in f.base.args if isinstance(t, sympy.exp)]
        if sympy.S.One in f.base.args and exps:
            return exps[0].args[0], f.exp
    return None, None


def split_softplus_linear(expr: sympy.Expr) -> sympy.Expr:
    # softplus(x) - softplus(-x) = x, so with x = k v + c (v a symbol, k and c free of it)
    #     a*softplus(x) + m*v = (a + b)*softplus(x) - b*softplus(-x) - b*c,   b = m / k.
    # With a = 1, m = -y and y in [0, 1] both terms are non-negative: no cancellation, so the
    # loss keeps full relative accuracy where it is tiny (y = 1, x = 30 gives 9.36e-14); a
    # shift c (a count model's log-dispersion) no longer hides the linear term.
    terms = list(sympy.Add.make_args(expr))
    for sp in sorted(expr.atoms(softplus), key=sympy.default_sort_key):
        carrying = [t for t in terms if t.has(sp)]
        for v in sorted(sp.args[0].free_symbols, key=sympy.default_sort_key):
            split = _split_linear(terms, carrying, sp, v)
            if split is not None:
                return split
    return expr


def _split_linear(terms: list, carrying: list, sp: softplus, v: sympy.Symbol):
    """The split of :func:`split_softplus_linear` along ``v``, or None where the softplus'
    argument is not linear in ``v`` or no other term is."""
    x = sp.args[0]
    k = sympy.diff(x, v)
    if k == 0 or k.has(v):
        return None
    a = sympy.cancel(sympy.Add(*carrying) / sp)
    others = [t for t in terms if t not in carrying]
    linear = [t for t in others if t.has(v) and not (t / v).has(v)]
    if a.has(v, sp) or not linear:
        return None
    b = sympy.cancel(sympy.Add(*linear) / (k * v))
    shift = sympy.expand(x - k * v)
    rest = [t for t in others if t not in linear]
    together = sympy.factor_terms(sympy.cancel(a + b))
    return sympy.Add(*rest, together * sp, -b * softplus(-x), -b * shift)


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
    matches="(1 + e^x)^n inside a product, n an integer, with or without e^(-n x)",
    writes="expit(x)^(-n), or expit(-x)^(-n) where e^(-n x) is not a factor",
    identity="(1 + e^x)^n e^(-n x) = (1 + e^-x)^n = expit(x)^(-n)",
    rewrite=logistic_to_expit,
)
SPLIT_SOFTPLUS_LINEAR = Rule(
    "split_softplus_linear",
    "sum",
    matches="a softplus(k v + c) + m v with a, k, c, m free of the symbol v",
    writes="(a + b) softplus(x) - b softplus(-x) - b c, b = m / k",
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
