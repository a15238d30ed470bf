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


def bessel_ratios(expr: sympy.Expr) -> sympy.Expr:
    # I_n(x)^a / I_m(x)^a for integer orders n > m = (prod_{k=m}^{n-1} I_{k+1}(x) / I_k(x))^a:
    # each ratio in [0, 1], where I_n(x) alone overflows for x > 700. Products are expanded
    # first, so that a sum over I_m(x)^a is seen term by term.
    if not expr.has(sympy.besseli):
        return expr

    def powers(mul: sympy.Mul) -> list:
        return [
            (f.base if f.is_Pow else f, f.exp if f.is_Pow else sympy.S.One)
            for f in mul.args
            if isinstance(f.base if f.is_Pow else f, sympy.besseli)
        ]

    def convert(mul: sympy.Mul) -> sympy.Expr:
        found = powers(mul)
        for top, a in found:
            for bottom, b in found:
                (n, x), (m, u) = top.args, bottom.args
                if x == u and a.is_Integer and a > 0 and b == -a and (n - m).is_Integer:
                    low, high, sign = (m, n, 1) if n > m else (n, m, -1)
                    ratio = sympy.Mul(*(bessel_i_ratio(low + k, x) for k in range(int(high - low))))
                    rest = mul / (top**a * bottom**b)
                    return (
                        convert(rest * ratio ** (sign * a))
                        if rest.is_Mul
                        else rest * ratio ** (sign * a)
                    )
        return mul

    expanded = sympy.expand_mul(expr)
    return expanded.replace(lambda e: e.is_Mul and e.has(sympy.besseli), convert)


BESSEL_RATIOS = Rule(
    "bessel_ratios",
    "local",
    matches="I_n(x)^a / I_m(x)^a with n - m an integer (products expanded)",
    writes="(prod_{k=m}^{n-1} bessel_i_ratio(k, x))^a",
    identity="I_n / I_m = prod_k I_{k+1} / I_k, each ratio in [0, 1]",
    rewrite=bessel_ratios,
)

__all__ = ["BESSEL_GAP_COMPLEMENT", "BESSEL_RATIOS"]
