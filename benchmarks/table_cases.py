"""Benchmark cases with more than one raw output or beyond the seed families (a predicted
log-sigma; gamma, beta, Student-t), in the same form as :mod:`benchmarks.cases`: the derived
loss against the best hand-fused NumPy, numerically safe as well, PyTorch where it has the
loss, and scipy.stats."""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats

import likelihoods as lk

from .cases import CASES, Case, Implementations, _floor, _ours, _torch, _torch_mean
from .structured_cases import STRUCTURED_CASES


# --- Gaussian with predicted log-sigma -----------------------------------------------------
def _log_sigma(shape, rng) -> Implementations:
    mu, s = rng.normal(size=shape), rng.normal(0, 0.5, size=shape)
    y = mu + np.exp(s) * rng.normal(size=shape)
    n = y.size

    def hand():
        # loss 2s + ((y - mu) e^-s)^2: the residual is scaled before squaring.
        inv = np.negative(s)
        np.exp(inv, out=inv)
        t = np.subtract(y, mu)
        t *= inv
        loss = (2.0 * s.sum() + np.dot(t.reshape(-1), t.reshape(-1))) / n
        g_mu = np.multiply(t, inv, out=inv)
        g_mu *= -2.0 / n
        np.square(t, out=t)
        np.subtract(1.0, t, out=t)
        t *= 2.0 / n
        return loss, (g_mu, t)

    impl = {**_ours(lk.HeteroscedasticGaussian(), y, mu, s), "hand-fused NumPy": hand}
    torch = _torch()
    if torch is not None:
        criterion = torch.nn.GaussianNLLLoss(full=False, eps=0.0)

        def twice(input_, target, var):  # the derived loss is twice GaussianNLLLoss
            return 2 * criterion(input_, target, var)

        impl["PyTorch"] = _torch_mean(
            torch,
            lambda mu_, var, target: twice(mu_, target, var),
            y,
            mu,
            s,
            transform=lambda m, t: (m, torch.exp(2 * t)),
        )
    impl["scipy.stats"] = lambda: -scipy.stats.norm.logpdf(y, mu, np.exp(s)).mean()
    impl["streaming floor"] = _floor(y, mu, s, gradients=2)
    return impl


# --- Gamma by its mean, log link, shape fixed: half the gamma deviance ----------------------
def _gamma(shape, rng) -> Implementations:
    eta = rng.normal(0, 1, size=shape)
    y = rng.gamma(2.0, np.exp(eta) / 2.0)
    n = y.size

    def hand():
        # loss eta + y e^-eta, gradient 1 - y e^-eta: one exponential
        t = np.negative(eta)
        np.exp(t, out=t)
        t *= y
        loss = (eta.sum() + t.sum()) / n
        np.subtract(1.0, t, out=t)
        t /= n
        return loss, t

    impl = {**_ours(lk.GammaMean(), y, eta), "hand-fused NumPy": hand}
    impl["scipy.stats"] = lambda: -scipy.stats.gamma.logpdf(y, 2.0, scale=np.exp(eta) / 2).mean()
    impl["streaming floor"] = _floor(y, eta)
    return impl


# --- Beta, both shapes through the log link -------------------------------------------------
def _beta(shape, rng) -> Implementations:
    ea, eb = rng.normal(0.5, 0.5, size=shape), rng.normal(0.5, 0.5, size=shape)
    y = rng.beta(np.exp(ea), np.exp(eb))
    y = np.clip(y, 1e-12, 1 - 1e-12)  # the data: strictly inside (0, 1)
    n = y.size

    def hand():
        a, b = np.exp(ea), np.exp(eb)
        log_y, log_1my = np.log(y), np.log1p(-y)
        loss = (scipy.special.betaln(a, b) - a * log_y - b * log_1my).sum() / n
        both = scipy.special.digamma(a + b)
        ga = scipy.special.digamma(a)
        ga -= both
        ga -= log_y
        ga *= a
        ga /= n
        gb = scipy.special.digamma(b)
        gb -= both
        gb -= log_1my
        gb *= b
        gb /= n
        return loss, (ga, gb)

    impl = {**_ours(lk.Beta(), y, ea, eb), "hand-fused NumPy": hand}
    impl["scipy.stats"] = lambda: -scipy.stats.beta.logpdf(y, np.exp(ea), np.exp(eb)).mean()
    impl["streaming floor"] = _floor(y, ea, eb, gradients=2)
    return impl


# --- Student-t, scale and degrees of freedom fixed ------------------------------------------
def _student_t(shape, rng) -> Implementations:
    mu = rng.normal(size=shape)
    y = mu + rng.standard_t(4.0, size=shape)
    n = y.size
    nu = 4.0

    def hand():
        # loss log(1 + r^2/nu) as log1p(x^2), x = r / sqrt(nu); past |x| = 1 as
        # 2 log|x| + log1p(x^-2), so that x^2 never overflows; gradient -2 x/(1 + x^2)/sqrt(nu)
        x = np.subtract(y, mu)
        x /= np.sqrt(nu)
        x2 = np.square(x)
        large = x2 > 1.0
        loss = np.log1p(x2)
        inverse = np.divide(1.0, x2, where=large, out=np.zeros_like(x2))
        loss = np.where(large, 2 * np.log(np.abs(x)) + np.log1p(inverse), loss).sum() / n
        g = np.where(large, 1.0 / (x + 1.0 / x), x / (1.0 + x2))
        g *= -2.0 / (np.sqrt(nu) * n)
        return loss, g

    model = lk.StudentT(sigma=1.0, nu=nu)
    impl = {**_ours(model, y, mu), "hand-fused NumPy": hand}
    impl["scipy.stats"] = lambda: -scipy.stats.t.logpdf(y, nu, mu).mean()
    impl["streaming floor"] = _floor(y, mu)
    return impl


TABLE_CASES = (
    Case("Gaussian: predicted log-sigma", lk.HeteroscedasticGaussian(), ((10**6,), (10**7,)),
         (10**4,), _log_sigma),
    Case("Gamma: mean, log link", lk.GammaMean(), ((10**6,), (10**7,)), (10**4,), _gamma),
    Case("Beta: log shapes", lk.Beta(), ((10**6,), (10**7,)), (10**4,), _beta),
    Case("Student-t: nu = 4", lk.StudentT(sigma=1.0, nu=4.0), ((10**6,), (10**7,)), (10**4,),
         _student_t),
)  # fmt: skip

#: Every benchmark case, seed families first.
ALL_CASES = CASES + TABLE_CASES + STRUCTURED_CASES

__all__ = ["TABLE_CASES", "ALL_CASES"]
