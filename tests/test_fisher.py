"""The Fisher information against the information identity E[H] = E[g g^T], the expectation
taken by numerical quadrature (a sum for counts) of the compiled gradient of the NLL under the
model's density; its positive semi-definiteness where the Hessian is not; refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import sympy

import likelihoods as lk
from derivation import derive

from support import all_variants, is_elementwise, model_id, sample_inputs


def _has_fisher(model) -> bool:
    try:
        return bool(derive(model).fisher)
    except ValueError as error:
        assert "not derived" in str(error)
        return False


FISHER = [m for m in all_variants() if is_elementwise(m) and _has_fisher(m)]


def _expectation(model, f, density, split):
    """E[f(y)] under ``density`` over the model's support, the integral split at ``split``
    where it lies inside (a kink of the integrand, as at a Laplace's location)."""
    support = model.target.support
    if support.integer:
        top = int(support.upper) if math.isfinite(support.upper) else 4000
        ys = np.arange(int(support.lower), top + 1, dtype=float)
        return float(np.sum(f(ys) * density(ys)))
    edges = [
        support.lower,
        *([split] if support.lower < split < support.upper else []),
        support.upper,
    ]
    return sum(
        scipy.integrate.quad(
            lambda t: float(np.squeeze(f(t) * density(t))), a, b, limit=400, epsabs=1e-13
        )[0]
        for a, b in zip(edges, edges[1:])
    )


def _bounded_density(model, fn, point, kw) -> bool:
    """False where the density is unbounded at an end of a finite support (a beta or gamma
    shape under 1): quadrature in floating point cannot resolve y^(a - 1) log(y)^2 there
    (those shapes are checked against the trigamma formula below)."""
    support = model.target.support
    ends = [e for e in (support.lower + 1e-12, support.upper - 1e-12) if math.isfinite(e)]
    if support.integer or not ends:
        return True
    nll = fn(np.array(ends), *[np.full(len(ends), v) for v in point], reduction="none", **kw)
    return bool(np.all(np.exp(-nll) < 1e3))


def _inside(support) -> float:
    """A target value inside ``support`` (the Fisher information does not depend on it)."""
    low, high = support.lower, support.upper
    if support.integer:
        return low if math.isfinite(low) else high
    if math.isfinite(low) and math.isfinite(high):
        return (low + high) / 2
    return low + 1 if math.isfinite(low) else (high - 1 if math.isfinite(high) else 0.0)


@pytest.mark.parametrize("model", FISHER, ids=model_id)
def test_fisher_is_the_expected_outer_product_of_the_score(model):
    fn = derive(model).compile(nll=True)
    for seed in range(7, 17):  # a fixed shape under 1 makes every point's density unbounded
        _, raws, _, constants = sample_inputs(model, np.random.default_rng(seed), (32,))
        kw = {k: constants[k] for k in fn.constants}
        points = [[float(r[n]) for r in raws] for n in range(32)]
        points = [point for point in points if _bounded_density(model, fn, point, kw)][:2]
        if points:
            break
    if not points:  # a precision under 1 (logit-linked): the trigamma test checks it
        pytest.skip("every sampled density is unbounded at an end of the support")
    y0 = np.full(len(points), _inside(model.target.support))
    columns = [np.array(c) for c in zip(*points)]
    fisher = fn.fisher(y0, *columns, reduction="none", diagonal=False, **kw)
    for n, point in enumerate(points):

        def density(t, point=point):
            t = np.atleast_1d(np.asarray(t, dtype=float))
            nll = fn(t, *[np.full(t.shape, v) for v in point], reduction="none", **kw)
            return np.exp(-nll)

        def score(t, p, point=point):
            t = np.atleast_1d(np.asarray(t, dtype=float))
            return fn.grad(t, *[np.full(t.shape, v) for v in point], reduction="none", **kw)[p]

        assert _expectation(
            model, lambda t: np.ones_like(np.atleast_1d(t)), density, point[0]
        ) == pytest.approx(1.0, rel=1e-6)
        for p in range(len(point)):
            for q in range(len(point)):
                expected = _expectation(
                    model, lambda t, p=p, q=q: score(t, p) * score(t, q), density, point[0]
                )
                assert fisher[p][q][n] == pytest.approx(expected, rel=1e-5, abs=1e-9)


def _beta_fisher(a, b):
    """The Fisher information of Beta(a, b) in (a, b): trigamma differences."""
    t = lambda x: scipy.special.polygamma(1, x)  # noqa: E731
    return np.array([[t(a) - t(a + b), -t(a + b)], [-t(a + b), t(b) - t(a + b)]])


@pytest.mark.parametrize("shape", [0.05, 0.3, 0.9, 4.0])
def test_the_beta_fisher_information_is_the_trigamma_one_through_the_links(shape):
    """Beta(alpha=log, beta=log) and BetaMean(mean=logit, precision=log | logit) against the
    textbook trigamma matrix, carried to the raw outputs by the Jacobian of the links."""
    a, b = shape, 2.5 * shape
    fn = derive(lk.Beta(alpha="log", beta="log")).compile(nll=True)
    got = fn.fisher(np.array([0.5]), np.log([a]), np.log([b]), diagonal=False)
    jacobian = np.diag([a, b])
    expected = jacobian.T @ _beta_fisher(a, b) @ jacobian
    np.testing.assert_allclose(np.array(got)[..., 0], expected, rtol=1e-13)

    mean, precision = a / (a + b), a + b
    links = {"log": (math.log(precision), precision)}  # raw, d precision / d raw
    if precision < 1:
        links["logit"] = (math.log(precision / (1 - precision)), precision * (1 - precision))
    for link, (raw, slope) in links.items():
        fn = derive(lk.BetaMean(mean="logit", precision=link)).compile(nll=True)
        raws = np.array([math.log(mean / (1 - mean))]), np.array([raw])
        got = fn.fisher(np.array([0.5]), *raws, diagonal=False)
        along = mean * (1 - mean)  # d mean / d logit
        jacobian = np.array(
            [[precision * along, mean * slope], [-precision * along, (1 - mean) * slope]]
        )
        expected = jacobian.T @ _beta_fisher(a, b) @ jacobian
        np.testing.assert_allclose(np.array(got)[..., 0], expected, rtol=1e-11, err_msg=link)


def test_fisher_is_positive_where_the_hessian_is_not():
    fn = derive(lk.VonMises()).compile(nll=True)
    y, mu = np.array([3.0, 0.1]), np.array([0.0, 0.0])
    (hessian,) = fn.hessian(y, mu, reduction="none", kappa=2.0)
    (fisher,) = fn.fisher(y, mu, reduction="none", kappa=2.0)
    # E[kappa cos(y - mu)] = kappa I_1(kappa) / I_0(kappa)
    expected = 2.0 * scipy.special.i1(2.0) / scipy.special.i0(2.0)
    assert hessian[0] < 0 < fisher[0] == pytest.approx(expected, rel=1e-14)
    assert fisher[0] == fisher[1]


@pytest.mark.parametrize("nu", [1.0, 3.0, 30.0])
def test_the_student_t_fisher_is_the_textbook_one_and_positive(nu):
    """I(mu) = (nu + 1) / ((nu + 3) sigma^2) and I(log sigma) = 2 nu / (nu + 3), from the
    Beta integral of the Hessian, while the exact Hessian in mu is negative beyond
    |y - mu| = sigma sqrt(nu)."""
    fn = derive(lk.StudentT(sigma="log")).compile(nll=True)
    sigma = 1.7
    y, mu, eta = np.array([0.2, 40.0]), np.zeros(2), np.full(2, math.log(sigma))
    fisher = fn.fisher(y, mu, eta, reduction="none", diagonal=False, nu=nu)
    expected = [[(nu + 1) / ((nu + 3) * sigma**2), 0.0], [0.0, 2 * nu / (nu + 3)]]
    for p in range(2):
        for q in range(2):
            np.testing.assert_allclose(fisher[p][q], expected[p][q], rtol=1e-14, atol=1e-300)
    (hessian, _) = fn.hessian(y, mu, eta, reduction="none", nu=nu)
    assert hessian[1] < 0 < fisher[0][0][1]


def test_a_fisher_information_that_needs_a_dropped_constant_says_how_to_keep_it():
    fn = derive(lk.VonMises()).compile()
    with pytest.raises(ValueError, match="depends on kappa.*compile\\(nll=True\\)"):
        fn.fisher(np.array([1.0]), np.array([0.0]))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (lk.Laplace(), "1/b"),  # the NLL's 1 / b^2 in the units of the loss, b |y - mu|
        (lk.Laplace(b="log"), "((exp(-2*eta_b), 0), (0, 1))"),
        (lk.AsymmetricLaplace(), "tau*(1 - tau)/b"),
    ],
    ids=str,
)
def test_a_kink_in_the_target_gives_the_fisher_information_its_point_mass(model, expected):
    """The exact Hessian of an absolute or check loss is 0 almost everywhere in mu, but its
    Fisher information is E[score^2] = the density at the kink times the jump."""
    d = derive(model)
    assert d.hessian[0][0] == 0
    symbols = {s.name: s for row in d.fisher for e in row for s in e.free_symbols}
    wanted = sympy.sympify(expected, locals=symbols)
    wanted = sympy.Matrix(wanted) if isinstance(wanted, tuple) else sympy.Matrix([[wanted]])
    assert sympy.simplify(sympy.Matrix(d.fisher) - wanted) == sympy.zeros(*wanted.shape)


@pytest.mark.parametrize("name", ["Logistic", "Huber", "ZeroInflatedPoisson"])
def test_a_fisher_information_sympy_cannot_take_is_refused(name):
    with pytest.raises(ValueError, match="Fisher information is not derived"):
        assert derive(lk.REGISTRY[name]()).fisher


def test_the_symbolic_fisher_of_the_gaussian_is_the_textbook_one():
    d = derive(lk.Gaussian(sigma="log"))
    (a, b), (c, e) = d.fisher
    eta = d.outputs[1]
    assert (b, c, e) == (0, 0, 4)
    assert a.equals(2 * sympy.exp(-2 * eta))
