"""Beta noise on a proportion strictly between 0 and 1."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import open_unit_interval, positive


def _log_beta_density(y, a, b):
    return (
        (a - 1) * sympy.log(y)
        + (b - 1) * sympy.log(1 - y)
        + sympy.loggamma(a + b)
        - sympy.loggamma(a)
        - sympy.loggamma(b)
    )


class Beta(NoiseModel):
    r"""A proportion y in (0, 1) with shapes ``alpha`` and ``beta``.

    .. math:: \log p(y \mid \alpha, \beta) = (\alpha - 1)\log y + (\beta - 1)\log(1 - y)
              - \log B(\alpha, \beta)

    Both shapes are predicted through the log link by default. Point prediction: the mean,
    alpha / (alpha + beta). :class:`BetaMean` predicts the mean and a precision instead.

    >>> from likelihoods import Beta
    >>> Beta().predicted
    ('alpha', 'beta')
    """

    target = Target("y", open_unit_interval)
    parameters = (
        Parameter("alpha", positive, default="log", description="first shape"),
        Parameter("beta", positive, default="log", description="second shape"),
    )
    prediction = "mean"
    scipy_reference = ("beta", lambda alpha, beta: {"a": alpha, "b": beta})

    def log_density(self, y, alpha, beta):
        return _log_beta_density(y, alpha, beta)

    def point_prediction(self, alpha, beta):
        return alpha / (alpha + beta)


class BetaMean(NoiseModel):
    r"""The beta distribution by its ``mean`` m and ``precision`` phi (shapes m phi and
    (1 - m) phi): the parametrisation of beta regression, variance m (1 - m) / (1 + phi).

    .. math:: \log p(y \mid m, \phi) = (m\phi - 1)\log y + ((1 - m)\phi - 1)\log(1 - y)
              - \log B(m\phi, (1 - m)\phi)

    The mean is predicted through the logit link by default, the precision is fixed.

    >>> from likelihoods import BetaMean
    >>> BetaMean(precision="log").predicted
    ('mean', 'precision')
    """

    target = Target("y", open_unit_interval)
    parameters = (
        Parameter("mean", open_unit_interval, default="logit", raw="eta", description="mean"),
        Parameter("precision", positive, default="fixed", description="precision phi"),
    )
    prediction = "mean"
    scipy_reference = (
        "beta",
        lambda mean, precision: {"a": mean * precision, "b": (1 - mean) * precision},
    )

    def log_density(self, y, mean, precision):
        return _log_beta_density(y, mean * precision, (1 - mean) * precision)

    def point_prediction(self, mean, precision):
        return mean
