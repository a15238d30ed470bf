"""Rules for a mixture's responsibilities r_i = exp(f_i - logsumexp_k f_k), the share of
component i in one sample (``responsibility`` in :mod:`derivation.class_functions`)."""

from __future__ import annotations

import sympy

from ..functions import logsumexp_over, responsibility, responsibility_complement
from .base import Rule


def one_minus_responsibility(expr: sympy.Expr) -> sympy.Expr:
    # 1 - r_i, r a responsibility: the others' share, exact where r_i is close to 1.
    def rewrite(e: sympy.Add) -> sympy.Expr:
        terms = sympy.Add.make_args(e)
        for r in e.atoms(responsibility):
            if sympy.S.One in terms and -r in terms:
                return e - 1 + r + responsibility_complement(*r.args)
        return e

    return expr.replace(lambda e: e.is_Add, rewrite)


def responsibility_over_weight(expr: sympy.Expr) -> sympy.Expr:
    # r_i / x_i where log x_k is a term of f: exp(f_i - log x_i - logsumexp f), the
    # component's density over the mixture's, finite where the weight x_i is 0.
    def rewrite(e: sympy.Mul) -> sympy.Expr:
        factors = list(sympy.Mul.make_args(e))
        for r in (f for f in factors if isinstance(f, responsibility)):
            body, k, i = r.args
            # the body's terms: products distributed, powers of sums kept ((y - mu)^2 stays)
            terms = sympy.Add.make_args(
                sympy.expand(body, multinomial=False, power_exp=False, power_base=False, log=False)
            )
            for weight in factors:
                if not (isinstance(weight, sympy.Pow) and weight.exp == -1):
                    continue
                base = weight.base
                if not isinstance(base, sympy.Indexed) or base.indices != (i,):
                    continue
                log_weight = sympy.log(base.base[k])
                if log_weight not in terms:
                    continue
                rest = (sympy.Add(*terms) - log_weight).xreplace({k: i})
                share = sympy.exp(rest - logsumexp_over(body, k))
                others = [f for f in factors if f is not r and f is not weight]
                return sympy.Mul(*others) * share
        return e

    return expr.replace(lambda e: e.is_Mul and e.has(responsibility), rewrite)


ONE_MINUS_RESPONSIBILITY = Rule(
    "one_minus_responsibility",
    "sum",
    matches="1 - r_i, r a mixture's responsibility",
    writes="responsibility_complement(r_i), -expm1(-(logsumexp - max)) at the largest",
    identity="1 - r_top = 1 - 1/(1 + rest) = -expm1(-log1p(rest))",
    rewrite=one_minus_responsibility,
)
RESPONSIBILITY_OVER_WEIGHT = Rule(
    "responsibility_over_weight",
    "sum",
    matches="r_i / x_i, log x_k a term of the responsibilities' f_k (weights taken as they are)",
    writes="exp(f_i - log x_i - logsumexp_k f_k)",
    identity="r_i / x_i = x_i p_i / (x_i sum_k x_k p_k) = p_i / sum_k x_k p_k",
    rewrite=responsibility_over_weight,
)

__all__ = ["ONE_MINUS_RESPONSIBILITY", "RESPONSIBILITY_OVER_WEIGHT"]
