"""A mixture of K Gaussians: multimodal regression, one density with several peaks."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import positive_vector, real, real_vector, simplex
from .links import CLASS_INDEX, CLASSES


class GaussianMixture(NoiseModel):
    r"""A real target drawn from one of K Gaussian components, component k with probability
    w_k, mean mu_k and scale sigma_k (a mixture density network's output head):

    .. math:: \log p(y \mid w, \mu, \sigma) = \log \sum_{k=0}^{K-1} w_k
              \frac{1}{\sqrt{2\pi}\,\sigma_k}
              \exp\left(-\frac{(y - \mu_k)^2}{2\sigma_k^2}\right).

    The three parameters are vectors over the last axis, K read off the arrays at call time:
    ``w`` through the softmax of raw ``logits`` by default, ``mu`` as it is, ``sigma``
    through the log link (raw ``log_sigma``). The NLL comes out as
    logsumexp(logits) - log sum_k exp(logits_k - log sigma_k - (y - mu_k)^2 / (2 sigma_k^2)),
    a log-sum-exp shifted by its largest term (rule ``log_of_component_sum``): components far
    from y get a responsibility of exactly 0, never an overflow.

    Point prediction: the mean, sum_k w_k mu_k (the modes are near the mu_k of large w_k).

    >>> import numpy as np
    >>> from derivation import derive
    >>> fn = derive(GaussianMixture()).compile(nll=True)
    >>> y, logits = np.array([0.0]), np.log([[0.5, 0.5]])
    >>> mu, log_sigma = np.array([[-1.0, 1.0]]), np.zeros((1, 2))
    >>> round(float(fn(y, logits, mu, log_sigma)), 6)  # 1/2 + log sqrt(2 pi)
    1.418939
    """

    target = Target("y", real)
    parameters = (
        Parameter("w", simplex, default="softmax", raw="logits", description="component weights"),
        Parameter("mu", real_vector, default="identity", description="component means"),
        Parameter("sigma", positive_vector, default="log", raw="log_sigma", description="scales"),
    )
    prediction = "mean"

    @staticmethod
    def scipy_reference(y, w, mu, sigma):
        import numpy as np
        from scipy.special import logsumexp
        from scipy.stats import norm

        return logsumexp(np.log(w) + norm.logpdf(np.expand_dims(y, -1), mu, sigma), axis=-1)

    def log_density(self, y, w, mu, sigma):
        k = CLASS_INDEX
        component = sympy.exp(-((y - mu[k]) ** 2) / (2 * sigma[k] ** 2)) / (
            sympy.sqrt(2 * sympy.pi) * sigma[k]
        )
        return sympy.log(sympy.Sum(w[k] * component, (k, 0, CLASSES - 1)))

    def point_prediction(self, w, mu, sigma):
        k = CLASS_INDEX
        return sympy.Sum(w[k] * mu[k], (k, 0, CLASSES - 1))
