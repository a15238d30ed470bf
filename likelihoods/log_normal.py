"""Log-normal noise: a positive target whose logarithm is Gaussian."""

from __future__ import annotations

import math

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class LogNormal(NoiseModel):
    r"""A positive target y with log y ~ Normal(mu, sigma^2): multiplicative noise.

    .. math:: \log p(y \mid \mu, \sigma) = -\frac{(\log y - \mu)^2}{2\sigma^2} - \log\sigma
              - \log y - \tfrac12\log 2\pi

    Parameters: ``mu`` (real, identity by default: the mean of log y) and ``sigma`` (positive,
    fixed by default). With sigma fixed the loss is the squared error of log y. Point
    prediction: the median, e^mu.

    >>> from derivation import derive
    >>> from likelihoods import LogNormal
    >>> derive(LogNormal()).loss
    (-mu + log(y))**2
    """

    target = Target("y", positive)
    parameters = (
        Parameter("mu", real, default="identity", description="mean of log y"),
        Parameter("sigma", positive, default="fixed", description="standard deviation of log y"),
    )
    prediction = "median"
    scipy_reference = ("lognorm", lambda mu, sigma: {"s": sigma, "scale": math.e**mu})

    def log_density(self, y, mu, sigma):
        return (
            -((sympy.log(y) - mu) ** 2) / (2 * sigma**2)
            - sympy.log(sigma)
            - sympy.log(y)
            - sympy.log(2 * sympy.pi) / 2
        )

    def point_prediction(self, mu, sigma):
        return sympy.exp(mu)
