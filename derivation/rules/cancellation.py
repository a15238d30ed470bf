"""Rules that keep small differences and large scales apart: 1 - cos as a squared sine, a
residual multiplied into its scale before either is raised to a power."""

from __future__ import annotations

import sympy

from .base import Rule


def one_minus_cos(expr: sympy.Expr) -> sympy.Expr:
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


def group_scaled_residuals(expr: sympy.Expr) -> sympy.Expr:
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


ONE_MINUS_COS = Rule(
    "one_minus_cos",
    "sum",
    matches="a - a cos(x)",
    writes="2 a sin(x/2)^2",
    identity="1 - cos x = 2 sin^2(x/2), exact where cos x rounds to 1",
    rewrite=one_minus_cos,
)
GROUP_SCALED_RESIDUALS = Rule(
    "group_scaled_residuals",
    "final",
    matches="r^k g^m (or r^k exp(c b)) with r a sum and |m| >= 2",
    writes="(r g^sign(m))^j r^(k-j) g^(m - sign(m) j), j = min(k, |m|)",
    identity="r^j g^j = (r g)^j: the product is finite where g^j alone overflows",
    rewrite=group_scaled_residuals,
)

__all__ = ["ONE_MINUS_COS", "GROUP_SCALED_RESIDUALS"]
