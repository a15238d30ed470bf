"""Rules about logarithms: log-gamma, log-Bessel, log1p and x log y that is 0 at x = 0."""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.codegen.rewriting import ReplaceOptim

from ..functions import gammaln, log_i0e, xlog1py, xlogy
from .base import Rule

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
        number, c = coeff.as_coeff_Mul()
        fn = xlogy if isinstance(logs[0], sympy.log) else xlog1py
        return number * fn(c, logs[0].args[0])

    return expr.replace(lambda e: e.is_Mul, convert)


COEFFICIENT_LOG_TO_XLOGY = Rule(
    "coefficient_log_to_xlogy",
    "sum",
    matches="c log(u) or c log1p(u) with c not a number",
    writes="xlogy(c, u), xlog1py(c, u)",
    identity="c log u = xlogy(c, u), taken as 0 where c = 0 even where u = 0",
    rewrite=coefficient_log_to_xlogy,
)

__all__ = ["LOG_GAMMA", "LOG_BESSEL_I0", "LOG1P", "COEFFICIENT_LOG_TO_XLOGY"]
