"""Named functions for modified Bessel functions of the first kind of any order nu >= 0:
``log_ive`` (log I_nu(x) e^-x), ``bessel_i_gap`` (1 - I_{nu+1}(x) / I_nu(x)) and
``bessel_i_ratio`` (I_{nu+1}(x) / I_nu(x)), introduced by
the rule ``log_bessel_i`` of :mod:`derivation.rules.logs` (order 0 has its own functions,
``log_i0e`` and ``one_minus_i1_over_i0``). Computed by
:func:`derivation.bessel_helpers._log_ive`, ``_bessel_i_gap`` and ``_bessel_i_ratio``;
``bessel_i_ratio`` where the rule ``bessel_gap_complement`` finds 1 - gap.

>>> import sympy
>>> nu, x = sympy.symbols("nu x", positive=True)
>>> log_ive(nu, x).diff(x)
nu/x - bessel_i_gap(nu, x)
"""

from __future__ import annotations

import sympy
from sympy.core.function import ArgumentIndexError

from .named import NamedBase as _Named


class log_ive(_Named):
    r"""log(I_nu(x) e^{-x}) for x >= 0, nu >= 0: the log of ``scipy.special.ive``, by its
    power series where I_nu(x) underflows (small x) and never overflowing (large x)."""

    nargs = 2
    lowerings = {"numpy": "_log_ive({0}, {1})"}

    @classmethod
    def definition(cls, nu, x):
        return sympy.log(sympy.besseli(nu, x)) - x

    def fdiff(self, argindex=2):
        if argindex != 2:  # the derivative in the order is not elementary
            raise ArgumentIndexError(self, argindex)
        nu, x = self.args
        # I_nu'(x) = I_{nu+1}(x) + (nu / x) I_nu(x), less 1 from the scaling by e^-x
        return nu / x - bessel_i_gap(nu, x)

    def _latex_body(self, printer):
        nu, x = (printer._print(a) for a in self.args)
        return r"\log\left(I_{%s}\left(%s\right) e^{-%s}\right)" % (nu, x, x)


class bessel_i_gap(_Named):
    r"""1 - I_{nu+1}(x) / I_nu(x) for x >= 0, nu >= 0, accurate where the ratio is close to 1
    (large x), by the asymptotic series of both orders term by term, and where both underflow
    (small x), by their power series."""

    nargs = 2
    lowerings = {"numpy": "_bessel_i_gap({0}, {1})"}

    @classmethod
    def definition(cls, nu, x):
        return 1 - sympy.besseli(nu + 1, x) / sympy.besseli(nu, x)

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise ArgumentIndexError(self, argindex)
        nu, x = self.args
        ratio = 1 - self
        # the ratio r = I_{nu+1}/I_nu satisfies r' = 1 - (2 nu + 1) r / x - r^2
        return -(1 - (2 * nu + 1) * ratio / x - ratio**2)

    def _latex_body(self, printer):
        nu, x = (printer._print(a) for a in self.args)
        return r"\left(1 - \frac{I_{%s + 1}\left(%s\right)}{I_{%s}\left(%s\right)}\right)" % (
            nu,
            x,
            nu,
            x,
        )


class bessel_i_ratio(_Named):
    r"""I_{nu+1}(x) / I_nu(x) for x >= 0, nu >= 0: 1 - ``bessel_i_gap``, written so by the
    rule ``bessel_gap_complement`` where that difference would cancel (small x)."""

    nargs = 2
    lowerings = {"numpy": "_bessel_i_ratio({0}, {1})"}

    @classmethod
    def definition(cls, nu, x):
        return sympy.besseli(nu + 1, x) / sympy.besseli(nu, x)

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise ArgumentIndexError(self, argindex)
        nu, x = self.args
        return 1 - (2 * nu + 1) * self / x - self**2

    def _latex_body(self, printer):
        nu, x = (printer._print(a) for a in self.args)
        return r"\frac{I_{%s + 1}\left(%s\right)}{I_{%s}\left(%s\right)}" % (nu, x, nu, x)


__all__ = ["log_ive", "bessel_i_gap", "bessel_i_ratio"]
