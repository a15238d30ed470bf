"""Laplace noise: y ~ Laplace(mu, b). With b fixed, the loss is the absolute error."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class Laplace(NoiseModel):
    r"""Double-exponential noise on a real target; heavier tails than the Gaussian.

    .. math:: \log p(y \mid \mu, b) = -\frac{|y-\mu|}{b} - \log 2b

    Parameters: ``mu`` (real, identity by default) and ``b`` (positive scale, fixed by
    default). Point prediction: the median, ``mu``.

    >>> from likelihoods import Laplace
    >>> Laplace(b=0.5)
    Laplace(mu='identity', b=0.5)
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="location (median)"),
        Parameter("b", positive, default="fixed", description="scale"),
    )
    prediction = "median"
    scipy_reference = ("laplace", lambda mu, b: {"loc": mu, "scale": b})

    def log_density(self, y, mu, b):
        return -sympy.Abs(y - mu) / b - sympy.log(2 * b)

    def point_prediction(self, mu, b):
        return mu
