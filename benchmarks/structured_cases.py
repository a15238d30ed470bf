"""Benchmark cases over vector parameters (a mixture's components on the last axis), in the
form of :mod:`benchmarks.cases`: the derived loss against the best hand-fused NumPy,
numerically safe as well, and torch.distributions where it has the distribution."""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats

import likelihoods as lk

from .cases import Case, Implementations, _floor, _ours, _torch


# --- Gaussian mixture: weights by softmax, means, log-sigmas --------------------------------
def _gaussian_mixture(shape, rng) -> Implementations:
    n, k = shape
    logits, mu = rng.normal(size=shape), rng.normal(0.0, 3.0, size=shape)
    log_sigma = rng.normal(0.0, 0.3, size=shape)
    pick = rng.integers(0, k, size=n)
    rows = np.arange(n)
    y = mu[rows, pick] + np.exp(log_sigma[rows, pick]) * rng.normal(size=n)

    def hand():
        # a_k = z_k - s_k - t_k^2 / 2 with t = (y - mu) e^-s; loss lse(z) - lse(a); the
        # responsibilities r = softmax(a) and the weights softmax(z) from shifted exponentials
        inv = np.exp(-log_sigma)
        t = np.subtract(y[:, None], mu)
        t *= inv
        a = np.square(t)
        a *= -0.5
        a += logits
        a -= log_sigma
        top_a = a.max(axis=1)
        a -= top_a[:, None]
        np.exp(a, out=a)
        total_a = a.sum(axis=1)
        a /= total_a[:, None]  # now r
        top_z = logits.max(axis=1)
        w = np.subtract(logits, top_z[:, None])
        np.exp(w, out=w)
        total_z = w.sum(axis=1)
        loss = (np.log(total_z / total_a) + (top_z - top_a)).mean()
        w /= total_z[:, None]
        w -= a
        w /= n
        g_mu = inv  # -r t e^-s / n
        g_mu *= t
        g_mu *= a
        g_mu *= -1.0 / n
        np.square(t, out=t)
        np.subtract(1.0, t, out=t)
        t *= a
        t /= n
        return loss, (w, g_mu, t)

    model = lk.GaussianMixture()
    impl = {**_ours(model, y, logits, mu, log_sigma), "hand-fused NumPy": hand}
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _mixture_torch(torch, y, logits, mu, log_sigma)
    impl["scipy.stats"] = lambda: (
        -scipy.special.logsumexp(
            scipy.special.log_softmax(logits, axis=1)
            + scipy.stats.norm.logpdf(y[:, None], mu, np.exp(log_sigma)),
            axis=1,
        ).mean()
    )
    impl["streaming floor"] = _floor(logits, mu, log_sigma, gradients=3)
    return impl


def _mixture_torch(torch, y, logits, mu, log_sigma):
    dist = torch.distributions

    def run():
        z, m, s = (torch.from_numpy(a).requires_grad_() for a in (logits, mu, log_sigma))
        mixture = dist.MixtureSameFamily(dist.Categorical(logits=z), dist.Normal(m, s.exp()))
        loss = -mixture.log_prob(torch.from_numpy(y)).mean()
        loss.backward()
        constant = 0.5 * np.log(2 * np.pi)  # the derived loss drops the normaliser's constant
        return loss.item() - constant, [z.grad.numpy(), m.grad.numpy(), s.grad.numpy()]

    return run


STRUCTURED_CASES = (
    Case("Gaussian mixture: K = 5", lk.GaussianMixture(), ((10**6, 5),), (10**3, 5),
         _gaussian_mixture),
)  # fmt: skip

__all__ = ["STRUCTURED_CASES"]
