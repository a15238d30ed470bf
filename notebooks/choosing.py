"""Notebook 04: choosing a noise model for real-valued, positive, proportion and count data."""

from __future__ import annotations

from cells import code

#: The notebook's cells, in order.
CELLS: list[str] = [
    """# Choosing a noise model: outliers, positive amounts, proportions and counts

The loss is the negative log-likelihood of the noise you assume, so choosing a loss is
choosing a distribution for the target given the inputs. This notebook fits the same linear
predictor under several noise models from the library, one data type at a time, and shows
what each assumption does to the fit. Every loss and gradient comes from `derive`; a small
helper fits the linear model with scipy's L-BFGS.""",
    code(
        """
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize

import likelihoods as lk
from derivation import derive

rng = np.random.default_rng(0)


def fit(model, y, X, **fixed):
\"\"\"Linear raw outputs X @ w, one w per predicted parameter, minimising the mean loss.\"\"\"
fn = derive(model).compile()
k = len(fn.inputs)

def objective(w):
    raws = [X @ wi for wi in w.reshape(k, -1)]
    loss, grads = fn.loss_and_grad(y, *raws, **fixed)
    return loss, np.concatenate([X.T @ g for g in grads])

w0 = np.zeros(k * X.shape[1])
return minimize(objective, w0, jac=True, method="L-BFGS-B").x.reshape(k, -1)
"""
    ),
    """## Real-valued data with outliers: Gaussian, Huber, Student-t and pinball

A line with Gaussian noise, and 8% of the points thrown far off. Under Gaussian noise a point
ten standard deviations out is nearly impossible, so the fit bends toward it; the Huber
density (Gaussian in the middle, Laplace in the tails), the Student-t (log-residual tails) and
the asymmetric Laplace (whose loss is the pinball loss: the median at tau = 0.5, the 90%
quantile at tau = 0.9) do not.""",
    code(
        """
n = 300
x = rng.uniform(-2, 2, n)
y = 0.5 + 1.5 * x + 0.4 * rng.normal(size=n)
outliers = rng.random(n) < 0.08
y[outliers] += rng.choice([-1, 1], outliers.sum()) * rng.uniform(6, 12, outliers.sum())
X = np.column_stack([np.ones(n), x])

models = {
"Gaussian (MSE)": (lk.Gaussian(), {}),
"Huber, delta = 1": (lk.Huber(delta=1.0), {}),
"Student-t, nu = 3": (lk.StudentT(sigma=0.4, nu=3), {}),
"pinball, tau = 0.5": (lk.AsymmetricLaplace(tau=0.5), {}),
"pinball, tau = 0.9": (lk.AsymmetricLaplace(tau=0.9), {}),
}
fits = {name: fit(model, y, X, **fixed)[0] for name, (model, fixed) in models.items()}
for name, w in fits.items():
print(f"{name:20s} intercept {w[0]:+.3f}  slope {w[1]:+.3f}")
print(f"{'truth':20s} intercept +0.500  slope +1.500")
"""
    ),
    code(
        """
grid = np.linspace(-2, 2, 50)
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x[~outliers], y[~outliers], s=8, alpha=0.4, label="data")
ax.scatter(x[outliers], y[outliers], s=14, marker="x", color="k", label="outliers")
for name, w in fits.items():
ax.plot(grid, w[0] + w[1] * grid, lw=2, label=name)
ax.set_ylim(-6, 8)
ax.legend(fontsize=8, ncol=2)
ax.set_xlabel("x")
ax.set_ylabel("y")
plt.show()
"""
    ),
    """The shapes of these losses, as functions of the residual y - mu, say why: the
squared error grows quadratically without end, the others only linearly (Huber, Laplace,
logistic) or logarithmically (Student-t).""",
    code(
        """
r = np.linspace(-6, 6, 401)
zero = np.zeros_like(r)
shapes = {
"Gaussian": derive(lk.Gaussian()).compile()(r, zero, reduction="none") / 2,
"Laplace": derive(lk.Laplace()).compile()(r, zero, reduction="none"),
"Huber, delta = 1": derive(lk.Huber(delta=1.0)).compile()(r, zero, reduction="none"),
"logistic": derive(lk.Logistic(s=1.0)).compile(nll=True)(r, zero, reduction="none"),
"Student-t, nu = 3": derive(lk.StudentT(sigma=1, nu=3)).compile(nll=True)(
    r, zero, reduction="none"
),
"pinball, tau = 0.9": derive(lk.AsymmetricLaplace(tau=0.9)).compile()(
    r, zero, reduction="none"
),
}
fig, ax = plt.subplots(figsize=(7, 4))
for name, values in shapes.items():
ax.plot(r, values - values.min(), label=name)
ax.set_ylim(0, 8)
ax.set_xlabel("residual y - mu")
ax.set_ylabel("loss (shifted to 0 at its minimum)")
ax.legend(fontsize=8)
plt.show()
"""
    ),
    """## Positive amounts: gamma or log-normal

Amounts (durations, costs) are positive and their spread grows with their size. With the
mean through the log link, the gamma loss is `y e^-eta + eta` (half the gamma deviance); the
log-normal's is the squared error of log y. Both recover the log-linear trend; they differ in
what they call typical: the gamma models the mean, the log-normal the median.""",
    code(
        """
n = 400
x = rng.uniform(0, 2, n)
mean = np.exp(0.3 + 0.8 * x)
y = rng.gamma(shape=2.0, scale=mean / 2.0)
X = np.column_stack([np.ones(n), x])

gamma_w = fit(lk.GammaMean(shape=2.0), y, X)[0]
lognormal_w = fit(lk.LogNormal(sigma=1.0), y, X)[0]
print("gamma mean:       log-linear coefficients", np.round(gamma_w, 3))
print("log-normal median: log-linear coefficients", np.round(lognormal_w, 3))
print("truth (mean):                            ", [0.3, 0.8])

grid = np.linspace(0, 2, 50)
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x, y, s=6, alpha=0.4, label="data")
ax.plot(grid, np.exp(gamma_w[0] + gamma_w[1] * grid), lw=2, label="gamma: mean")
ax.plot(grid, np.exp(lognormal_w[0] + lognormal_w[1] * grid), lw=2, label="log-normal: median")
ax.plot(grid, np.exp(0.3 + 0.8 * grid), "k--", lw=1, label="true mean")
ax.legend(fontsize=8)
ax.set_xlabel("x")
ax.set_ylabel("y")
plt.show()
"""
    ),
    """## Proportions: the beta distribution

A proportion strictly between 0 and 1 (a share, a rate of success over many trials) is
beta-distributed around a mean predicted through the logit link; the precision sets how
tightly it gathers. MSE would predict means outside (0, 1) and ignore that the spread
shrinks near the edges.""",
    code(
        """
n = 400
x = rng.uniform(-3, 3, n)
m = 1 / (1 + np.exp(-(0.2 + 1.1 * x)))
y = rng.beta(m * 20, (1 - m) * 20)
X = np.column_stack([np.ones(n), x])
w_mean, w_precision = fit(lk.BetaMean(precision="log"), y, X)
print("mean (logit) coefficients", np.round(w_mean, 3), "truth [0.2, 1.1]")
print("precision", np.round(np.exp(w_precision[0]), 1), "truth 20")

grid = np.linspace(-3, 3, 50)
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x, y, s=6, alpha=0.4, label="data")
ax.plot(grid, 1 / (1 + np.exp(-(w_mean[0] + w_mean[1] * grid))), lw=2, label="beta: mean")
ax.legend(fontsize=8)
ax.set_xlabel("x")
ax.set_ylabel("proportion")
plt.show()
"""
    ),
    """## Overdispersed counts: Poisson or negative binomial

Counts whose variance exceeds their mean (here var = mu + 0.5 mu^2) fit a Poisson mean well
enough but with a likelihood that is far too confident; the negative binomial predicts its
dispersion too, and scores much better on held-out data.""",
    code(
        """
n = 2000
x = rng.uniform(0, 2, n)
mu = np.exp(0.5 + 0.9 * x)
y = rng.negative_binomial(1 / 0.5, 1 / (1 + 0.5 * mu)).astype(float)
X = np.column_stack([np.ones(n), x])
train, test = slice(0, 1500), slice(1500, None)

poisson_w = fit(lk.Poisson(), y[train], X[train])[0]
nb_mean, nb_dispersion = fit(lk.NegativeBinomial(dispersion="log"), y[train], X[train])
print("Poisson mean coefficients ", np.round(poisson_w, 3))
print("NB mean coefficients      ", np.round(nb_mean, 3), "dispersion",
  np.round(np.exp(nb_dispersion[0]), 3), "(truth [0.5, 0.9], 0.5)")

held_out = {
"Poisson": derive(lk.Poisson()).compile(nll=True)(y[test], X[test] @ poisson_w),
"negative binomial": derive(lk.NegativeBinomial(dispersion="log")).compile(nll=True)(
    y[test], X[test] @ nb_mean, X[test] @ nb_dispersion
),
}
for name, value in held_out.items():
print(f"held-out NLL per count, {name}: {value:.3f}")
fig, ax = plt.subplots(figsize=(7, 4))
ax.bar(list(held_out), list(held_out.values()))
ax.set_ylabel("held-out negative log-likelihood per count")
plt.show()
"""
    ),
    """Each of these fits took one line of model declaration; the rest (the loss, its
gradient, their numerically stable forms) was derived. Which line to write is the modelling
question: what does the noise on this target look like?""",
]
