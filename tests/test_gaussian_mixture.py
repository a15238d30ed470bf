"""A mixture of K Gaussians: the NLL against scipy's written-out mixture and mpmath, gradients
against finite differences, and the regimes where a naive mixture overflows (components far
apart, a collapsed component, a weight logit of -800)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats

import likelihoods as lk
from derivation import derive

NLL = derive(lk.GaussianMixture()).compile(nll=True)


def _written_out(y, logits, mu, log_sigma):
    """-log sum_k softmax(logits)_k N(y; mu_k, e^log_sigma_k), by scipy."""
    log_w = scipy.special.log_softmax(logits, axis=-1)
    log_n = scipy.stats.norm.logpdf(y[..., None], mu, np.exp(log_sigma))
    return -scipy.special.logsumexp(log_w + log_n, axis=-1)


def _mpmath_nll(y, logits, mu, log_sigma, digits=80):
    with mpmath.workdps(digits):
        y = mpmath.mpf(float(y))
        logits, mu, log_sigma = ([mpmath.mpf(float(v)) for v in a] for a in (logits, mu, log_sigma))
        lse = mpmath.log(mpmath.fsum(mpmath.exp(z) for z in logits))
        terms = [
            z - lse - s - mpmath.log(2 * mpmath.pi) / 2 - (y - m) ** 2 / (2 * mpmath.exp(2 * s))
            for z, m, s in zip(logits, mu, log_sigma)
        ]
        top = max(terms)
        return -(top + mpmath.log(mpmath.fsum(mpmath.exp(t - top) for t in terms)))


@pytest.mark.parametrize("k", [1, 2, 5, 40])
def test_nll_equals_the_written_out_mixture(k, rng):
    y = rng.normal(size=200) * 3
    logits, mu = rng.normal(size=(200, k)), rng.normal(size=(200, k)) * 3
    log_sigma = rng.normal(size=(200, k)) * 0.5
    np.testing.assert_allclose(
        NLL(y, logits, mu, log_sigma, reduction="none"),
        _written_out(y, logits, mu, log_sigma),
        rtol=1e-13,
        atol=1e-14,
    )


def test_gradients_equal_finite_differences(rng):
    y = rng.normal(size=6)
    args = [rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), 0.3 * rng.normal(size=(6, 4))]
    grads = NLL.grad(y, *args, reduction="sum")
    step = 1e-6
    for position, gradient in enumerate(grads):
        for index in [(0, 0), (3, 2), (5, 3)]:
            up = [a.copy() for a in args]
            down = [a.copy() for a in args]
            up[position][index] += step
            down[position][index] -= step
            central = (NLL(y, *up, reduction="sum") - NLL(y, *down, reduction="sum")) / (2 * step)
            assert gradient[index] == pytest.approx(central, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize(
    "y, logits, mu, log_sigma",
    [
        (1000.0, [0.0, 0.0], [-1000.0, 1000.0], [0.0, 0.0]),  # components far apart
        (0.0, [0.0, 0.0], [0.0, 1.0], [-200.0, 0.0]),  # one component collapsed onto y
        (1.0, [0.0, 0.0], [0.0, 1.0], [-200.0, 0.0]),  # ... and one collapsed away from y
        (0.5, [-800.0, 0.0], [0.0, 1.0], [0.0, 0.0]),  # a weight logit of -800
        (0.0, [-800.0, 0.0], [0.0, 50.0], [0.0, 0.0]),  # ... whose component holds y
        (1e150, [0.0, 0.0, 3.0], [-1e150, 1e150, 0.0], [300.0, 300.0, 0.0]),
    ],
)
def test_extremes_are_finite_and_accurate(y, logits, mu, log_sigma):
    arrays = [np.array([v]) for v in (logits, mu, log_sigma)]
    loss, grads = NLL.loss_and_grad(np.array([y]), *arrays, reduction="sum")
    assert float(loss) == pytest.approx(
        float(_mpmath_nll(y, logits, mu, log_sigma)), rel=1e-14, abs=0
    )
    assert all(np.all(np.isfinite(g)) for g in grads)
    # the gradients in the weights' logits sum to 0 (softmax ignores a common shift)
    assert abs(grads[0].sum()) <= 1e-15
    # responsibilities of far components are exactly 0: their mean gets no gradient
    far = np.abs(np.array(mu) - y) * np.exp(-np.array(log_sigma)) > 1e3
    assert np.all(grads[1][0][far] == 0)


def test_a_component_whose_term_overflows_adds_nothing_to_the_gradients():
    # (y - mu_0) / sigma_0 = 1e100 e^200 overflows; its responsibility is exactly 0
    y, logits, mu, log_sigma = [1e100], [[0.0, 0.0]], [[0.0, 1e100]], [[-200.0, 0.0]]
    _, grads = NLL.loss_and_grad(np.array(y), *map(np.array, (logits, mu, log_sigma)))
    assert np.all(np.isfinite(np.concatenate([g.ravel() for g in grads])))
    assert grads[1][0, 0] == 0 and grads[2][0, 0] == 0


def test_one_component_is_the_gaussian(rng):
    y, mu, log_sigma = rng.normal(size=50), rng.normal(size=(50, 1)), rng.normal(size=(50, 1))
    gaussian = derive(lk.Gaussian(sigma="log")).compile(nll=True)
    np.testing.assert_allclose(
        NLL(y, np.zeros((50, 1)), mu, log_sigma, reduction="none"),
        gaussian(y, mu[:, 0], log_sigma[:, 0], reduction="none"),
        rtol=1e-14,
    )


def test_weights_taken_as_they_are_and_bad_rows_are_named(rng):
    fn = derive(lk.GaussianMixture(w="identity")).compile(nll=True)
    w = rng.dirichlet(np.ones(3), size=20)
    y, mu, log_sigma = rng.normal(size=20), rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    np.testing.assert_allclose(
        fn(y, w, mu, log_sigma, reduction="none"),
        _written_out(y, np.log(w), mu, log_sigma),
        rtol=1e-13,
    )
    w[4] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"^w: expected .* rows summing to 1 .* at index \(4,\)$"):
        fn(y, w, mu, log_sigma)
    with pytest.raises(ValueError, match=r"^mu: expected .* got nan at index \(1, 0\)$"):
        fn(
            y,
            rng.dirichlet(np.ones(3), size=20),
            np.where(np.eye(20, 3, -1), np.nan, mu),
            log_sigma,
        )


def test_class_options_are_refused_for_a_target_of_one_number(rng):
    args = [rng.normal(size=4), *(rng.normal(size=(4, 2)) for _ in range(3))]
    with pytest.raises(TypeError, match="class_weight and label_smoothing"):
        NLL(*args, label_smoothing=0.1)


def test_matches_torch_mixture_same_family(rng):
    torch = pytest.importorskip("torch")
    D = torch.distributions
    y, logits = rng.normal(size=30), rng.normal(size=(30, 4))
    mu, log_sigma = rng.normal(size=(30, 4)), 0.3 * rng.normal(size=(30, 4))
    t = [torch.tensor(a, requires_grad=True) for a in (logits, mu, log_sigma)]
    mixture = D.MixtureSameFamily(D.Categorical(logits=t[0]), D.Normal(t[1], t[2].exp()))
    reference = -mixture.log_prob(torch.tensor(y)).sum()
    reference.backward()
    loss, grads = NLL.loss_and_grad(y, logits, mu, log_sigma, reduction="sum")
    assert float(loss) == pytest.approx(float(reference), rel=1e-12)
    for g, tensor in zip(grads, t):
        np.testing.assert_allclose(g, tensor.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_derivation_reads_as_a_log_sum_exp():
    d = derive(lk.GaussianMixture())
    text = str(d)
    assert "logsumexp_over" in text and "responsibility of component i" in text
    assert "dL/dlogits[i] = -r[i] + softmax(logits, i)" in text  # r_i named, then defined
    assert "\n       r[i] = exp(" in text
    latex = d.to_latex()
    assert r"\log \sum_{k} \exp" in latex and r"r_{i} &= \frac{e^{" in latex


def test_log_of_component_sum_rewrites_only_sums_of_positive_terms():
    import sympy

    from derivation.canonical import expand_nll
    from derivation.class_functions import logsumexp, logsumexp_over
    from derivation.events import log_of_component_sum

    k, K = lk.CLASS_INDEX, lk.CLASSES
    a = sympy.IndexedBase("a", shape=(K,), real=True)
    positive = sympy.log(sympy.Sum(sympy.exp(a[k]) * 2, (k, 0, K - 1)))
    assert log_of_component_sum(positive, expand_nll) == sympy.log(2) + logsumexp(a)
    mixed = sympy.log(sympy.Sum(a[k] * 2, (k, 0, K - 1)))  # terms of unknown sign: kept
    assert log_of_component_sum(mixed, expand_nll) == mixed
    shifted = sympy.log(sympy.Sum(sympy.exp(-(a[k] ** 2)), (k, 0, K - 1)))
    assert log_of_component_sum(shifted, expand_nll) == logsumexp_over(-(a[k] ** 2), k)


def _grid_modes(w, mu, sigma):
    """Local maxima of the density on a fine grid, each polished by scipy's bounded search."""
    import scipy.optimize

    def minus_log_p(x):
        return -scipy.special.logsumexp(np.log(w) + scipy.stats.norm.logpdf(x, mu, sigma))

    grid = np.linspace((mu - 6 * sigma).min(), (mu + 6 * sigma).max(), 200_001)
    log_p = scipy.special.logsumexp(
        np.log(w) + scipy.stats.norm.logpdf(grid[:, None], mu, sigma), axis=1
    )
    peaks = np.flatnonzero((log_p[1:-1] > log_p[:-2]) & (log_p[1:-1] >= log_p[2:])) + 1
    step = grid[1] - grid[0]
    return sorted(
        scipy.optimize.minimize_scalar(
            minus_log_p, bounds=(grid[p] - step, grid[p] + step), method="bounded",
            options={"xatol": 1e-12},
        ).x
        for p in peaks
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_modes_are_the_densitys_local_maxima(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 6))
    w = rng.dirichlet(np.ones(k))
    mu, sigma = rng.normal(0, 3, size=k), np.exp(rng.normal(0, 0.5, size=k))
    modes, log_density = lk.GaussianMixture.modes(w, mu, sigma)
    found = np.sort(modes[~np.isnan(modes)])
    expected = _grid_modes(w, mu, sigma)
    assert len(found) == len(expected)
    np.testing.assert_allclose(found, expected, atol=1e-6 * sigma.min())
    kept = ~np.isnan(modes)
    reference = lk.GaussianMixture.scipy_reference(modes[kept], w, mu, sigma)
    np.testing.assert_allclose(log_density[kept], reference, rtol=1e-13)
    assert np.all(np.diff(log_density[kept]) <= 0)  # highest first


def test_modes_of_many_mixtures_at_once():
    rng = np.random.default_rng(5)
    w = rng.dirichlet(np.ones(3), size=(4, 2))
    mu, sigma = rng.normal(0, 3, size=(4, 2, 3)), np.exp(rng.normal(0, 0.3, size=(4, 2, 3)))
    modes, _ = lk.GaussianMixture.modes(w, mu, sigma)
    assert modes.shape == (4, 2, 3)
    one, _ = lk.GaussianMixture.modes(w[1, 0], mu[1, 0], sigma[1, 0])
    np.testing.assert_array_equal(np.isnan(modes[1, 0]), np.isnan(one))
    np.testing.assert_allclose(modes[1, 0][~np.isnan(one)], one[~np.isnan(one)], rtol=1e-10)
