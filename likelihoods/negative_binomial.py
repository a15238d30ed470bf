"""Negative binomial noise: counts more spread out than Poisson counts."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import nonnegative_integer, positive


class NegativeBinomial(NoiseModel):
    r"""Counts y in {0, 1, 2, ...} with ``mean`` mu and ``dispersion`` alpha: variance
    mu + alpha mu^2 (the NB2 model of count regression; a Poisson whose rate is gamma
    distributed, and the Poisson itself as alpha -> 0).

    .. math:: \log p(y \mid \mu, \alpha) = \log\Gamma(y + \alpha^{-1})
              - \log\Gamma(\alpha^{-1}) - \log y! + y\log(\alpha\mu)
              - (y + \alpha^{-1})\log(1 + \alpha\mu)

    ``mean`` is predicted through the log link by default, ``dispersion`` is fixed. Point
    prediction: the mean, mu.

    >>> from likelihoods import NegativeBinomial
    >>> NegativeBinomial(dispersion="log").predicted
    ('mean', 'dispersion')
    """

    target = Target("y", nonnegative_integer)
    parameters = (
        Parameter("mean", positive, default="log", raw="eta", description="mean mu"),
        Parameter("dispersion", positive, default="fixed", description="dispersion alpha"),
    )
    prediction = "mean"
    scipy_reference = (
        "nbinom",
        lambda mean, dispersion: {"n": 1 / dispersion, "p": 1 / (1 + dispersion * mean)},
    )

    def log_density(self, y, mean, dispersion):
        r = 1 / dispersion
        return (
            sympy.loggamma(y + r)
            - sympy.loggamma(r)
            - sympy.loggamma(y + 1)
            + y * sympy.log(dispersion * mean)
            - (y + r) * sympy.log(1 + dispersion * mean)
        )

    def point_prediction(self, mean, dispersion):
        return mean
