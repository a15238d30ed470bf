"""Rules about differences of log-gamma and digamma functions of close arguments: written as
one named function each, which does not subtract two large values.

>>> import sympy
>>> nu = sympy.Symbol("nu", positive=True)
>>> GAMMALN_DIFFERENCE(sympy.loggamma((nu + 1) / 2) - sympy.loggamma(nu / 2))
gammaln_difference(nu/2, 1/2)
"""

from __future__ import annotations

import sympy

from ..functions import digamma_difference, expit, gammaln, gammaln_difference, gammaln_exp
from .base import Rule
from .exponentials import log_of_positive_product


def _pairs(add: sympy.Add, is_function, rebuild) -> sympy.Expr:
    """c f(u) - c f(v) in the sum ``add``, with u = v + a a shift of v, as c rebuild(v, a)
    (or -c rebuild(u, -a) for a shift the other way)."""
    found = []
    for term in add.args:
        coefficient, rest = term.as_coeff_Mul()
        if is_function(rest):
            found.append((term, coefficient, rest.args[-1]))
    pairs = []
    for t1, c1, u in found:
        for t2, c2, v in found:
            if t1 is t2 or c1 != -c2 or c1 < 0:
                continue
            gap = sympy.expand(u - v)
            # u = v + gap with gap a number or free of u's or v's symbols: a shift of one
            shift = gap.is_Number or not (gap.free_symbols & v.free_symbols)
            if gap != 0 and (shift or not gap.free_symbols & u.free_symbols):
                pairs.append((sympy.count_ops(gap), t1, t2, c1, u, v, gap))
    if not pairs:
        return add
    # the smallest shift: log G(y + r) - log G(r), not log G(y + r) - log G(y + 1)
    _, t1, t2, c1, u, v, gap = min(pairs, key=lambda p: p[0])
    rest = [t for t in add.args if t is not t1 and t is not t2]
    if gap.could_extract_minus_sign():  # f(u) - f(u - g) = -(f(u + g) - f(u))
        return sympy.Add(*rest, -c1 * rebuild(u, -gap))
    return sympy.Add(*rest, c1 * rebuild(v, gap))


def _log_gamma(e) -> bool:
    return isinstance(e, (sympy.loggamma, gammaln))


def _digamma(e) -> bool:
    return isinstance(e, sympy.polygamma) and e.args[0] == 0


def gammaln_difference_rule(expr: sympy.Expr) -> sympy.Expr:
    # c (log G(v + a) - log G(v)) = c gammaln_difference(v, a): the Student-t's
    # log G((nu + 1)/2) - log G(nu/2), a negative binomial's log G(y + r) - log G(r)
    return expr.replace(lambda e: e.is_Add, lambda e: _pairs(e, _log_gamma, gammaln_difference))


def digamma_difference_rule(expr: sympy.Expr) -> sympy.Expr:
    # c (psi(v + a) - psi(v)) = c digamma_difference(v, a): the gradients of the above, and a
    # beta's psi(b) - psi(a + b) for a << b
    return expr.replace(lambda e: e.is_Add, lambda e: _pairs(e, _digamma, digamma_difference))


GAMMALN_DIFFERENCE = Rule(
    "gammaln_difference",
    "sum",
    matches="c log G(v + a) - c log G(v) in a sum, a a number or free of v's (or v + a's) symbols",
    writes="c gammaln_difference(v, u - v)",
    identity="log G(v + a) - log G(v) by Stirling's series term by term where v is large",
    rewrite=gammaln_difference_rule,
)
DIGAMMA_DIFFERENCE = Rule(
    "digamma_difference",
    "sum",
    matches="c psi(v + a) - c psi(v) in a sum, a a number or free of v's (or v + a's) symbols",
    writes="c digamma_difference(v, u - v)",
    identity="psi(v + a) - psi(v) by the asymptotic series term by term where v is large",
    rewrite=digamma_difference_rule,
)


def log_gamma_of_exp(expr: sympy.Expr) -> sympy.Expr:
    # log G(u) = gammaln_exp(log u) for u a product of positive factors holding an
    # exponential or a sigmoid: a shape e^eta or m phi = phi expit(eta) underflows to 0 (log G
    # of inf) long before its logarithm does, and the derivative u psi(u) is 0 * inf there.
    def convert(call: sympy.Expr) -> sympy.Expr:
        u = call.args[0]
        logged = log_of_positive_product(u) if u.has(sympy.exp, expit) else None
        return call if logged is None else gammaln_exp(logged)

    return expr.replace(_log_gamma, convert)


LOG_GAMMA_OF_EXP = Rule(
    "log_gamma_of_exp",
    "sum",
    matches="log G(u), u a product of positive factors with an exponential or a sigmoid",
    writes="gammaln_exp(log u), the logarithm of each factor taken apart",
    identity="log G(x) = log G(1 + x) - log x",
    rewrite=log_gamma_of_exp,
)

__all__ = ["GAMMALN_DIFFERENCE", "DIGAMMA_DIFFERENCE", "LOG_GAMMA_OF_EXP"]
