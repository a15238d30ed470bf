"""The multivariate normal through its Cholesky factor: against scipy, torch and mpmath, from
one dimension to a hundred, at scales of e^-300 and e^300, and its refusals."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.stats
import sympy

import likelihoods as lk
from derivation import derive, tril_quadratic


def _factor(raw: np.ndarray) -> np.ndarray:
    """The log_diagonal link written out: the strict lower triangle, exp of the diagonal."""
    d = raw.shape[-1]
    return np.tril(raw, -1) + np.exp(np.diagonal(raw, 0, -2, -1))[..., None] * np.eye(d)


def _inputs(rng, n: int, d: int, spread: float = 0.5):
    y = rng.normal(size=(n, d))
    mu = rng.normal(size=(n, d))
    raw = np.tril(rng.normal(0.0, spread, size=(n, d, d)))
    return y, mu, raw


@pytest.mark.parametrize("d", [1, 2, 5, 20, 100])
def test_nll_equals_scipy_for_any_length(d, rng):
    fn = derive(lk.MultivariateNormal()).compile(nll=True)
    y, mu, raw = _inputs(rng, 6, d, spread=0.3 / np.sqrt(d))
    L = _factor(raw)
    expected = [
        -scipy.stats.multivariate_normal.logpdf(y[n], mu[n], L[n] @ L[n].T) for n in range(6)
    ]
    np.testing.assert_allclose(fn(y, mu, raw, reduction="none"), expected, rtol=1e-11)


@pytest.mark.parametrize("d", [1, 10, 100])
def test_nll_and_gradients_equal_torch(d, rng):
    torch = pytest.importorskip("torch")
    fn = derive(lk.MultivariateNormal()).compile(nll=True)
    y, mu, raw = _inputs(rng, 20, d, spread=0.5 / np.sqrt(d))
    loss, (g_mu, g_raw) = fn.loss_and_grad(y, mu, raw, reduction="sum")
    t_mu = torch.tensor(mu, requires_grad=True)
    t_raw = torch.tensor(raw, requires_grad=True)
    diagonal = torch.diagonal(t_raw, dim1=-2, dim2=-1)
    factor = torch.tril(t_raw, -1) + torch.diag_embed(torch.exp(diagonal))
    normal = torch.distributions.MultivariateNormal(t_mu, scale_tril=factor)
    reference = -normal.log_prob(torch.tensor(y)).sum()
    reference.backward()
    assert float(loss) == pytest.approx(float(reference), rel=1e-12)
    np.testing.assert_allclose(g_mu, t_mu.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_raw, np.tril(t_raw.grad.numpy()), rtol=1e-10, atol=1e-12)
    assert not np.any(np.triu(g_raw, 1))  # entries above the diagonal are no variables


def _mpmath_nll(y, mu, L) -> mpmath.mpf:
    """-log N(y; mu, L L^T) at 50 digits (mpmath's ``lu_solve`` calls a factor of e^-300
    singular, so w = L^{-1} (y - mu) is solved from its definition, sum_b L_ab w_b = r_a, row
    by row)."""
    with mpmath.workdps(50):
        factor = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in L])
        r = mpmath.matrix([mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(y, mu)])
        w = []
        for a in range(len(y)):
            w.append((r[a] - sum(factor[a, b] * w[b] for b in range(a))) / factor[a, a])
        quadratic = sum(w[k] ** 2 for k in range(len(y)))
        log_det = sum(mpmath.log(factor[k, k]) for k in range(len(y)))
        return len(y) / 2 * mpmath.log(2 * mpmath.pi) + log_det + quadratic / 2


@pytest.mark.parametrize("log_scale", [-300.0, -30.0, 0.0, 30.0, 300.0])
def test_accurate_at_the_extremes_of_scale(log_scale, rng):
    # the covariance scaled by e^(2 s) and the residuals by e^s: a well-conditioned problem
    # whose factor and residuals are near the ends of float64's range
    fn = derive(lk.MultivariateNormal()).compile(nll=True)
    y, mu, raw = _inputs(rng, 8, 4)
    mu = y - (y - mu) * np.exp(log_scale)
    raw = raw + log_scale * np.eye(4)
    got = fn(y, mu, raw, reduction="none")
    L = _factor(raw)
    expected = np.array([float(_mpmath_nll(y[n], mu[n], L[n])) for n in range(8)])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=4e-15 * 64, atol=0)
    g_mu, g_raw = fn.grad(y, mu, raw, reduction="sum")
    assert np.all(np.isfinite(g_mu)) and np.all(np.isfinite(g_raw))


def test_identity_covariance_is_the_summed_squared_error(rng):
    d = derive(lk.MultivariateNormal(scale_tril=1))
    assert d.textbook.name == "summed squared error"
    y, mu, _ = _inputs(rng, 30, 7)
    np.testing.assert_allclose(
        d.compile()(y, mu, reduction="none"), ((y - mu) ** 2).sum(-1), rtol=1e-14
    )


def test_diagonal_factor_is_the_heteroscedastic_gaussian_per_dimension(rng):
    d = derive(lk.MultivariateNormal(scale_tril="diagonal_log"))
    assert d.textbook.name == "Gaussian negative log-likelihood per dimension"
    y, mu, _ = _inputs(rng, 30, 7)
    log_scale = rng.normal(size=(30, 7))
    per_dimension = derive(lk.HeteroscedasticGaussian()).compile(nll=True)
    expected = per_dimension(y, mu, log_scale, reduction="none").sum(-1)
    got = d.compile(nll=True)(y, mu, log_scale, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_the_loss_is_least_at_the_mean(rng):
    fn = derive(lk.MultivariateNormal()).compile()
    y, _, raw = _inputs(rng, 40, 5)
    best = fn(y, y, raw, reduction="none")
    for _ in range(5):
        moved = fn(y, y + rng.normal(0, 0.1, size=y.shape), raw, reduction="none")
        assert np.all(moved > best)


def test_a_nonzero_entry_above_the_diagonal_is_named(rng):
    fn = derive(lk.MultivariateNormal()).compile()
    y, mu, raw = _inputs(rng, 4, 3)
    raw[2, 0, 1] = 0.5
    message = r"raw_tril: expected .* lower-triangular .*, got 0\.5 above the diagonal"
    message += r" at index \(2, 0, 1\)"
    for call in (fn, fn.grad, fn.loss_and_grad):
        with pytest.raises(ValueError, match=message):
            call(y, mu, raw)


def test_a_factor_taken_as_it_is_needs_a_positive_diagonal(rng):
    fn = derive(lk.MultivariateNormal(scale_tril="identity")).compile()
    y, mu, raw = _inputs(rng, 4, 3)
    L = _factor(raw)
    L[1, 2, 2] = -1.0
    with pytest.raises(
        ValueError, match=r"scale_tril: .*diagonal in \(0, inf\), got -1\.0 at index \(1, 2, 2\)"
    ):
        fn(y, mu, L)


def test_shapes_that_disagree_are_named(rng):
    fn = derive(lk.MultivariateNormal()).compile()
    y, mu, raw = _inputs(rng, 4, 3)
    with pytest.raises(ValueError, match=r"y: expected vectors of 3 entries"):
        fn(y[:, :2], mu, raw)
    with pytest.raises(ValueError, match=r"one common last axis"):
        fn(y, mu, raw[..., :2])
    with pytest.raises(TypeError, match="class_weight"):
        fn(y, mu, raw, class_weight=np.ones(3))


def test_float32_stays_float32_and_leading_axes_broadcast(rng):
    fn = derive(lk.MultivariateNormal()).compile()
    y, mu, raw = (a.astype(np.float32) for a in _inputs(rng, 6, 3))
    loss, (g_mu, g_raw) = fn.loss_and_grad(y, mu, raw[0], reduction="sum")
    assert loss.dtype == g_mu.dtype == g_raw.dtype == np.float32
    assert g_raw.shape == (3, 3)  # one factor shared by every row: its gradient summed
    tiled = fn.grad(y, mu, np.broadcast_to(raw[0], raw.shape).copy(), reduction="sum")[1]
    np.testing.assert_allclose(g_raw, tiled.sum(0), rtol=1e-5)


def test_a_matrix_parameter_cannot_be_left_symbolic():
    with pytest.raises(ValueError, match="cannot be left symbolic"):
        lk.MultivariateNormal(scale_tril="fixed")
    with pytest.raises(ValueError, match="expected a value in"):
        lk.MultivariateNormal(scale_tril=-1.0)


class _MultivariateT(lk.NoiseModel):
    """A density declared by a user with the same quadratic form: the multivariate t."""

    target = lk.Target("y", lk.constraints.real_vector)
    parameters = (
        lk.Parameter("mu", lk.constraints.real_vector, default="identity"),
        lk.Parameter(
            "scale_tril", lk.constraints.cholesky_factor, default="log_diagonal", raw="raw_tril"
        ),
        lk.Parameter("nu", lk.constraints.positive, default="fixed"),
    )

    def log_density(self, y, mu, scale_tril, nu):
        k, K = lk.CLASS_INDEX, lk.CLASSES
        q = tril_quadratic(scale_tril, y[k] - mu[k], k)
        log_det = sympy.Sum(sympy.log(scale_tril[k, k]), (k, 0, K - 1))
        normaliser = sympy.loggamma((nu + K) / 2) - sympy.loggamma(nu / 2)
        return (
            normaliser
            - K / 2 * sympy.log(nu * sympy.pi)
            - log_det
            - (nu + K) / 2 * sympy.log(1 + q / nu)
        )


def test_a_declared_multivariate_t_equals_scipy_with_its_gradients(rng):
    fn = derive(_MultivariateT(nu=4.0)).compile(nll=True)
    y, mu, raw = _inputs(rng, 5, 3)
    L = _factor(raw)

    def reference(mu_, L_):
        return sum(
            -scipy.stats.multivariate_t.logpdf(y[n], mu_[n], L_[n] @ L_[n].T, df=4.0)
            for n in range(5)
        )

    np.testing.assert_allclose(fn(y, mu, raw, reduction="sum"), reference(mu, L), rtol=1e-13)
    g_mu, g_raw = fn.grad(y, mu, raw, reduction="sum")
    h = 1e-6
    for index in [(0, 0), (2, 1), (4, 2)]:
        step = np.zeros_like(mu)
        step[index] = h
        slope = (reference(mu + step, L) - reference(mu - step, L)) / (2 * h)
        assert g_mu[index] == pytest.approx(slope, rel=1e-7)
    for index in [(0, 0, 0), (1, 2, 0), (3, 2, 2)]:
        step = np.zeros_like(raw)
        step[index] = h
        slope = (reference(mu, _factor(raw + step)) - reference(mu, _factor(raw - step))) / (2 * h)
        assert g_raw[index] == pytest.approx(slope, rel=1e-7)


def test_rule_quadratic_of_diagonal_factor_equals_the_solve_written_out():
    from derivation.triangular_functions import diagonal_factor, lower_factor

    x = sympy.Dummy("x")
    v = sympy.IndexedBase("v", shape=(3,), real=True)
    r = sympy.IndexedBase("r", shape=(3,), real=True)
    k = lk.CLASS_INDEX
    name = sympy.Symbol("L")
    rewritten = tril_quadratic(diagonal_factor(v, sympy.Lambda(x, sympy.exp(x)), name), r[k], k)
    assert isinstance(rewritten, sympy.Sum)  # the rule applied on construction
    # the same diagonal factor as a general lower factor whose strict lower triangle is 0
    S = sympy.IndexedBase("S", shape=(3, 3), real=True)
    general = lower_factor(S, sympy.Lambda(x, sympy.exp(x)), name)
    written = tril_quadratic.definition(general, r[k], k)
    diagonal = {S[a, b]: (v[a] if a == b else 0) for a in range(3) for b in range(3)}
    summed = rewritten.xreplace({lk.CLASSES: 3}).doit()
    assert sympy.simplify(written.xreplace(diagonal) - summed) == 0
