"""The optional compiled path gives the NumPy path's results (numba installed only)."""

from __future__ import annotations

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import is_elementwise, model_id, sample_inputs

pytest.importorskip("numba")

# Each elementwise family as declared, and a few links (every compile takes about a second).
ELEMENTWISE = [cls() for cls in lk.REGISTRY.values() if is_elementwise(cls())] + [
    lk.Bernoulli(p="identity"),
    lk.Poisson(rate="identity"),
    lk.Gaussian(sigma="softplus"),
    lk.VonMises(kappa="log"),
]


@pytest.mark.parametrize("model", ELEMENTWISE, ids=model_id)
def test_same_results_as_numpy(model, rng):
    try:
        fast = derive(model).compile(backend="numba")
    except ValueError as error:  # a function without a scalar version: refused, by name
        assert "no scalar version" in str(error)
        return
    plain = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (257,))
    kw = {k: constants[k] for k in plain.constants}
    for reduction in ("mean", "sum", "none"):
        a_loss, a_grads = fast.loss_and_grad(y, *raws, reduction=reduction, **kw)
        b_loss, b_grads = plain.loss_and_grad(y, *raws, reduction=reduction, **kw)
        np.testing.assert_allclose(a_loss, b_loss, rtol=1e-13, atol=1e-300)
        for a, b in zip(a_grads, b_grads):
            assert a.shape == b.shape and a.dtype == b.dtype
            # relative to the size of the gradient, not to a value that cancels to near 0
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13 * np.max(np.abs(b)))
    w = rng.uniform(0.5, 2.0, size=y.shape)
    np.testing.assert_allclose(
        fast(y, *raws, weight=w, **kw), plain(y, *raws, weight=w, **kw), rtol=1e-13
    )


def test_classes_and_unknown_backends_are_refused():
    with pytest.raises(ValueError, match="elementwise models only"):
        derive(lk.Categorical()).compile(backend="numba")
    with pytest.raises(ValueError, match=r"backend: expected one of \('numpy', 'numba'\)"):
        derive(lk.Gaussian()).compile(backend="jax")


@pytest.mark.parametrize("size", [1, 2047, 2048, 2049, 10_001], ids=lambda n: f"n={n}")
def test_chunks_of_samples_add_up(size, rng):
    # The loop runs over chunks of numba_backend.CHUNK samples; sizes around one chunk and
    # across several give the NumPy path's results.
    fast = derive(lk.HeteroscedasticGaussian()).compile(backend="numba")
    plain = derive(lk.HeteroscedasticGaussian()).compile()
    y, mu, s = rng.normal(size=(3, size))
    w = rng.uniform(0.5, 2.0, size=size)
    for kwargs in ({}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": w}):
        a_loss, a_grads = fast.loss_and_grad(y, mu, s, **kwargs)
        b_loss, b_grads = plain.loss_and_grad(y, mu, s, **kwargs)
        # 2 s + (r e^-s)^2 cancels to near 0 for some samples: the tolerance is relative to
        # the largest value, as a rounding of its terms is
        for a, b in zip([a_loss, *a_grads], [b_loss, *b_grads]):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13 * np.max(np.abs(b)))


def test_exp_within_one_ulp_over_the_whole_range():
    # The backend's own exp (numba's math.exp does not vectorise), seen through the Poisson
    # loss at y = 0, which is exp(eta) itself: against mpmath, from the smallest subnormal
    # result to the largest finite one, and at the edges.
    mpmath = pytest.importorskip("mpmath")
    fast = derive(lk.Poisson()).compile(backend="numba")
    grid = np.linspace(-745.13, 709.78, 20_011)
    edges = np.array([0.0, -0.0, 1e-300, -1e-300, 0.34657359, -0.34657359, 709.7827128933840])
    eta = np.concatenate([grid, edges, -np.logspace(-20, 2.8, 500), np.logspace(-20, 2.8, 500)])
    got = fast(np.zeros_like(eta), eta, reduction="none")
    mpmath.mp.prec = 200
    exact = np.array([float(mpmath.exp(mpmath.mpf(float(v)))) for v in eta])
    ulps = np.abs(got - exact) / np.spacing(exact)
    assert ulps.max() <= 1.0, eta[np.argmax(ulps)]
    with np.errstate(over="ignore"):
        big = fast(np.zeros(3), np.array([709.79, 800.0, 1e300]), reduction="none")
    assert np.all(big == np.inf)
    small = fast(np.zeros(3), np.array([-745.14, -800.0, -1e300]), reduction="none")
    assert np.all(small == 0.0)


