"""The benchmark cases: one noise model each, and every way a user could get its mean loss and
the gradient of that mean with respect to the raw outputs.

Implementations of one case compute the same thing (the mean loss and its gradient; scipy.stats
the loss only), each the way its library is meant to be used, on one thread:

* ``derive-the-loss``: ``derive(model).compile().loss_and_grad`` (inputs validated);
* ``... validate=False``: the same without the input checks;
* ``... numba``: ``compile(backend="numba")``, one fused loop over both cores (this is the
  one implementation not on one thread), where numba is installed and the model elementwise;
* ``hand-fused NumPy``: the best NumPy the author knows, numerically safe as well (shared
  exponentials, ``out=`` buffers, a dot product for sums of squares);
* ``scikit-learn``: ``sklearn._loss`` losses, ``loss_gradient(..., n_threads=1)``, then the mean;
* ``PyTorch``: the ``torch.nn`` loss, forward and ``backward()``, ``torch.set_num_threads(1)``;
* ``scipy.stats``: the log-density of the same distribution, loss only;
* ``streaming floor``: reading the inputs and writing each gradient once (``numpy.add`` into a
  fresh array): no implementation can stream less memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.special
import scipy.stats

import likelihoods as lk
from derivation import derive

Implementations = dict[str, Callable[[], object]]


@dataclass(frozen=True)
class Case:
    name: str
    model: lk.NoiseModel
    sizes: tuple[tuple[int, ...], ...]  # full shapes of the raw outputs
    quick: tuple[int, ...]
    make: Callable[[tuple[int, ...], np.random.Generator], Implementations]


#: Seconds the first call of each numba-compiled loss took (compiling it), by model.
NUMBA_FIRST_CALL: dict[str, float] = {}


def _ours(model, *args, **fixed) -> Implementations:
    fn = derive(model).compile()
    out = {
        "derive-the-loss": lambda: fn.loss_and_grad(*args, **fixed),
        "derive-the-loss, validate=False": lambda: fn.loss_and_grad(*args, validate=False, **fixed),
    }
    try:
        import numba  # noqa: F401

        fast = derive(model).compile(backend="numba")
    except (ImportError, ValueError):  # not installed, or a model it does not compile
        return out
    if repr(model) not in NUMBA_FIRST_CALL:
        start = time.perf_counter()
        fast.loss_and_grad(*args, **fixed)
        NUMBA_FIRST_CALL[repr(model)] = time.perf_counter() - start
    out["derive-the-loss, numba"] = lambda: fast.loss_and_grad(*args, **fixed)
    out["derive-the-loss, numba, validate=False"] = lambda: fast.loss_and_grad(
        *args, validate=False, **fixed
    )
    return out


def _floor(*arrays, gradients: int = 1) -> Callable[[], object]:
    first, *rest = arrays

    def stream():
        out = []
        for k in range(gradients):
            g = np.empty_like(rest[k % len(rest)] if rest else first)
            np.add(first, rest[k % len(rest)] if rest else first, out=g)
            out.append(g)
        return out

    return stream


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def _sklearn_loss(name: str):
    try:
        from sklearn._loss import loss
    except ImportError:
        return None
    return getattr(loss, name)()


def _sklearn_mean(loss, y, raw, factor: float = 1.0):
    """The mean of ``factor`` times a scikit-learn loss (2 for its half squared error), with
    its gradient: the scaling joins the division by N, in the same pass."""

    def run():
        values, gradient = loss.loss_gradient(y, raw, n_threads=1)
        gradient *= factor / values.shape[0]
        return factor * values.mean(), gradient

    return run


def _torch_mean(torch, criterion, y, *raw, transform=None):
    def run():
        tensors = [torch.from_numpy(r).requires_grad_() for r in raw]
        inputs = transform(*tensors) if transform else tensors
        loss = criterion(*inputs, torch.from_numpy(y))
        loss.backward()
        return loss.item(), [t.grad.numpy() for t in tensors]

    return run


# --- Gaussian, sigma fixed: mean squared error -------------------------------------------
def _mse(shape, rng) -> Implementations:
    y, mu = rng.normal(size=shape), rng.normal(size=shape)
    n = y.size

    def hand():
        d = np.subtract(mu, y)
        loss = np.dot(d.reshape(-1), d.reshape(-1)) / n
        d *= 2.0 / n
        return loss, d

    impl = {**_ours(lk.Gaussian(), y, mu), "hand-fused NumPy": hand}
    sk = _sklearn_loss("HalfSquaredError")
    if sk is not None:  # half the squared error: the same work, doubled
        impl["scikit-learn"] = _sklearn_mean(sk, y, mu, factor=2.0)
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _torch_mean(torch, torch.nn.MSELoss(), y, mu)
    impl["scipy.stats"] = lambda: -scipy.stats.norm.logpdf(y, mu).mean()
    impl["streaming floor"] = _floor(y, mu)
    return impl


# --- Bernoulli, logits: binary cross-entropy with logits ----------------------------------
def _bce(shape, rng) -> Implementations:
    z = rng.normal(0, 3, size=shape)
    y = (rng.random(shape) < scipy.special.expit(z)).astype(float)
    n = y.size

    def hand():
        # loss = max(z, 0) - y z + log1p(exp(-|z|)), grouped so that a tiny loss stays exact;
        # gradient (1 - y) sigmoid(z) - y sigmoid(-z), both from e = exp(-|z|).
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        loss = np.maximum(z, 0.0)
        t = np.multiply(y, z)
        loss -= t
        np.log1p(e, out=t)
        loss += t
        total = loss.sum() / n
        positive = z >= 0
        np.add(e, 1.0, out=t)  # 1 + e
        g = np.where(positive, 1.0, e)  # numerator of sigmoid(z)
        other = np.where(positive, e, 1.0)  # numerator of sigmoid(-z)
        g *= 1.0 - y
        other *= y
        g -= other
        g /= t
        g /= n
        return total, g

    impl = {**_ours(lk.Bernoulli(), y, z), "hand-fused NumPy": hand}
    sk = _sklearn_loss("HalfBinomialLoss")
    if sk is not None:
        impl["scikit-learn"] = _sklearn_mean(sk, y, z)
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _torch_mean(torch, torch.nn.BCEWithLogitsLoss(), y, z)
    impl["scipy.stats"] = lambda: -scipy.stats.bernoulli.logpmf(y, scipy.special.expit(z)).mean()
    impl["streaming floor"] = _floor(y, z)
    return impl


# --- Poisson, log link ---------------------------------------------------------------------
def _poisson(shape, rng) -> Implementations:
    eta = rng.normal(0, 1, size=shape)
    y = rng.poisson(np.exp(eta)).astype(float)
    n = y.size

    def hand():
        rate = np.exp(eta)
        loss = (rate.sum() - np.dot(y.reshape(-1), eta.reshape(-1))) / n
        rate -= y
        rate /= n
        return loss, rate

    impl = {**_ours(lk.Poisson(), y, eta), "hand-fused NumPy": hand}
    sk = _sklearn_loss("HalfPoissonLoss")
    if sk is not None:
        impl["scikit-learn"] = _sklearn_mean(sk, y, eta)
    torch = _torch()
    if torch is not None:
        impl["PyTorch"] = _torch_mean(
            torch, torch.nn.PoissonNLLLoss(log_input=True, full=False), y, eta
        )
    impl["scipy.stats"] = lambda: -scipy.stats.poisson.logpmf(y, np.exp(eta)).mean()
    impl["streaming floor"] = _floor(y, eta)
    return impl


# --- Categorical, logits: cross-entropy ----------------------------------------------------
def _cross_entropy(shape, rng) -> Implementations:
    z = rng.normal(0, 2, size=shape)
    n, k = shape
    labels = rng.integers(0, k, size=n)
    rows = np.arange(n)

    def hand():
        top = z.max(axis=1)
        g = np.subtract(z, top[:, None])  # the one (N, K) scratch, then the gradient
        picked = g[rows, labels]
        np.exp(g, out=g)
        total = g.sum(axis=1)
        loss = (np.log(total) - picked).mean()
        g /= total[:, None]
        g[rows, labels] -= 1.0
        g /= n
        return loss, g

    impl = {**_ours(lk.Categorical(), labels, z), "hand-fused NumPy": hand}
    sk = _sklearn_loss("HalfMultinomialLoss")
    if sk is not None:
        sk = type(sk)(n_classes=k)
        y_float = labels.astype(float)
        impl["scikit-learn"] = _sklearn_mean(sk, y_float, z)
    torch = _torch()
    if torch is not None:
        criterion = torch.nn.CrossEntropyLoss()
        y_long = labels.astype(np.int64)
        impl["PyTorch"] = _torch_mean(torch, criterion, y_long, z)
    one_hot = np.eye(k)[labels]
    impl["scipy.stats"] = lambda: (
        -scipy.stats.multinomial.logpmf(one_hot, 1, scipy.special.softmax(z, axis=1)).mean()
    )
    floor_in = labels.astype(float)[:, None]
    impl["streaming floor"] = lambda: np.add(z, floor_in, out=np.empty_like(z))
    return impl


CASES = (
    Case("Gaussian: MSE", lk.Gaussian(), ((10**6,), (10**7,)), (10**4,), _mse),
    Case("Bernoulli: BCE with logits", lk.Bernoulli(), ((10**6,), (10**7,)), (10**4,), _bce),
    Case(
        "Categorical: cross-entropy",
        lk.Categorical(),
        ((10**5, 10), (10**4, 1000)),
        (10**3, 10),
        _cross_entropy,
    ),
    Case("Poisson: log link", lk.Poisson(), ((10**6,), (10**7,)), (10**4,), _poisson),
)
