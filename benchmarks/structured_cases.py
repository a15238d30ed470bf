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


# --- Multivariate normal: mean vector, Cholesky factor by the log_diagonal link --------------
def _multivariate_normal(shape, rng) -> Implementations:
    n, d = shape
    y, mu = rng.normal(size=shape), rng.normal(size=shape)
    raw = np.tril(rng.normal(0.0, 0.3, size=(n, d, d)))

    def hand():
        # L = tril(raw) with exp on the diagonal; w = L^-1 (y - mu), u = L^-T w by
        # substitution across the rows; loss (||w||^2 + 2 sum raw_kk) averaged; gradients
        # -2u for mu and -2 tril(u w^T) (times L_kk on the diagonal) + 2 I for raw
        log_diagonal = np.diagonal(raw, 0, -2, -1)
        diagonal = np.exp(log_diagonal)
        factor = raw.copy()
        factor[:, range(d), range(d)] = diagonal
        w = np.subtract(y, mu)
        for a in range(d):
            if a:
                w[:, a] -= np.einsum("nc,nc->n", factor[:, a, :a], w[:, :a])
            w[:, a] /= diagonal[:, a]
        u = w.copy()
        for a in reversed(range(d)):
            if a < d - 1:
                u[:, a] -= np.einsum("nc,nc->n", factor[:, a + 1 :, a], u[:, a + 1 :])
            u[:, a] /= diagonal[:, a]
        loss = (np.einsum("nk,nk->", w, w) + 2 * log_diagonal.sum()) / n
        g_raw = np.einsum("na,nb->nab", u, w)
        g_raw *= np.tril(np.ones((d, d)))
        g_raw[:, range(d), range(d)] *= diagonal
        g_raw *= -2.0 / n
        g_raw[:, range(d), range(d)] += 2.0 / n
        u *= -2.0 / n
        return loss, (u, g_raw)

    impl = {**_ours(lk.MultivariateNormal(), y, mu, raw), "hand-fused NumPy": hand}
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _multivariate_normal_torch(torch, y, mu, raw)
    # the inputs read and each gradient written once
    impl["streaming floor"] = lambda: (np.add(y, mu), np.add(raw, 0.0))
    return impl


def _multivariate_normal_torch(torch, y, mu, raw):
    def run():
        m, r = (torch.from_numpy(a).requires_grad_() for a in (mu, raw))
        diagonal = torch.exp(torch.diagonal(r, dim1=-2, dim2=-1))
        factor = torch.tril(r, -1) + torch.diag_embed(diagonal)
        normal = torch.distributions.MultivariateNormal(m, scale_tril=factor, validate_args=False)
        nll = -normal.log_prob(torch.from_numpy(y)).mean()
        nll.backward()
        # the derived loss is 2 (nll - D log(2 pi) / 2): its gradients are twice torch's
        loss = 2 * nll.item() - y.shape[-1] * np.log(2 * np.pi)
        return loss, [2 * m.grad.numpy(), 2 * r.grad.numpy()]

    return run


# --- Plackett-Luce: scores of K items, full rankings ------------------------------------------
def _plackett_luce(shape, rng) -> Implementations:
    n, k = shape
    scores = rng.normal(0.0, 2.0, size=shape)
    ranking = np.argsort(-(scores + rng.gumbel(size=shape)), axis=-1)  # drawn from the model
    rows = np.arange(n)[:, None]

    def hand():
        # ranked scores g; suffix log-sum-exps L by logaddexp from the end; terms
        # softplus(L_{k+1} - g_k); gradient exp(s_i + logcumsumexp(-L) at i's position) - 1
        g = np.take_along_axis(scores, ranking, -1)
        suffix = np.flip(np.logaddexp.accumulate(np.flip(g, -1), axis=-1), -1)
        after = np.empty_like(suffix)
        after[:, :-1] = suffix[:, 1:]
        after[:, -1] = -np.inf
        after -= g
        loss = np.logaddexp(0.0, after).sum() / n
        prefix = np.logaddexp.accumulate(-suffix, axis=-1)
        positions = np.empty_like(ranking)
        positions[rows, ranking] = np.arange(k)
        grad = np.take_along_axis(prefix, positions, -1)
        grad += scores
        np.expm1(grad, out=grad)
        grad /= n
        return loss, (grad,)

    impl = {**_ours(lk.PlackettLuce(), ranking, scores), "hand-fused NumPy": hand}
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _plackett_luce_torch(torch, ranking, scores)
    impl["streaming floor"] = lambda: (np.add(scores, ranking),)
    return impl


def _plackett_luce_torch(torch, ranking, scores):
    # torch.distributions has no Plackett-Luce: the formula in torch ops, with backward()
    order = torch.from_numpy(ranking)

    def run():
        s = torch.from_numpy(scores).requires_grad_()
        g = torch.gather(s, -1, order)
        suffix = torch.flip(torch.logcumsumexp(torch.flip(g, [-1]), -1), [-1])
        loss = (suffix - g).sum(-1).mean()
        loss.backward()
        return loss.item(), [s.grad.numpy()]

    return run


STRUCTURED_CASES = (
    Case("Gaussian mixture: K = 5", lk.GaussianMixture(), ((10**6, 5),), (10**3, 5),
         _gaussian_mixture),
    Case("Multivariate normal: D = 10", lk.MultivariateNormal(), ((10**5, 10),), (10**3, 10),
         _multivariate_normal),
    Case("Plackett-Luce: K = 100", lk.PlackettLuce(), ((10**4, 100),), (10**2, 100),
         _plackett_luce),
)  # fmt: skip

__all__ = ["STRUCTURED_CASES"]
