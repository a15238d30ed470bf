"""Heteroscedastic Gaussian noise: the network predicts the mean and the scale of each target."""

from __future__ import annotations

from .base import Parameter
from .constraints import positive, real
from .gaussian import Gaussian


class HeteroscedasticGaussian(Gaussian):
    r"""A :class:`Gaussian` whose ``sigma`` is predicted by default, through the log link
    (sigma = exp(eta_sigma)), so the noise level may depend on the input.

    Its canonical loss is :math:`2\eta_\sigma + (y-\mu)^2 e^{-2\eta_\sigma}`, that is
    :math:`\log\sigma^2 + (y-\mu)^2/\sigma^2`: twice the negative log-likelihood without its
    constant, and twice ``torch.nn.GaussianNLLLoss(full=False)`` with ``var = sigma**2``.

    >>> from likelihoods import HeteroscedasticGaussian
    >>> HeteroscedasticGaussian().predicted
    ('mu', 'sigma')
    """

    parameters = (
        Parameter("mu", real, default="identity", description="mean"),
        Parameter("sigma", positive, default="log", description="standard deviation"),
    )
