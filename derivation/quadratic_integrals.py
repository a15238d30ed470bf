r"""Rule ``quadratic_power_moment``: the expectation of a rational statistic under a density
that is a power of a positive quadratic in the target, as a Beta integral.

A density on the real line of the form C Q(y)^(-a), with Q(y) = (y + h)^2 + q and q > 0 (the
Student-t's, the Cauchy's), and a statistic N(y) / Q(y)^k (what their Hessians hold) give

    E[N(y) / Q(y)^k] = C sum_m n_m int x^(2m) (x^2 + q)^(-s) dx,    s = a + k,
    int_R x^(2m) (x^2 + q)^(-s) dx = q^(m + 1/2 - s) Gamma(m + 1/2) Gamma(s - m - 1/2) / Gamma(s)

after the shift x = y + h, where n_m is the coefficient of x^(2m) in N(x - h) (odd powers
integrate to zero). The integral converges where s - m - 1/2 > 0; a statistic or a density of
another form, or a convergence sympy cannot decide, gives None. Gamma ratios are then
simplified (Gamma(nu/2 + 3/2) / Gamma(nu/2 + 1/2) = nu/2 + 1/2).

>>> import sympy
>>> y, nu = sympy.Symbol("y", real=True), sympy.Symbol("nu", positive=True)
>>> t = -(nu + 1) / 2 * sympy.log(1 + y**2 / nu) + sympy.loggamma((nu + 1) / 2)
>>> t -= sympy.loggamma(nu / 2) + sympy.log(sympy.pi * nu) / 2  # the Student-t's log-density
>>> sympy.factor(quadratic_power_moment((nu - y**2) / (nu + y**2) ** 2, t, y))
1/(nu + 3)
"""

from __future__ import annotations

import sympy


def quadratic_power_moment(statistic: sympy.Expr, log_density: sympy.Expr, y: sympy.Symbol):
    """E[statistic] under exp(log_density) on the real line by the Beta integral (see the
    module), or None where the two are not of its form."""
    form = _power_form(log_density, y)
    if form is None:
        return None
    constant, powers = form
    numerator, denominator = sympy.fraction(sympy.together(statistic))
    scale, factors = sympy.factor_list(denominator, y)
    try:
        quadratic = _one_quadratic([(b, -e) for b, e in factors] + powers, y)
    except sympy.PolynomialError:
        return None
    if quadratic is None:
        return None
    factor, (h, q), s = quadratic
    if not q.is_positive:
        return None
    x = sympy.Dummy("x", real=True)
    try:
        shifted = sympy.Poly(sympy.expand(numerator.subs(y, x - h)), x)
    except sympy.PolynomialError:
        return None
    total = sympy.S.Zero
    for (n,), coefficient in shifted.terms():
        if n % 2:
            continue
        half = sympy.Rational(n + 1, 2)  # m + 1/2
        if not (s - half).is_positive:
            return None
        # every base raised to a power is positive (checked), so the product is summed in
        # logs, where (1 / (nu sigma^2))^(nu/2) (nu sigma^2)^(nu/2) cancels to 1
        power = sympy.expand_log(sympy.log(constant * factor * q ** (half - s)), force=True)
        gammas = sympy.gamma(half) * sympy.gamma(s - half)
        total += coefficient * sympy.powsimp(sympy.exp(sympy.expand(power))) * gammas
    moment = total / scale / sympy.gamma(s)
    # expand_func shifts Gamma(a + n) to (a)_n Gamma(a), which gammasimp alone misses
    return sympy.gammasimp(sympy.expand_func(moment))


def _power_form(log_density: sympy.Expr, y: sympy.Symbol):
    """exp(log_density) as ``(C, [(B, c), ...])``, C times the product of B^c, with C free of
    y (log-gamma terms written as logs of Gamma, which gammasimp then cancels); None where a
    term holding y is not c log B."""
    written = log_density.replace(sympy.loggamma, lambda a: sympy.log(sympy.gamma(a)))
    constant, powers = sympy.S.Zero, []
    for term in sympy.Add.make_args(sympy.expand(sympy.expand_log(written, force=True))):
        if not term.has(y):
            constant += term
            continue
        coefficient, rest = term.as_independent(y, as_Add=False)
        if not isinstance(rest, sympy.log):
            return None
        powers.append((rest.args[0], coefficient))
    return sympy.exp(constant), powers


def _one_quadratic(powers, y: sympy.Symbol):
    """``(F, (h, q), s)`` with prod B^c = F ((y + h)^2 + q)^(-s) over the given powers, or
    None where some B is not a constant multiple of that one quadratic in y."""
    factor, monic, s = sympy.S.One, None, sympy.S.Zero
    for base, exponent in powers:
        top, bottom = sympy.fraction(sympy.together(base))
        if bottom.has(y):
            return None
        poly = sympy.Poly(top, y)
        if poly.degree() == 0:
            factor *= base**exponent
            continue
        if poly.degree() != 2:
            return None
        if not (poly.LC() / bottom).is_positive:
            return None
        if monic is None:
            monic = poly.monic()
        elif sympy.simplify((poly.monic() - monic).as_expr()) != 0:
            return None
        factor *= (poly.LC() / bottom) ** exponent
        s -= exponent
    if monic is None:
        return None
    h = monic.coeff_monomial(y) / 2
    return factor, (h, sympy.simplify(monic.coeff_monomial(1) - h**2)), s


__all__ = ["quadratic_power_moment"]
