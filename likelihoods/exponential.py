"""Exponential noise on a positive target: waiting times, durations, sizes."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import nonnegative, positive


class Exponential(NoiseModel):
    r"""A waiting time y >= 0 at a constant ``rate``.

    .. math:: \log p(y \mid \lambda) = \log\lambda - \lambda y

    ``rate`` is predicted through the log link by default (raw output ``eta``, the log-rate),
    so the loss is :math:`y e^{\eta} - \eta`. Point prediction: the mean, 1 / ``rate``.

    >>> from derivation import derive
    >>> from likelihoods import Exponential
    >>> derive(Exponential()).loss
    -eta + y*exp(eta)
    """

    target = Target("y", nonnegative)
    parameters = (Parameter("rate", positive, default="log", raw="eta", description="rate"),)
    prediction = "mean"
    scipy_reference = ("expon", lambda rate: {"scale": 1 / rate})

    def log_density(self, y, rate):
        return sympy.log(rate) - rate * y

    def point_prediction(self, rate):
        return 1 / rate