@pytest.mark.parametrize(
    "model, position, value, message",
    [
        (lk.Poisson(), 0, 3.5, r"y: expected .* \{0, 1, 2, ...\}, got 3.5"),
        (lk.Poisson(), 0, -1.0, r"y: expected .* \{0, 1, 2, ...\}, got -1.0"),
        (lk.Poisson(), 0, np.inf, r"y: expected .*, got inf"),
        (lk.Poisson(), 1, np.nan, r"eta: expected .*, got nan"),
        (lk.Bernoulli(), 0, 0.5, r"y: expected .* \{0, 1\}, got 0.5"),
        (lk.Gaussian(sigma="identity"), 2, 0.0, r"sigma: expected .* \(0, inf\), got 0.0"),
        (lk.HeteroscedasticGaussian(), 2, -np.inf, r"eta_sigma: expected .*, got -inf"),
    ],
    ids=["fraction", "negative", "inf", "nan-logit", "bernoulli-half", "sigma-0", "s-inf"],
)
@pytest.mark.parametrize("size", [10, 5_000], ids=["one-chunk", "chunks"])
def test_values_checked_in_the_loop_are_named_at_their_index(
    model, position, value, message, size, rng
):
    # The loop that sums the loss checks each value it reads; a bad one is then named, with
    # its index, by the same check as on the NumPy path, whatever the call.
    fast = derive(model).compile(backend="numba")
    y, raws, _, constants = sample_inputs(model, rng, (size,))
    args = [y, *raws]
    args[position] = args[position].copy()
    args[position][size - 2] = value
    where = rf" at index \({size - 2},\)$"
    for call in (fast, fast.grad, fast.loss_and_grad):
        for kwargs in ({}, {"reduction": "sum"}, {"reduction": "none"}):
            with pytest.raises(ValueError, match=message + where):
                call(*args, **kwargs)


@pytest.mark.parametrize("model", ELEMENTWISE, ids=model_id)
def test_every_nan_and_inf_is_refused(model, rng):
    # The loop tests an argument against its infinite bounds only where the loss could
    # hide a NaN or inf in it; each edge value of each argument, at the first sample and at
    # the last (in a partial chunk), must still be named.
    try:
        fast = derive(model).compile(backend="numba")
    except ValueError:  # refused, see test_same_results_as_numpy
        return
    size = 3_000
    y, raws, _, constants = sample_inputs(model, rng, (size,))
    kw = {k: constants[k] for k in fast.constants}
    names = ("y", *fast.inputs)
    for position, name in enumerate(names):
        for value in (np.nan, np.inf, -np.inf):
            for index in (0, size - 1):
                args = [np.array(a, dtype=float) for a in (y, *raws)]
                args[position][index] = value
                with pytest.raises(
                    ValueError, match=rf"^{name}: expected .* at index \({index},\)$"
                ):
                    fast.loss_and_grad(*args, **kw)


def _own_scalar_function(name):
    # One of the backend's own scalar functions, in a loop over an array (numpy's error
    # model, as in the parallel loops: a division by zero gives inf, not an exception).

    import numba
    import numba.extending

    import derivation.numba_scalars as scalars

    scalar = getattr(scalars, name)

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = scalar(x[i])

    def apply(x):
        out = np.empty_like(x)
        loop(x, out)
        return out

    return apply


@pytest.mark.parametrize("name", ["_log", "_log1p"])
def test_own_log_and_log1p_within_one_ulp(name, rng):
    # The backend's log and log1p (libm's keep a loop scalar) against mpmath: from the
    # smallest subnormal to the largest float, around 1 (log) and 0 (log1p), near -1.
    mpmath = pytest.importorskip("mpmath")
    fast = _own_scalar_function(name)
    exact_of = mpmath.log if name == "_log" else mpmath.log1p
    wide = np.logspace(-323.3, 308.25, 20_001)
    if name == "_log":
        x = np.concatenate([wide, rng.uniform(0.5, 2.0, 5_000), 1 + rng.normal(0, 1e-9, 2_000)])
        x = np.concatenate([x, [5e-324, 2.2250738585072014e-308, 1.0, 2.0, np.sqrt(2)]])
    else:
        x = np.concatenate(
            [wide, -np.logspace(-323.3, -1e-9, 10_001), rng.uniform(-0.5, 1.5, 5_000)]
        )
        x = np.concatenate([x, -1 + np.logspace(-16, -1, 500), [2.0**53, 2.0**53 + 2, -5e-324]])
    got = fast(x)
    mpmath.mp.prec = 200
    exact = np.array([float(exact_of(mpmath.mpf(float(v)))) for v in x])
    nonzero = exact != 0
    assert np.all(got[~nonzero] == 0)
    ulps = np.abs(got[nonzero] - exact[nonzero]) / np.spacing(np.abs(exact[nonzero]))
    assert ulps.max() <= 1.0, x[nonzero][np.argmax(ulps)]
    # the edges: log(0) = log1p(-1) = -inf, below them NaN, inf and NaN kept
    edge = -1.0 if name == "_log1p" else 0.0
    special = np.array(
        [edge, -0.0 if name == "_log" else -1.0, edge - 0.5, -np.inf, np.inf, np.nan]
    )
    with np.errstate(all="ignore"):
        expected = np.log1p(special) if name == "_log1p" else np.log(special)
    np.testing.assert_array_equal(fast(special), expected)
