"""Student-t noise: a Gaussian whose scale is itself uncertain; robust to outliers."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive, real


class StudentT(NoiseModel):
    r"""Heavy-tailed noise on a real target, with ``nu`` degrees of freedom.

    .. math:: \log p(y \mid \mu, \sigma, \nu) = \log\Gamma\!\left(\tfrac{\nu+1}{2}\right)
              - \log\Gamma\!\left(\tfrac{\nu}{2}\right) - \tfrac12\log(\nu\pi) - \log\sigma
              - \frac{\nu+1}{2}\log\!\left(1 + \frac{(y-\mu)^2}{\nu\sigma^2}\right)

    An outlier costs the logarithm of its residual, not its square, so it pulls the fit far
    less than under Gaussian noise; as ``nu`` grows the density becomes the Gaussian.
    Parameters: ``mu`` (identity by default), ``sigma`` and ``nu`` (positive, fixed by
    default). Point prediction: the median, ``mu`` (the mean does not exist for nu <= 1).

    >>> from derivation import derive
    >>> from likelihoods import StudentT
    >>> derive(StudentT(sigma=1, nu=3)).loss
    log((-mu + y)**2/3 + 1)
    """

    target = Target("y", real)
    parameters = (
        Parameter("mu", real, default="identity", description="location (median)"),
        Parameter("sigma", positive, default="fixed", description="scale"),
        Parameter("nu", positive, default="fixed", description="degrees of freedom"),
    )
    prediction = "median"
    scipy_reference = ("t", lambda mu, sigma, nu: {"df": nu, "loc": mu, "scale": sigma})

    def log_density(self, y, mu, sigma, nu):
        half = sympy.Rational(1, 2)
        return (
            sympy.loggamma((nu + 1) * half)
            - sympy.loggamma(nu * half)
            - sympy.log(nu * sympy.pi) * half
            - sympy.log(sigma)
            - (nu + 1) * half * sympy.log(1 + ((y - mu) / sigma) ** 2 / nu)
        )

    def point_prediction(self, mu, sigma, nu):
        return mu
