"""Notebook 05: a mixture of Gaussians for a target with several plausible values."""

from __future__ import annotations

from cells import code

#: The notebook's cells, in order.
CELLS: list[str] = [
    """# Multimodal regression: a mixture of Gaussians

The lecture notes' table pairs "multimodal regression" with a mixture of Gaussians. When one
input can come with several quite different targets, a single Gaussian (MSE) predicts their
average, a value that may never occur. A mixture lets the model predict K components, each a
weight, a mean and a scale, and its negative log-likelihood is the loss:""",
    code(
        """
import matplotlib.pyplot as plt
import numpy as np
import scipy.optimize

import likelihoods as lk
from derivation import derive

d = derive(lk.GaussianMixture())
d
"""
    ),
    """The log of a sum over components became a log-sum-exp shifted by its largest term
(`logsumexp_over`), and the gradients are the responsibilities r_k (each component's share
of the sample) computed from the same shifted exponentials: a component far from y gets a
responsibility of exactly 0, never an overflow. K is read off the arrays at call time.

## Data with up to three targets per input

The classic inverse problem: t uniform on [0, 1], x = t + 0.3 sin(2 pi t) plus noise, and we
predict t from x. Around x = 0.5 three values of t are plausible.""",
    code(
        """
rng = np.random.default_rng(0)
n = 1500
t = rng.uniform(0, 1, n)
x = t + 0.3 * np.sin(2 * np.pi * t) + rng.uniform(-0.1, 0.1, n)
centres = np.linspace(x.min(), x.max(), 10)


def features(x):
    bumps = np.exp(-((x[:, None] - centres) ** 2) / (2 * 0.1**2))
    return np.column_stack([np.ones_like(x), bumps])


phi = features(x)
print(phi.shape)
"""
    ),
    """## Fitting: the derived loss and gradient, the chain rule through a linear model

Each of the three raw outputs (logits, means, log-sigmas) is a linear function of the
features, one column per component: raw = phi @ W. The derived gradient with respect to each
raw output, times phi transposed, is the gradient with respect to W.""",
    code(
        """
K = 3
fn = derive(lk.GaussianMixture()).compile()
P = phi.shape[1]


def raw_outputs(theta, phi):
    W = theta.reshape(3, P, K)
    return [phi @ W[j] for j in range(3)]


def objective(theta):
    loss, grads = fn.loss_and_grad(t, *raw_outputs(theta, phi))
    return loss, np.concatenate([(phi.T @ g).ravel() for g in grads])


theta0 = rng.normal(0, 0.1, size=3 * P * K)
theta0.reshape(3, P, K)[1, 0] = [0.2, 0.5, 0.8]  # the means' intercepts spread out
fit = scipy.optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B",
                              options={"maxiter": 2000})

mse = derive(lk.Gaussian()).compile()
w_mse, *_ = np.linalg.lstsq(phi, t, rcond=None)
sigma = float(np.sqrt(mse(t, phi @ w_mse)))
nll_mixture = derive(lk.GaussianMixture()).compile(nll=True)(t, *raw_outputs(fit.x, phi))
nll_gaussian = derive(lk.Gaussian(sigma=sigma)).compile(nll=True)(t, phi @ w_mse)
print(f"mean NLL: mixture {nll_mixture:.3f}, one Gaussian (MSE fit, sigma {sigma:.3f}) "
      f"{nll_gaussian:.3f}")
"""
    ),
    """## What each model predicts

The MSE fit runs through the middle of the three branches, where almost no data lies. The
mixture's component means follow the branches; each is drawn where its weight is above 0.1,
thicker where the weight is larger.""",
    code(
        """
grid = np.linspace(x.min(), x.max(), 400)
logits, means, log_sigma = raw_outputs(fit.x, features(grid))
weights = np.exp(logits - logits.max(axis=1, keepdims=True))
weights /= weights.sum(axis=1, keepdims=True)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.scatter(x, t, s=3, color="0.7", label="data")
left.plot(grid, features(grid) @ w_mse, color="C3", label="MSE fit (the conditional mean)")
for k in range(K):
    shown = np.where(weights[:, k] > 0.1, means[:, k], np.nan)
    left.scatter(grid, shown, s=4 + 20 * weights[:, k], color=f"C{k}",
                 label=f"component {k} mean")
left.set_xlabel("x")
left.set_ylabel("t")
left.legend(fontsize=8, markerscale=2)

nll = derive(lk.GaussianMixture()).compile(nll=True)
values = np.linspace(-0.2, 1.2, 400)
at = [np.repeat(raw, values.size, axis=0) for raw in raw_outputs(fit.x, features(np.array([0.5])))]
right.plot(values, np.exp(-nll(values, *at, reduction="none")), label="mixture p(t | x = 0.5)")
gauss = derive(lk.Gaussian(sigma=sigma)).compile(nll=True)
centre = np.full(values.size, features(np.array([0.5])) @ w_mse)
right.plot(values, np.exp(-gauss(values, centre, reduction="none")), color="C3",
           label="one Gaussian (MSE)")
right.hist(t[np.abs(x - 0.5) < 0.03], bins=30, density=True, color="0.8", label="data near 0.5")
logits_at, means_at, log_sigma_at = (a[0] for a in at)
weights_at = np.exp(logits_at - np.logaddexp.reduce(logits_at))
modes, _ = lk.GaussianMixture.modes(weights_at, means_at, np.exp(log_sigma_at))
for mode in modes[~np.isnan(modes)]:
    right.axvline(mode, color="C0", linestyle=":", linewidth=1)
print("modes of p(t | x = 0.5):", np.round(modes[~np.isnan(modes)], 3))
right.set_xlabel("t")
right.legend(fontsize=8)
plt.show()
"""
    ),
    """The density at x = 0.5 (computed as exp(-NLL) with the compiled loss, `reduction="none"`)
has three peaks where the data has them (dotted: its modes, from `lk.GaussianMixture.modes`);
the single Gaussian puts its peak between them. The
mixture's mean, sum_k w_k mu_k, is its point prediction (`lk.GaussianMixture().prediction`),
close to the MSE fit: for a multimodal target, report the components, not only the mean.""",
]
