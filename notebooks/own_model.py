"""Notebook 03: declaring a Student-t noise model of your own for data with outliers."""

from __future__ import annotations

from cells import code

#: The notebook's cells, in order.
CELLS: list[str] = [
    """# Your own noise model: heavy tails for data with outliers

MSE assumes Gaussian noise, so one far-off point pulls the fit. The lecture notes list the
Laplace and the Student-t distributions for robust regression. The Laplace is built in (its
loss is MAE); the Student-t is not, so declare it by its log-density and let the engine do
the rest.""",
    code(
        """
import numpy as np
import sympy

import likelihoods as lk
from derivation import derive
from likelihoods import NoiseModel, Parameter, Target, constraints


class StudentT(NoiseModel):
\"\"\"Student-t noise with nu degrees of freedom (fixed at 3 by default).\"\"\"

target = Target("y", constraints.real)
parameters = (
    Parameter("mu", constraints.real, default="identity"),
    Parameter("sigma", constraints.positive, default="fixed"),
    Parameter("nu", constraints.positive, default=3.0),
)
prediction = "median"

def log_density(self, y, mu, sigma, nu):
    return (
        sympy.loggamma((nu + 1) / 2)
        - sympy.loggamma(nu / 2)
        - sympy.log(sympy.sqrt(nu * sympy.pi) * sigma)
        - (nu + 1) / 2 * sympy.log(1 + ((y - mu) / sigma) ** 2 / nu)
    )

def point_prediction(self, mu, sigma, nu):
    return mu


student = derive(StudentT(sigma=0.5))
student
"""
    ),
    """The derived loss is `log(1 + (y - mu)^2 / (nu sigma^2))`: it grows like the log of the
residual, so an outlier's pull (the gradient) fades instead of growing. Now fit a line to data
with 10% outliers under three noise models.""",
    code(
        """
rng = np.random.default_rng(1)
x = rng.uniform(-2, 2, 200)
y = 0.5 + 1.5 * x + 0.3 * rng.normal(size=x.size)
outliers = rng.random(x.size) < 0.1
y[outliers] += rng.uniform(6, 12, outliers.sum())
X = np.stack([np.ones_like(x), x], axis=1)

losses = {
"MSE (Gaussian)": derive(lk.Gaussian()).compile(),
"MAE (Laplace)": derive(lk.Laplace()).compile(),
"Student-t, nu = 3": student.compile(),
}
fits = {}
for name, fn in losses.items():
w = np.zeros(2)
for _ in range(4000):
    _, (g,) = fn.loss_and_grad(y, X @ w)
    w -= 0.05 * X.T @ g
fits[name] = w
print(f"{name:18s} intercept {w[0]:+.3f}  slope {w[1]:+.3f}")
print(f"{'truth':18s} intercept +0.500  slope +1.500")
"""
    ),
    code(
        """
import matplotlib.pyplot as plt

grid = np.linspace(-2, 2, 50)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.scatter(x[~outliers], y[~outliers], s=8, alpha=0.5, label="data")
ax.scatter(x[outliers], y[outliers], s=14, marker="x", color="k", label="outliers")
for name, w in fits.items():
ax.plot(grid, w[0] + w[1] * grid, lw=2, label=name)
ax.plot(grid, 0.5 + 1.5 * grid, "k--", lw=1, label="truth")
ax.legend(fontsize=8)
ax.set_xlabel("x")
ax.set_ylabel("y")
plt.show()
"""
    ),
    """MSE drags the line toward the outliers: the Gaussian calls a 10-sigma point nearly
impossible, so the fit bends to make it less so. MAE (median regression) and the Student-t
shrug them off. The choice of loss was a choice of noise model all along.""",
]
