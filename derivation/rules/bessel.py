"""Rules about modified Bessel functions of any order: the complement of the gap between
two orders, where the gap is close to 1.

>>> import sympy
>>> from derivation.functions import bessel_i_gap
>>> x = sympy.Symbol("x", positive=True)
>>> BESSEL_GAP_COMPLEMENT(x * bessel_i_gap(1, x) - x)
-x*bessel_i_ratio(1, x)
"""

from __future__ import annotations

import sympy

from ..functions import bessel_i_gap, bessel_i_ratio
from .base import Rule


def bessel_gap_complement(expr: sympy.Expr) -> sympy.Expr:
    # a (1 - I_{nu+1}/I_nu) - a = -a I_{nu+1}/I_nu: the derivative of log(I_nu(k) e^-k) + k
    # times k holds k gap - k, which cancels for small k where the ratio is k / (2 nu + 2).
    def convert(add: sympy.Add) -> sympy.Expr:
        if not add.has(bessel_i_gap):
            return add
        terms = sympy.Add.make_args(sympy.expand_mul(add))
        for gap in sorted(add.atoms(bessel_i_gap), key=sympy.default_sort_key):
            with_gap = [t for t in terms if t.has(gap)]
            a = sympy.cancel(sympy.Add(*with_gap) / gap)
            if a.has(gap):
                continue
            match = [t for t in terms if not t.has(gap) and sympy.expand(t + a) == 0]
            if match:
                rest = [t for t in terms if t not in with_gap and t is not match[0]]
                return sympy.Add(*rest, -a * bessel_i_ratio(*gap.args))
        return add

    return expr.replace(lambda e: e.is_Add, convert)


BESSEL_GAP_COMPLEMENT = Rule(
    "bessel_gap_complement",
    "sum",
    matches="a bessel_i_gap(nu, x) - a in a sum (products distributed)",
    writes="-a bessel_i_ratio(nu, x)",
    identity="1 - (1 - I_{nu+1}/I_nu) = I_{nu+1}/I_nu",
    rewrite=bessel_gap_complement,
)

__all__ = ["BESSEL_GAP_COMPLEMENT"]
