"""Bernoulli noise on a binary target: binary cross-entropy falls out."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import binary, unit_interval


class Bernoulli(NoiseModel):
    r"""A binary target y in {0, 1} with P(y = 1) = p.

    .. math:: \log p(y \mid p) = y \log p + (1 - y) \log(1 - p)

    ``p`` is predicted through the logit link by default (raw output ``z``, the logit);
    ``Bernoulli(p="identity")`` takes probabilities instead. Point prediction: the mode,
    1 when p > 1/2 (z > 0), else 0.

    >>> from likelihoods import Bernoulli
    >>> Bernoulli(), Bernoulli(p="identity")
    (Bernoulli(p='logit'), Bernoulli(p='identity'))
    """

    target = Target("y", binary)
    parameters = (Parameter("p", unit_interval, default="logit", raw="z", description="P(y = 1)"),)
    prediction = "mode"
    scipy_reference = ("bernoulli", lambda p: {"p": p})

    def log_density(self, y, p):
        return y * sympy.log(p) + (1 - y) * sympy.log(1 - p)

    def point_prediction(self, p):
        return sympy.Piecewise((1, p > sympy.Rational(1, 2)), (0, True))
