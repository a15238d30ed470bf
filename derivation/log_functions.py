"""Named functions for logarithms of sums: ``logaddexp`` and ``log_mix``, ``log1p_square`` with its
derivative ``x_over_1px2`` and ``square_fraction`` (x times it), and ``betaln``. Each is
written so that it neither overflows nor cancels where its plain definition does (see the
rules in :mod:`derivation.rules.exponentials` and :mod:`derivation.rules.logs`, which
introduce them).

>>> import sympy
>>> a, b = sympy.symbols("a b", real=True)
>>> logaddexp(a, b).diff(a)
expit(a - b)
>>> log1p_square(a).diff(a)
2*x_over_1px2(a)
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from .named import NamedBase as _Named


class logaddexp(_Named):
    r"""log(e^a + e^b) = max(a, b) + log1p(e^{-|a - b|}): ``numpy.logaddexp``, finite for
    any finite a and b."""

    nargs = 2
    lowerings = {"numpy": "numpy.logaddexp({0}, {1})"}

    @staticmethod
    def primitives(a, b):
        return sympy.Max(a, b) + log1p(sympy.exp(-sympy.Abs(a - b)))

    @classmethod
    def definition(cls, a, b):
        return sympy.log(sympy.exp(a) + sympy.exp(b))

    def fdiff(self, argindex=1):
        from .functions import expit  # the logistic functions import this module

        a, b = self.args
        # e^a / (e^a + e^b) = expit(a - b): never inf / inf
        return expit(a - b) if argindex == 1 else expit(b - a)

    def _latex_body(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return r"\log\left(e^{%s} + e^{%s}\right)" % (a, b)


class log_mix(_Named):
    r"""log(expit(-z) e^a + expit(z) e^b), the log-density of a two-component mixture whose
    weight is logistic in z: pivoted on the larger of a and b as m + log1p(w expm1(-|a -
    b|)), w the smaller one's weight, where that sum is at least 1/2 (so a value near 0, a
    mixture with a component near certainty, keeps its digits), ``logaddexp`` of the two
    terms otherwise."""

    nargs = 3
    lowerings = {}

    @staticmethod
    def primitives(z, a, b):
        from .functions import expit, softplus

        # the smaller one's weight, expit(z) if a > b (either where a = b: expm1(0) = 0)
        u = expit(sympy.sign(a - b) * z) * expm1(-sympy.Abs(a - b))
        direct = logaddexp(a - softplus(z), b - softplus(-z))
        return sympy.Piecewise((sympy.Max(a, b) + log1p(u), u >= -sympy.S.Half), (direct, True))

    @classmethod
    def definition(cls, z, a, b):
        e = sympy.exp
        return sympy.log(e(a) / (1 + e(z)) + e(b) / (1 + e(-z)))

    def fdiff(self, argindex=1):
        from .functions import softplus

        z, a, b = self.args
        if argindex == 2:  # the first component's share of the mixture
            return sympy.exp(a - softplus(z) - self)
        if argindex == 3:
            return sympy.exp(b - softplus(-z) - self)
        # expit(z) expit(-z) (e^b - e^a) / e^self, the difference as an expm1 of -|a - b|
        scale = sympy.exp(sympy.Max(a, b) - self - softplus(z) - softplus(-z))
        return -sympy.sign(b - a) * scale * expm1(-sympy.Abs(a - b))

    def _latex_body(self, printer):
        z, a, b = (printer._print(x) for x in self.args)
        return r"\log\left(\sigma(-%s) e^{%s} + \sigma(%s) e^{%s}\right)" % (z, a, z, b)


class log1p_square(_Named):
    r"""log(1 + x^2), as 2 log|x| + log1p(x^{-2}) past |x| = 1: finite where x^2 overflows
    (|x| > 1.3e154), accurate where it underflows."""

    nargs = 1
    lowerings = {}

    @staticmethod
    def primitives(x):
        large = sympy.Abs(x) > 1
        return sympy.Piecewise(
            (2 * sympy.log(sympy.Abs(x)) + log1p(x**-2), large), (log1p(x**2), True)
        )

    @classmethod
    def definition(cls, x):
        return sympy.log(1 + x**2)

    def fdiff(self, argindex=1):
        return 2 * x_over_1px2(self.args[0])

    def _latex_body(self, printer):
        return r"\log\left(1 + %s^{2}\right)" % printer.parenthesize(self.args[0], 60)


class x_over_1px2(_Named):
    r"""x / (1 + x^2), as 1 / (x + 1/x) past |x| = 1: the derivative of log(1 + x^2) / 2,
    finite and accurate where x^2 overflows."""

    nargs = 1
    lowerings = {}

    @staticmethod
    def primitives(x):
        return sympy.Piecewise((1 / (x + 1 / x), sympy.Abs(x) > 1), (x / (1 + x**2), True))

    @classmethod
    def definition(cls, x):
        return x / (1 + x**2)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return (1 - x**2) / (1 + x**2) ** 2

    def _latex_body(self, printer):
        x = printer._print(self.args[0])
        return r"\frac{%s}{1 + %s^{2}}" % (x, printer.parenthesize(self.args[0], 60))


class square_fraction(_Named):
    r"""x^2 / (1 + x^2), as 1 / (1 + x^{-2}) past |x| = 1: x times the derivative of
    log(1 + x^2) / 2, which is inf * 0 where x^2 overflows, and 1 here."""

    nargs = 1
    lowerings = {}

    @staticmethod
    def primitives(x):
        return sympy.Piecewise((1 / (1 + x**-2), sympy.Abs(x) > 1), (x**2 / (1 + x**2), True))

    @classmethod
    def definition(cls, x):
        return x**2 / (1 + x**2)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 2 * x_over_1px2(x) * (1 - self)

    def _latex_body(self, printer):
        x = printer.parenthesize(self.args[0], 60)
        return r"rac{%s^{2}}{1 + %s^{2}}" % (x, x)


class betaln(_Named):
    r"""log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b) for a, b > 0, computed
    without subtracting two large log-gammas (see
    :func:`derivation.gamma_helpers._betaln`; ``scipy.special.betaln`` does for moderate
    arguments)."""

    nargs = 2
    lowerings = {"numpy": "_betaln({0}, {1})"}

    @classmethod
    def definition(cls, a, b):
        return sympy.loggamma(a) + sympy.loggamma(b) - sympy.loggamma(a + b)

    def fdiff(self, argindex=1):
        a, b = self.args
        own = a if argindex == 1 else b
        return sympy.polygamma(0, own) - sympy.polygamma(0, a + b)

    def _latex_body(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return r"\log B\left(%s, %s\right)" % (a, b)


__all__ = ["logaddexp", "log_mix", "log1p_square", "x_over_1px2", "square_fraction", "betaln"]
