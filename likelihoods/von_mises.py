"""Von Mises noise on an angle: the circular analogue of the Gaussian."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import circular, positive, real


class VonMises(NoiseModel):
    r"""An angle y in [-pi, pi] concentrated around ``mu`` with concentration ``kappa``.

    .. math:: \log p(y \mid \mu, \kappa) = \kappa \cos(y - \mu) - \log\bigl(2\pi I_0(\kappa)\bigr)

    ``mu`` is predicted (identity, any real angle) and ``kappa`` is fixed by default;
    ``VonMises(kappa="log")`` predicts it too. Point prediction: the mode, ``mu``.

    >>> from likelihoods import VonMises
    >>> VonMises(kappa="log").predicted
    ('mu', 'kappa')
    """

    target = Target("y", circular)
    parameters = (
        Parameter("mu", real, default="identity", description="mean direction"),
        Parameter("kappa", positive, default="fixed", description="concentration", largest=1e5),
    )
    prediction = "mode"
    scipy_reference = ("vonmises", lambda mu, kappa: {"kappa": kappa, "loc": mu})

    def log_density(self, y, mu, kappa):
        return kappa * sympy.cos(y - mu) - sympy.log(2 * sympy.pi * sympy.besseli(0, kappa))

    def point_prediction(self, mu, kappa):
        return mu
