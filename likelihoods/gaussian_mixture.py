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

    Point prediction: the mean, sum_k w_k mu_k; for a multimodal target the modes say more,
    and :meth:`modes` finds them from the predicted parameters.

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

    @staticmethod
    def modes(w, mu, sigma, *, tol: float = 1e-13, max_iterations: int = 10_000):
        r"""The modes of each predicted mixture: ``(modes, log_density)``, arrays of the
        parameters' shape (..., K), the modes sorted by density (highest first) and padded
        with NaN where a mixture has fewer than K.

        Each mode is the fixed point of x <- sum_k r_k(x) mu_k / sigma_k^2 / sum_k r_k(x) /
        sigma_k^2 (r_k(x) the responsibilities at x) started from every mean; the iteration
        climbs the density and stops where it no longer moves (a one-dimensional mixture of
        K components has at most K modes). Starts that reach the same point count once.

        >>> import numpy as np
        >>> modes, log_p = GaussianMixture.modes([0.5, 0.5], [-1.5, 1.5], [1.0, 1.0])
        >>> np.round(modes, 6)  # two modes inside the means, where x = 1.5 tanh(1.5 x)
        array([-1.463244,  1.463244])
        >>> GaussianMixture.modes([0.5, 0.5], [-0.5, 0.5], [1.0, 1.0])[0].round(6) + 0.0
        array([ 0., nan])
        """
        import numpy as np
        from scipy.special import logsumexp, softmax

        w, mu, sigma = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (w, mu, sigma)))
        precision = sigma**-2.0
        log_w = np.log(w) - np.log(sigma)

        def log_terms(x):  # log w_k N(x; mu_k, sigma_k) + const, one row per start
            d = x[..., :, None] - mu[..., None, :]
            return log_w[..., None, :] - 0.5 * d * d * precision[..., None, :]

        x = mu.copy()
        scale = sigma.min(axis=-1, keepdims=True)
        for _ in range(max_iterations):
            a = softmax(log_terms(x), axis=-1) * precision[..., None, :]
            new = (a * mu[..., None, :]).sum(-1) / a.sum(-1)
            moved = np.abs(new - x)
            x = new
            if np.all(moved <= tol * (np.abs(x) + scale)):
                break
        log_density = logsumexp(log_terms(x), axis=-1) - 0.5 * np.log(2 * np.pi)
        order = np.argsort(-log_density, axis=-1, kind="stable")
        x = np.take_along_axis(x, order, -1)
        log_density = np.take_along_axis(log_density, order, -1)
        # a start that reached a mode found from a denser start is the same mode
        close = np.abs(x[..., :, None] - x[..., None, :]) <= 1e-7 * (
            np.abs(x[..., :, None]) + scale[..., None]
        )
        earlier = np.tril(np.ones(close.shape[-2:], dtype=bool), k=-1)
        repeated = (close & earlier).any(-1)
        return np.where(repeated, np.nan, x), np.where(repeated, np.nan, log_density)
