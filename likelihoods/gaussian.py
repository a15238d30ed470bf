"""Gaussian noise: y ~ Normal(mu, sigma^2). With sigma fixed, the loss is the squared error."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class Gaussian(NoiseModel):
    r"""Normal noise on a real target.

    .. math:: \log p(y \mid \mu, \sigma) = -\frac{(y-\mu)^2}{2\sigma^2} - \log\sigma
              - \tfrac12 \log 2\pi

    Parameters: ``mu`` (real, predicted through the identity by default) and ``sigma``
    (positive, fixed by default). Point prediction: the mean, ``mu``.

    >>> from likelihoods import Gaussian
    >>> Gaussian().predicted, Gaussian(sigma="log").predicted
    (('mu',), ('mu', 'sigma'))
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="mean"),
        Parameter("sigma", positive, default="fixed", description="standard deviation"),
    )
    prediction = "mean"
    scipy_reference = ("norm", lambda mu, sigma: {"loc": mu, "scale": sigma})

    def log_density(self, y, mu, sigma):
        return -((y - mu) ** 2) / (2 * sigma**2) - sympy.log(sigma) - sympy.log(2 * sympy.pi) / 2

    def point_prediction(self, mu, sigma):
        return mu
