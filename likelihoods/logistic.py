"""Logistic noise: a real target with tails between the Gaussian's and the Laplace's."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class Logistic(NoiseModel):
    r"""The logistic distribution on a real target, location ``mu`` and scale ``s``.

    .. math:: \log p(y \mid \mu, s) = -u - 2\log(1 + e^{-u}) - \log s,
              \quad u = \frac{y - \mu}{s}

    Quadratic near the centre and linear in the tails (like the Huber loss, but smooth
    everywhere): the loss of ``mu`` with ``s`` fixed is ``2 softplus(-u) + u``, a log-cosh in
    disguise (2 log cosh(u / 2) + 2 log 2). Parameters: ``mu`` (identity by default) and ``s``
    (positive, fixed by default). Point prediction: the mean (and median), ``mu``.

    >>> from likelihoods import Logistic
    >>> Logistic(s="log").predicted
    ('mu', 's')
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="location (mean)"),
        Parameter("s", positive, default="fixed", description="scale"),
    )
    prediction = "mean"
    scipy_reference = ("logistic", lambda mu, s: {"loc": mu, "scale": s})

    def log_density(self, y, mu, s):
        u = (y - mu) / s
        return -u - 2 * sympy.log(1 + sympy.exp(-u)) - sympy.log(s)

    def point_prediction(self, mu, s):
        return mu
