"""Named functions for differences of log-gamma and digamma functions: ``gammaln_difference``
and ``digamma_difference``, finite and accurate where the two functions are large and close
(see :func:`derivation.numpy_helpers._gammaln_difference`), introduced by the rule
``gammaln_difference`` of :mod:`derivation.rules.logs`.

>>> import sympy
>>> x, a = sympy.symbols("x a", positive=True)
>>> gammaln_difference(x, a).diff(x)
digamma_difference(x, a)
"""

from __future__ import annotations

import sympy

from .named import NamedBase as _Named


class gammaln_difference(_Named):
    r"""log Gamma(x + a) - log Gamma(x), for x > 0 and x + a > 0."""

    nargs = 2
    lowerings = {"numpy": "_gammaln_difference({0}, {1})"}

    @classmethod
    def definition(cls, x, a):
        return sympy.loggamma(x + a) - sympy.loggamma(x)

    def fdiff(self, argindex=1):
        x, a = self.args
        return digamma_difference(x, a) if argindex == 1 else sympy.polygamma(0, x + a)

    def _latex_body(self, printer):
        x, a = self.args
        return r"\left(\log\Gamma\left(%s\right) - \log\Gamma\left(%s\right)\right)" % (
            printer._print(x + a),
            printer._print(x),
        )


class digamma_difference(_Named):
    r"""psi(x + a) - psi(x), for x > 0 and x + a > 0 (psi the digamma function)."""

    nargs = 2
    lowerings = {"numpy": "_digamma_difference({0}, {1})"}

    @classmethod
    def definition(cls, x, a):
        return sympy.polygamma(0, x + a) - sympy.polygamma(0, x)

    def fdiff(self, argindex=1):
        x, a = self.args
        if argindex == 1:
            return sympy.polygamma(1, x + a) - sympy.polygamma(1, x)
        return sympy.polygamma(1, x + a)

    def _latex_body(self, printer):
        x, a = self.args
        return r"\left(\psi\left(%s\right) - \psi\left(%s\right)\right)" % (
            printer._print(x + a),
            printer._print(x),
        )


__all__ = ["gammaln_difference", "digamma_difference"]
