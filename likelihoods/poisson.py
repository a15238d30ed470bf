"""Poisson noise on a count target: the Poisson NLL falls out."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import nonnegative, nonnegative_integer


class Poisson(NoiseModel):
    r"""Counts y in {0, 1, 2, ...} with mean ``rate``.

    .. math:: \log p(y \mid \lambda) = y \log\lambda - \lambda - \log y!

    ``rate`` is predicted through the log link by default (raw output ``eta``, the log-rate);
    ``Poisson(rate="identity")`` takes rates. Point prediction: the mean, ``rate``.

    >>> from likelihoods import Poisson
    >>> Poisson().predicted
    ('rate',)
    """

    target = Target("y", nonnegative_integer)
    parameters = (
        Parameter("rate", nonnegative, default="log", raw="eta", description="mean count"),
    )
    prediction = "mean"
    scipy_reference = ("poisson", lambda rate: {"mu": rate})

    def log_density(self, y, rate):
        return y * sympy.log(rate) - rate - sympy.loggamma(y + 1)

    def point_prediction(self, rate):
        return rate
