"""The density whose negative log is the Huber loss."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class Huber(NoiseModel):
    r"""Noise that is Gaussian within ``delta`` of ``mu`` and Laplace beyond it.

    The Huber loss is not the likelihood of a standard distribution; it is the negative log of
    this density, exp(-h(y - mu)) normalised:

    .. math:: \log p(y \mid \mu, \delta) = -h_\delta(y - \mu) - \log Z(\delta), \quad
              h_\delta(r) = \begin{cases} r^2 / 2 & |r| \le \delta \\
              \delta(|r| - \delta / 2) & |r| > \delta \end{cases}

    with :math:`Z(\delta) = \sqrt{2\pi}\,\operatorname{erf}(\delta/\sqrt2) +
    2 e^{-\delta^2/2}/\delta` (the Gaussian core and two exponential tails). Parameters:
    ``mu`` (identity by default) and ``delta`` (positive, fixed by default; in units of the
    target). Point prediction: the median (and mean), ``mu``.

    >>> from likelihoods import Huber
    >>> Huber(delta=1.35)
    Huber(mu='identity', delta=1.35)
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="location"),
        Parameter("delta", positive, default="fixed", description="threshold"),
    )
    prediction = "median"

    @staticmethod
    def scipy_reference(y, mu, delta):
        import numpy as np
        from scipy.special import erf

        r = np.abs(y - mu)
        huber = np.where(r <= delta, r**2 / 2, delta * (r - delta / 2))
        normaliser = (
            np.sqrt(2 * np.pi) * erf(delta / np.sqrt(2)) + 2 * np.exp(-(delta**2) / 2) / delta
        )
        return -huber - np.log(normaliser)

    def log_density(self, y, mu, delta):
        r = y - mu
        huber = sympy.Piecewise(
            (r**2 / 2, sympy.Abs(r) <= delta), (delta * (sympy.Abs(r) - delta / 2), True)
        )
        normaliser = (
            sympy.sqrt(2 * sympy.pi) * sympy.erf(delta / sympy.sqrt(2))
            + 2 * sympy.exp(-(delta**2) / 2) / delta
        )
        return -huber - sympy.log(normaliser)

    def point_prediction(self, mu, delta):
        return mu
