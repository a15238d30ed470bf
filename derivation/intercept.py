r"""The intercept-only fit of a compiled loss: constant raw outputs c minimising

    L(c) = sum_n w_n loss(y_n, c) / sum_n w_n

the maximum-likelihood fit of a model with no features, and the natural first margin of a
boosted model. The gradient of L is the sum of the per-sample gradients and its Hessian the
sum of the per-sample blocks, both from the derived kernels; scipy's ``trust-exact`` takes
Newton steps in a trust region, so a Hessian that is singular (the softmax's, invariant to a
shift of all logits) or indefinite away from the optimum (Student-t) is handled. Where the
loss has no second derivatives, or where the Hessian vanishes (the absolute error's), the
minimiser falls back to Powell's derivative-free method on L.

>>> import likelihoods as lk
>>> from derivation import derive
>>> fn = derive(lk.Exponential()).compile()  # the log-rate: -log(mean(y))
>>> [round(float(c), 6) for c in fn.initial_raw([1.0, 2.0, 6.0])]
[-1.098612]
"""

from __future__ import annotations

import numpy as np
import scipy.optimize


def intercept_only(fn, y, weight, options: dict) -> np.ndarray:
    """The minimiser of ``fn``'s summed loss over constant raw outputs (see the module)."""
    y = np.asarray(y)
    sizes = _sizes(fn, y)
    # the mean, not the sum: the tolerances then do not grow with the number of samples
    summed = {"reduction": "mean", "weight": weight, **options}

    def split(c):
        # constants broadcast against the samples: the calls sum their derivatives over them
        bounds = np.cumsum([0, *sizes])
        return [c[a] if b - a == 1 else c[None, a:b] for a, b in zip(bounds, bounds[1:])]

    def value(c):
        return float(fn(y, *split(c), **summed))

    def gradient(c):
        return np.concatenate([np.ravel(g) for g in fn.grad(y, *split(c), **summed)])

    def hessian(c):
        blocks = fn.hessian(y, *split(c), diagonal=False, **summed)
        sized = [
            [np.reshape(b, (sizes[p], sizes[q])) for q, b in enumerate(row)]
            for p, row in enumerate(blocks)
        ]
        return np.block(sized)

    start = np.zeros(sum(sizes))
    try:
        hessian(start)
    except ValueError as error:  # no closed-form Hessian: derivative-free
        if "not derived" not in str(error):
            raise
        return _derivative_free(value, start)
    result = scipy.optimize.minimize(
        value, start, jac=gradient, hess=hessian, method="trust-exact", options={"gtol": 1e-12}
    )
    x = _polished(gradient, hessian, result.x)
    if np.linalg.norm(gradient(x)) > 1e-8 * max(1.0, np.linalg.norm(x)):
        # a vanishing Hessian (the absolute error's) leaves Newton steps nowhere to go
        return _derivative_free(value, x)
    return x


def _polished(gradient, hessian, x: np.ndarray) -> np.ndarray:
    """Newton's root-finding on the gradient from ``x``: near the optimum the loss' values
    stop resolving before its gradient does, which ends trust-region steps a few digits
    early (scipy reports a "bad approximation"); kept only where the gradient shrinks."""
    found = scipy.optimize.root(gradient, x, jac=hessian, method="lm", options={"xtol": 1e-15})
    if np.all(np.isfinite(found.x)) and np.linalg.norm(gradient(found.x)) < np.linalg.norm(
        gradient(x)
    ):
        return found.x
    return x


def _derivative_free(value, start: np.ndarray) -> np.ndarray:
    result = scipy.optimize.minimize(
        value, start, method="Powell", options={"xtol": 1e-10, "ftol": 1e-14}
    )
    if not result.success or not np.all(np.isfinite(result.x)):
        raise ValueError(f"the intercept-only fit did not converge: {result.message}")
    return result.x


def _sizes(fn, y) -> list[int]:
    """How many constants each raw output takes: 1, or K over classes (K from the target:
    its last axis for probability rows, one more than the largest class index)."""
    sizes = []
    for over in fn._over_classes:
        if over == 0:
            sizes.append(1)
        elif over == 1:
            classes = y.shape[-1] if y.dtype.kind == "f" and y.ndim > 1 else int(np.max(y)) + 1
            sizes.append(classes)
        else:
            raise ValueError("an intercept-only fit takes scalar raw outputs or class vectors")
    return sizes
