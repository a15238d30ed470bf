"""Gamma noise on a positive target, by shape and rate."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive


class Gamma(NoiseModel):
    r"""A positive target y with ``shape`` alpha and ``rate`` beta.

    .. math:: \log p(y \mid \alpha, \beta) = \alpha\log\beta - \log\Gamma(\alpha)
              + (\alpha - 1)\log y - \beta y

    ``rate`` is predicted through the log link by default, ``shape`` is fixed. With the shape
    fixed the spread grows with the mean (a constant coefficient of variation, 1/sqrt(alpha)):
    the noise of durations, costs and amounts. Point prediction: the mean, alpha / beta.
    :class:`GammaMean` predicts the mean itself.

    >>> from derivation import derive
    >>> from likelihoods import Gamma
    >>> derive(Gamma(shape=2)).loss
    -2*eta + y*exp(eta)
    """

    target = Target("y", positive)
    parameters = (
        Parameter("shape", positive, default="fixed", description="shape alpha"),
        Parameter("rate", positive, default="log", raw="eta", description="rate beta"),
    )
    prediction = "mean"
    scipy_reference = ("gamma", lambda shape, rate: {"a": shape, "scale": 1 / rate})

    def log_density(self, y, shape, rate):
        return (
            shape * sympy.log(rate) - sympy.loggamma(shape) + (shape - 1) * sympy.log(y) - rate * y
        )

    def point_prediction(self, shape, rate):
        return shape / rate


class GammaMean(NoiseModel):
    r"""The gamma distribution by its ``mean`` mu and ``shape`` alpha (rate alpha / mu): the
    parametrisation of gamma regression.

    .. math:: \log p(y \mid \mu, \alpha) = \alpha\log\frac{\alpha}{\mu} - \log\Gamma(\alpha)
              + (\alpha - 1)\log y - \frac{\alpha y}{\mu}

    With the mean through the log link and the shape fixed, the loss is
    :math:`y e^{-\eta} + \eta`, half the gamma deviance up to terms free of eta.

    >>> from derivation import derive
    >>> from likelihoods import GammaMean
    >>> derive(GammaMean()).loss
    eta + y*exp(-eta)
    """

    target = Target("y", positive)
    parameters = (
        Parameter("mean", positive, default="log", raw="eta", description="mean mu"),
        Parameter("shape", positive, default="fixed", description="shape alpha"),
    )
    prediction = "mean"
    scipy_reference = ("gamma", lambda mean, shape: {"a": shape, "scale": mean / shape})

    def log_density(self, y, mean, shape):
        return (
            shape * sympy.log(shape / mean)
            - sympy.loggamma(shape)
            + (shape - 1) * sympy.log(y)
            - shape * y / mean
        )

    def point_prediction(self, mean, shape):
        return mean
