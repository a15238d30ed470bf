"""Asymmetric Laplace noise: its loss is the pinball (quantile) loss."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import open_unit_interval, positive, real


class AsymmetricLaplace(NoiseModel):
    r"""A real target whose ``tau``-quantile is ``mu``, with scale ``b``.

    .. math:: \log p(y \mid \mu, b, \tau) = \log\frac{\tau(1 - \tau)}{b}
              - \rho_\tau\!\left(\frac{y - \mu}{b}\right), \quad
              \rho_\tau(u) = u\,(\tau - [u < 0])

    With ``b`` and ``tau`` fixed the loss is the pinball loss of quantile regression (tau = 1/2
    gives half the absolute error). Parameters: ``mu`` (identity by default), ``b`` (positive,
    fixed), ``tau`` (in (0, 1), fixed). Point prediction: the tau-quantile, ``mu``.

    >>> from likelihoods import AsymmetricLaplace
    >>> AsymmetricLaplace(tau=0.9)
    AsymmetricLaplace(mu='identity', b='fixed', tau=0.9)
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="location (tau-quantile)"),
        Parameter("b", positive, default="fixed", description="scale"),
        Parameter("tau", open_unit_interval, default="fixed", description="quantile level"),
    )
    prediction = "quantile"
    scipy_reference = (
        "laplace_asymmetric",
        lambda mu, b, tau: {
            "kappa": (tau / (1 - tau)) ** 0.5,
            "loc": mu,
            "scale": b / (tau * (1 - tau)) ** 0.5,
        },
    )

    def log_density(self, y, mu, b, tau):
        u = (y - mu) / b
        check = sympy.Piecewise((tau * u, u >= 0), ((tau - 1) * u, True))
        return sympy.log(tau * (1 - tau) / b) - check

    def point_prediction(self, mu, b, tau):
        return mu
