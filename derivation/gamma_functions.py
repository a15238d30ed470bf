"""Named functions for differences of log-gamma and digamma functions: ``gammaln_difference``
and ``digamma_difference``, finite and accurate where the two functions are large and close
(see :func:`derivation.gamma_helpers._gammaln_difference`), introduced by the rule
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


class gammaln_exp(_Named):
    r"""log Gamma(e^t), for any real t: finite where e^t underflows (log Gamma(x) = -log x +
    log Gamma(1 + x)), introduced by the rule ``log_gamma_of_exp``."""

    nargs = 1
    lowerings = {"numpy": "_gammaln_exp({0})"}

    @classmethod
    def definition(cls, t):
        return sympy.loggamma(sympy.exp(t))

    def fdiff(self, argindex=1):
        return digamma_exp_scaled(self.args[0])

    def _latex_body(self, printer):
        return r"\log\Gamma\left(e^{%s}\right)" % printer._print(self.args[0])


class digamma_exp_scaled(_Named):
    r"""e^t psi(e^t), the derivative of ``gammaln_exp``: -1 where e^t underflows, never 0 *
    inf (psi(x) = psi(1 + x) - 1/x)."""

    nargs = 1
    lowerings = {"numpy": "_digamma_exp_scaled({0})"}

    @classmethod
    def definition(cls, t):
        return sympy.exp(t) * sympy.polygamma(0, sympy.exp(t))

    def fdiff(self, argindex=1):
        t = self.args[0]
        return self + sympy.exp(2 * t) * sympy.polygamma(1, sympy.exp(t))

    def _latex_body(self, printer):
        t = printer._print(self.args[0])
        return r"e^{%s}\psi\left(e^{%s}\right)" % (t, t)


__all__ = ["gammaln_difference", "digamma_difference", "gammaln_exp", "digamma_exp_scaled"]
