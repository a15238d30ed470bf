"""Notebook 07: distributional gradient boosting with XGBoost."""

from __future__ import annotations

from cells import code

#: The notebook's cells, in order.
CELLS: list[str] = [
    """# Distributional gradient boosting: a mean and a scale with XGBoost

A boosted model adds trees to raw scores; each round it needs, per sample, the gradient and
the second derivative of the loss with respect to each score. A loss derived from a noise
model has both in closed form, through the same stability rewrites as the loss itself. Here
the noise is Gaussian with a scale that depends on x: two raw outputs per sample, the mean mu
and the log standard deviation eta, one XGBoost target each.""",
    code(
        """
import matplotlib.pyplot as plt
import numpy as np
import scipy.stats
import xgboost

import likelihoods as lk
from derivation import derive

d = derive(lk.Gaussian(sigma="log"))
d.loss, d.hessian, d.fisher
"""
    ),
    """The exact Hessian in eta, 4 (y - mu)^2 exp(-2 eta), vanishes where a residual is 0 and
couples mu and eta; the Fisher information (the expected Hessian under the model) is
diagonal and positive everywhere: 2 exp(-2 eta) for mu and the constant 4 for eta. Boosting
divides by the Hessian in every leaf, so the Fisher information is the steadier choice
(`hessian="fisher"`); it is also what NGBoost's natural gradient divides by.

## Heteroscedastic data

The mean is a sine of the first feature, the noise grows with the second; a third feature
is noise.""",
    code(
        """
rng = np.random.default_rng(0)


def sample(n):
    x = rng.uniform(-3, 3, size=(n, 3))
    mean, sigma = np.sin(x[:, 0]), 0.2 * np.exp(0.6 * x[:, 1])
    return x, mean + sigma * rng.normal(size=n), mean, sigma


x, y, _, _ = sample(8000)
test_x, test_y, test_mean, test_sigma = sample(2000)
"""
    ),
    """## The objective

`fn.xgboost_objective()` gives XGBoost the derived gradient and diagonal Hessian in one fused
pass, one column per raw output (`num_target=2`). The first margin is the intercept-only
fit, `fn.initial_raw(y)`: the mean of y and the log of its standard deviation.""",
    code(
        """
fn = d.compile()
start = fn.initial_raw(y)
print("intercept-only fit:", start.round(6))
print("mean and log std of y:", np.round([y.mean(), np.log(y.std())], 6))

params = {"tree_method": "hist", "max_depth": 2, "eta": 0.05, "num_target": 2}
train = xgboost.DMatrix(x, y, base_margin=np.tile(start, (len(y), 1)))
test = xgboost.DMatrix(test_x, test_y, base_margin=np.tile(start, (len(test_y), 1)))
history = {}
booster = xgboost.train(
    {**params, "disable_default_eval_metric": 1},
    train,
    num_boost_round=300,
    obj=fn.xgboost_objective(hessian="fisher"),
    custom_metric=fn.xgboost_metric(),
    evals=[(train, "train"), (test, "test")],
    evals_result=history,
    verbose_eval=100,
)
"""
    ),
    """The metric is the mean negative log-likelihood with every constant kept, so it can be
checked against scipy.stats:""",
    code(
        """
raw = booster.predict(test, output_margin=True)
mu, sigma = raw[:, 0], np.exp(raw[:, 1])
print(history["test"]["nll"][-1], -scipy.stats.norm.logpdf(test_y, mu, sigma).mean())
print("mean relative error of sigma:", np.mean(np.abs(sigma / test_sigma - 1)))
"""
    ),
    """## Predicted intervals against the truth

Along the second feature (the one that sets the noise), the predicted 90% interval
mu +- 1.645 sigma of each test point, beside the true one; and how often the test targets
fall inside.""",
    code(
        """
order = np.argsort(test_x[:, 1])
z = scipy.stats.norm.ppf(0.95)
fig, ax = plt.subplots(1, 2, figsize=(11, 4))
ax[0].scatter(test_x[:, 1], test_y - test_mean, s=3, color="0.7", label="y - true mean")
ax[0].plot(test_x[order, 1], z * test_sigma[order], "k", label="true 90% half-width")
ax[0].plot(test_x[order, 1], -z * test_sigma[order], "k")
ax[0].scatter(test_x[:, 1], z * sigma, s=2, color="C1", label="predicted half-width")
ax[0].scatter(test_x[:, 1], -z * sigma, s=2, color="C1")
ax[0].set_xlabel("x2 (sets the noise)")
ax[0].legend(markerscale=4)
ax[1].plot(history["train"]["nll"], label="train")
ax[1].plot(history["test"]["nll"], label="test")
ax[1].set_xlabel("round")
ax[1].set_ylabel("mean NLL")
ax[1].legend()
plt.tight_layout()
inside = np.abs(test_y - mu) <= z * sigma
print(f"coverage of the 90% intervals: {inside.mean():.3f}")
"""
    ),
    """The predicted half-widths follow the true ones across a tenfold change of the noise.
The coverage falls a little short of 90%: the intervals are centred on the predicted mean,
whose own error adds to the noise, and a scale fitted by maximum likelihood to residuals is
biased low, as the sample standard deviation without Bessel's correction is.""",
    """## Exact Hessian, Fisher information, and a floor

The exact Hessian in eta is 4 (y - mu)^2 exp(-2 eta): near zero for a leaf whose residuals
are small, where a Newton step is then enormous. Nothing is clipped unless asked:
`hessian_floor=` is the one explicit safeguard. With the Fisher information no floor is
needed.""",
    code(
        """
for label, objective in [
    ("exact", fn.xgboost_objective()),
    ("exact, floor 1e-2", fn.xgboost_objective(hessian_floor=1e-2)),
    ("fisher", fn.xgboost_objective(hessian="fisher")),
]:
    fit = xgboost.train(params, train, 300, obj=objective)
    raw = fit.predict(test, output_margin=True)
    nll = -scipy.stats.norm.logpdf(test_y, raw[:, 0], np.exp(raw[:, 1])).mean()
    print(f"{label:18s} test NLL {nll:.4f}")
"""
    ),
]
