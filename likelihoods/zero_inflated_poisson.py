"""Zero-inflated Poisson noise: counts with more zeros than a Poisson allows."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import nonnegative_integer, positive, unit_interval


class ZeroInflatedPoisson(NoiseModel):
    r"""Counts that are 0 with probability ``zero`` and Poisson(``rate``) otherwise.

    .. math:: \log p(y \mid \lambda, \pi) = \begin{cases}
              \log\left(\pi + (1 - \pi) e^{-\lambda}\right) & y = 0 \\
              \log(1 - \pi) + y\log\lambda - \lambda - \log y! & y > 0 \end{cases}

    ``rate`` is predicted through the log link and ``zero`` through the logit link by
    default. Point prediction: the mean, (1 - pi) lambda.

    >>> from likelihoods import ZeroInflatedPoisson
    >>> ZeroInflatedPoisson().predicted
    ('rate', 'zero')
    """

    target = Target("y", nonnegative_integer)
    parameters = (
        Parameter("rate", positive, default="log", raw="eta", description="Poisson rate"),
        Parameter("zero", unit_interval, default="logit", raw="z", description="excess zeros"),
    )
    prediction = "mean"

    @staticmethod
    def scipy_reference(y, rate, zero):
        import numpy as np
        from scipy.stats import poisson

        inflated = np.log(zero + (1 - zero) * np.exp(-rate))
        return np.where(y == 0, inflated, np.log1p(-zero) + poisson.logpmf(y, rate))

    def log_density(self, y, rate, zero):
        poisson = y * sympy.log(rate) - rate - sympy.loggamma(y + 1)
        return sympy.Piecewise(
            (sympy.log(zero + (1 - zero) * sympy.exp(-rate)), sympy.Eq(y, 0)),
            (sympy.log(1 - zero) + poisson, True),
        )

    def point_prediction(self, rate, zero):
        return (1 - zero) * rate
