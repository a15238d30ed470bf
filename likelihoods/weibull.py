"""Weibull noise: lifetimes whose hazard rises or falls as a power of time."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import nonnegative, positive


class Weibull(NoiseModel):
    r"""A lifetime y >= 0 with ``shape`` k and ``scale`` lambda.

    .. math:: \log p(y \mid k, \lambda) = \log k - \log\lambda
              + (k - 1)\log\frac{y}{\lambda} - \left(\frac{y}{\lambda}\right)^k

    ``scale`` is predicted through the log link by default, ``shape`` is fixed (k = 1 is the
    exponential distribution; k > 1 a hazard that grows with age). Point prediction: the
    median, lambda (log 2)^(1/k).

    >>> from likelihoods import Weibull
    >>> Weibull(shape=2).predicted
    ('scale',)
    """

    target = Target("y", nonnegative)
    parameters = (
        Parameter("shape", positive, default="fixed", description="shape k"),
        Parameter("scale", positive, default="log", raw="eta", description="scale lambda"),
    )
    prediction = "median"
    scipy_reference = ("weibull_min", lambda shape, scale: {"c": shape, "scale": scale})

    def log_density(self, y, shape, scale):
        return (
            sympy.log(shape)
            - sympy.log(scale)
            + (shape - 1) * sympy.log(y / scale)
            - (y / scale) ** shape
        )

    def point_prediction(self, shape, scale):
        return scale * sympy.log(2) ** (1 / shape)
