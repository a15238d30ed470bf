"""Build and execute the notebooks, so they are committed with their outputs.

    python notebooks/build.py            # all notebooks
    python notebooks/build.py NAME ...   # some of them

Each notebook is written here as a list of cells (Markdown text, or code starting with
``# %%``), executed with nbclient in this directory, and saved with its outputs.
"""

from __future__ import annotations

import pathlib
import sys

import boosting
import choosing
import mixture
import nbformat
import own_model
import ranking
from cells import code
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).parent

NOTEBOOKS: dict[str, list[str]] = {}


NOTEBOOKS["01_from_noise_to_loss"] = [
    """# From a noise model to a loss: Gaussian, MSE, and a noise level that depends on x

A loss is the negative log-likelihood of the noise you assume. This notebook walks the four
steps of the recipe for regression: choose a distribution over the target's domain, let the
network predict its parameters through a link, minimise the negative log-likelihood, and
infer with the distribution's point prediction.""",
    code(
        """
import numpy as np

import likelihoods as lk
from derivation import derive

d = derive(lk.Gaussian())
d
"""
    ),
    """The derivation above is produced by the engine: nothing in it is typed in for the
Gaussian. The squared error appears because the constant `C` and the positive factor
`1/(2 sigma^2)` do not move the minimiser. The compiled loss is the MSE of the lecture notes:""",
    code(
        """
mse = d.compile()
print(mse([3.0, 4.0], [2.0, 5.0]))       # ((3-2)^2 + (4-5)^2) / 2
print(mse.grad([3.0, 4.0], [2.0, 5.0]))  # what autograd gives for the mean
"""
    ),
    """## Letting the network predict the noise level

If the noise grows with x, a fixed sigma is a lie. Predict it too, through the log link
(sigma = exp(eta_sigma)): the heteroscedastic Gaussian. Its loss is
`log sigma^2 + (y - mu)^2 / sigma^2`.""",
    code(
        """
h = derive(lk.HeteroscedasticGaussian())
print(h.loss)
print(h.gradient)
"""
    ),
    """A small fit: data whose noise standard deviation is exp(-2 + 1.2 x), from 0.14 at
x = 0 to 1.49 at x = 2. Two linear models, one for mu and one for eta_sigma = log sigma,
trained by gradient descent on the derived loss.""",
    code(
        """
rng = np.random.default_rng(0)
x = rng.uniform(0, 2, 400)
y = 1.0 + 2.0 * x + np.exp(-2.0 + 1.2 * x) * rng.normal(size=x.size)

fn = h.compile()
X = np.stack([np.ones_like(x), x], axis=1)
w_mu, w_s = np.zeros(2), np.zeros(2)
for _ in range(3000):
mu, s = X @ w_mu, X @ w_s
loss, (g_mu, g_s) = fn.loss_and_grad(y, mu, s)
w_mu -= 0.1 * X.T @ g_mu
w_s -= 0.1 * X.T @ g_s
print(f"final loss {loss:.4f}")
print("mu(x)    = %.3f + %.3f x" % tuple(w_mu))
print("log sigma(x) = %.3f + %.3f x   (true: -2 + 1.2 x)" % tuple(w_s))
"""
    ),
    code(
        """
import matplotlib.pyplot as plt

grid = np.linspace(0, 2, 100)
G = np.stack([np.ones_like(grid), grid], axis=1)
mean, sd = G @ w_mu, np.exp(G @ w_s)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.scatter(x, y, s=6, alpha=0.5, label="data")
ax.plot(grid, mean, color="C1", label="predicted mean")
ax.fill_between(grid, mean - 2 * sd, mean + 2 * sd, color="C1", alpha=0.2, label="mean +- 2 sigma")
true_sd = np.exp(-2.0 + 1.2 * grid)
ax.plot(grid, 1 + 2 * grid + 2 * true_sd, "k--", lw=0.8, label="true +- 2 sigma")
ax.plot(grid, 1 + 2 * grid - 2 * true_sd, "k--", lw=0.8)
ax.legend(loc="upper left")
ax.set_xlabel("x")
ax.set_ylabel("y")
plt.show()
"""
    ),
    """Step 4, inference: the point prediction is the mean `mu(x)`; the whole distribution,
`Normal(mu(x), sigma(x)^2)`, is available too, and with it calibrated intervals.""",
]


