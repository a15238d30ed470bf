"""Multivariate normal noise on a vector target, through the Cholesky factor of its covariance."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import cholesky_factor, real_vector
from .links import CLASS_INDEX, CLASSES


class MultivariateNormal(NoiseModel):
    r"""A target y in R^K (the last axis) with mean mu and covariance L L^T, L lower-triangular
    with a positive diagonal:

    .. math:: \log p(y \mid \mu, L) = -\frac{K}{2}\log 2\pi - \sum_{k=0}^{K-1} \log L_{kk}
              - \frac{1}{2} \left\lVert L^{-1} (y - \mu) \right\rVert^2 .

    The log determinant comes from the diagonal and the quadratic form from a triangular
    solve (see :mod:`derivation.triangular_functions`): no inverse, no determinant. ``mu`` is
    predicted as it is; the factor L (``scale_tril``, as in ``torch.distributions``) through
    the ``log_diagonal`` link by default, from a raw lower-triangular ``raw_tril`` whose
    strictly lower triangle is taken as it is and whose diagonal goes through exp, so every
    real lower-triangular array is valid (its upper triangle must be zero).
    ``scale_tril="diagonal_log"`` predicts a diagonal factor from a vector of log-scales
    ``log_scale`` (the heteroscedastic Gaussian per dimension), ``scale_tril="identity"``
    takes factors as they are, and a number c fixes L = c I (``scale_tril=1``: the summed
    squared error).

    Point prediction: the mean vector mu.

    >>> import numpy as np
    >>> from derivation import derive
    >>> fn = derive(MultivariateNormal()).compile(nll=True)
    >>> y, mu = np.array([[1.0, 2.0]]), np.zeros((1, 2))
    >>> raw_tril = np.zeros((1, 2, 2))  # L = I
    >>> round(float(fn(y, mu, raw_tril)), 6)  # (1 + 4) / 2 + log(2 pi)
    4.337877
    """

    target = Target("y", real_vector)
    parameters = (
        Parameter("mu", real_vector, default="identity", description="mean vector"),
        Parameter(
            "scale_tril",
            cholesky_factor,
            default="log_diagonal",
            raw="raw_tril",
            description="Cholesky factor of the covariance",
        ),
    )
    prediction = "mean"

    @staticmethod
    def scipy_reference(y, mu, scale_tril):
        import numpy as np
        from scipy.stats import multivariate_normal

        y, mu = np.broadcast_arrays(y, mu)
        L = scale_tril
        if np.ndim(L) < 2:  # a number c: the factor c I
            L = L * np.eye(y.shape[-1])
        L = np.broadcast_to(L, (*y.shape, y.shape[-1]))
        out = np.empty(y.shape[:-1])
        for index in np.ndindex(out.shape):
            cov = L[index] @ L[index].T
            out[index] = multivariate_normal.logpdf(y[index], mu[index], cov)
        return out

    def log_density(self, y, mu, scale_tril):
        from derivation.triangular_functions import tril_quadratic

        k, K = CLASS_INDEX, CLASSES
        log_det = sympy.Sum(sympy.log(scale_tril[k, k]), (k, 0, K - 1))
        quadratic = tril_quadratic(scale_tril, y[k] - mu[k], k)
        return -K / 2 * sympy.log(2 * sympy.pi) - log_det - quadratic / 2

    def point_prediction(self, mu, scale_tril):
        return mu[CLASS_INDEX]