NOTEBOOKS["02_classification"] = [
    """# Classification: Bernoulli, Categorical, and why cross-entropy beats MSE on softmax

A binary label is a Bernoulli variable; a label among K classes is a Categorical one. Declare
that, predict the parameters through the logit or softmax link, and binary and categorical
cross-entropy fall out.""",
    code(
        """
import numpy as np

import likelihoods as lk
from derivation import derive

bce = derive(lk.Bernoulli())
bce
"""
    ),
    """The logit link was substituted before anything was simplified, so the loss is
`softplus(z) - y z` and never the log of a sigmoid: it stays finite and accurate at any logit.
With probabilities instead of logits (`p="identity"`), the same model gives the classic BCE of
the lecture notes:""",
    code(
        """
print(derive(lk.Bernoulli(p="identity")).compile()([1.0, 0.0], [0.9, 0.1]))   # 0.1053
fn = bce.compile()
print(fn.loss_and_grad([1.0, 0.0, 1.0], [30.0, -1000.0, 1000.0], reduction="none"))
"""
    ),
    """## Any number of classes

The Categorical derivation is symbolic in the number of classes K: one compiled callable
serves K = 2 as well as K = 1000, with class indices, one-hot rows or soft rows as targets.""",
    code(
        """
ce_derivation = derive(lk.Categorical())
ce = ce_derivation.compile()
print(ce_derivation.loss)
print(ce_derivation.gradient)
print(ce([0], [[2.0, 1.0, 0.1]]))                                        # 0.417
print(ce([2, 0], [[0.1, 0.3, 0.2], [0.4, 0.1, 0.2]], reduction="sum"))   # 2.0418
print(ce([[0.05, 0.9, 0.05]], np.log([[0.1, 0.7, 0.2]])))                # soft target
print(ce([1], np.log([[0.1, 0.7, 0.2]]), label_smoothing=0.1))
"""
    ),
    """With K = 2 the softmax is the sigmoid of the logit difference, and the derivation
says so:""",
    code(
        """
view = ce_derivation.two_classes
print(view.loss, "|", view.textbook.name, "|", view.note)
"""
    ),
    """## MSE on softmax probabilities versus cross-entropy

The notes compare gradients for two classes, target class 0. With MSE on the probabilities
the gradient on the true logit is (Q - P) Q (1 - Q), which vanishes when the softmax
saturates, right or wrong. With cross-entropy (derived above) it is Q - P. Below, the
gradient with respect to the true class's logit as the logit margin z_0 - z_1 varies; the
points are the notes' examples, logits [3, -2] and [-2, 3].""",
    code(
        """
import matplotlib.pyplot as plt

margin = np.linspace(-8, 8, 321)
logits = np.stack([margin / 2, -margin / 2], axis=-1)
(ce_grad,) = ce.grad(np.zeros(margin.size, int), logits, reduction="none")
q = np.exp(logits - np.logaddexp(logits[:, :1], logits[:, 1:]))
mse_grad = (q[:, 0] - 1) * q[:, 0] * (1 - q[:, 0])  # the notes' formula, true class

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(margin, np.abs(ce_grad[:, 0]), label="cross-entropy |dL/dz_0| = 1 - Q_0")
ax.plot(margin, np.abs(mse_grad), label="MSE on softmax |dL/dz_0| = (1 - Q_0) Q_0 (1 - Q_0)")
for z, where in (([3.0, -2.0], "right, confident"), ([-2.0, 3.0], "wrong, confident")):
(g,) = ce.grad([0], [z], reduction="none")
ax.scatter([z[0] - z[1]], [abs(g[0, 0])], color="C0", zorder=3)
ax.annotate(where, (z[0] - z[1], abs(g[0, 0])), textcoords="offset points", xytext=(5, 5))
ax.set_yscale("log")
ax.set_xlabel("logit margin z_0 - z_1 (true class 0)")
ax.set_ylabel("gradient magnitude")
ax.legend(loc="lower left", fontsize=8)
plt.show()
"""
    ),
    """Confident and wrong (margin -5): cross-entropy pushes with 0.9933, MSE with 0.0066,
150 times less. That is the whole argument of the notes for pairing softmax with
cross-entropy, read off one plot.""",
]


NOTEBOOKS["03_your_own_noise_model"] = own_model.CELLS
NOTEBOOKS["04_choosing_a_noise_model"] = choosing.CELLS
NOTEBOOKS["05_multimodal_regression"] = mixture.CELLS
NOTEBOOKS["06_ranking"] = ranking.CELLS
NOTEBOOKS["07_distributional_boosting"] = boosting.CELLS


def build(name: str) -> pathlib.Path:
    nb = nbformat.v4.new_notebook()
    for cell in NOTEBOOKS[name]:
        if cell.startswith("# %%\n"):
            nb.cells.append(nbformat.v4.new_code_cell(cell.removeprefix("# %%\n")))
        else:
            nb.cells.append(nbformat.v4.new_markdown_cell(cell))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(HERE)}}).execute()
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or list(NOTEBOOKS):
        print(build(name))
