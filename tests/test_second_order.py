"""Hessians against finite differences of the gradient for every family and link, against
mpmath at the extremes and against the softmax Hessian written by hand; their reductions,
weights and broadcasting; and the refusals where no Hessian is derived."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy
from test_gradients import central_difference

import likelihoods as lk
from derivation import derive

from support import all_variants, loss_shape, model_id, sample_inputs

#: Families whose second derivatives run through functions with no second derivative here:
#: a triangular solve, a ranking's positions, a mixture's responsibilities.
NO_HESSIAN = ("MultivariateNormal", "PlackettLuce", "GaussianMixture")


def _derives(model) -> bool:
    try:
        assert derive(model).hessian
    except ValueError as error:
        assert "not derived" in str(error) or "no closed form" in str(error)
        assert model.name in NO_HESSIAN, f"{model_id(model)}: {error}"
        return False
    return True


SECOND = [m for m in all_variants() if _derives(m)]


def _fd_block(fn, y, raws, kw, p, q, loss_ndim):
    """d grad_p / d raw_q per sample by central differences: shaped like the block entry."""

    def grad_p(x):
        shifted = list(raws)
        shifted[q] = x
        return fn.grad(y, *shifted, reduction="none", validate=False, **kw)[p]

    raw = raws[q]
    if raw.ndim == loss_ndim:
        return central_difference(grad_p, raw, h=1e-5)
    k = raw.shape[-1]
    columns = []
    for column in range(k):
        direction = np.zeros(k)
        direction[column] = 1.0
        columns.append(central_difference(grad_p, raw, h=1e-5, direction=direction))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("model", SECOND, ids=model_id)
def test_hessian_matches_finite_differences_of_the_gradient(model, rng):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (40,))
    kw = {k: constants[k] for k in fn.constants}
    blocks = fn.hessian(y, *raws, reduction="sum", diagonal=False, **kw)
    diagonal = fn.hessian(y, *raws, reduction="sum", **kw)
    loss_ndim = len(loss_shape(model, y))
    for p in range(len(raws)):
        for q in range(len(raws)):
            expected = _fd_block(fn, y, raws, kw, p, q, loss_ndim)
            np.testing.assert_allclose(blocks[p][q], expected, rtol=1e-6, atol=1e-7)
        own = blocks[p][p]
        along = np.diagonal(own, axis1=-2, axis2=-1) if raws[p].ndim > loss_ndim else own
        np.testing.assert_allclose(diagonal[p], along, rtol=1e-13, atol=1e-300)
        assert diagonal[p].shape == raws[p].shape


@pytest.mark.parametrize("model", SECOND, ids=model_id)
def test_grad_and_hess_is_one_pass_of_the_same_numbers(model, rng):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (30,))
    kw = {k: constants[k] for k in fn.constants}
    loss, grads, hess = fn.grad_and_hess(y, *raws, **kw)
    assert loss == pytest.approx(fn(y, *raws, **kw), rel=1e-14)
    for g, expected in zip(grads, fn.grad(y, *raws, **kw)):
        np.testing.assert_allclose(g, expected, rtol=1e-14, atol=1e-300)
    for h, expected in zip(hess, fn.hessian(y, *raws, **kw)):
        np.testing.assert_allclose(h, expected, rtol=1e-13, atol=1e-300)
    alone, (without_loss, without_loss_hess) = grads, fn.grad_and_hess(y, *raws, loss=False, **kw)
    for g, expected in zip(without_loss, alone):
        np.testing.assert_allclose(g, expected, rtol=1e-14, atol=1e-300)
    for h, expected in zip(without_loss_hess, hess):
        np.testing.assert_allclose(h, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("second", ["hess", "fisher"])
def test_one_pass_over_class_indices_leaves_the_shared_softmax_intact(second, rng):
    """The gradient p - onehot(y) must not be written into the p the Hessian reads."""
    fn = derive(lk.Categorical()).compile()
    z, labels = rng.normal(0.0, 2.0, size=(40, 5)), rng.integers(0, 5, size=40)
    alone = getattr(fn, "hessian" if second == "hess" else "fisher")
    p = scipy.special.softmax(z, axis=-1)
    blocks = p[..., :, None] * np.eye(5) - p[..., :, None] * p[..., None, :]
    for diagonal, exact in ((True, p * (1 - p)), (False, blocks)):
        _, (g,), h = getattr(fn, f"grad_and_{second}")(labels, z, diagonal=diagonal)
        h = h[0] if diagonal else h[0][0]
        expected = alone(labels, z, diagonal=diagonal)
        np.testing.assert_allclose(h, expected[0] if diagonal else expected[0][0], rtol=1e-14)
        np.testing.assert_allclose(h, exact / 40, rtol=1e-13, atol=1e-17)
        np.testing.assert_allclose(g, fn.grad(labels, z)[0], rtol=1e-14)


def test_the_symbolic_hessian_is_symmetric_and_named():
    d = derive(lk.HeteroscedasticGaussian())
    (a, b), (c, e) = d.hessian
    assert sympy.simplify(b - c) == 0
    mu, eta = d.outputs
    direct = sympy.diff(d.loss, eta, 2)
    assert sympy.simplify(e - direct) == 0
    (logistic,) = derive(lk.Bernoulli()).hessian[0]
    z = derive(lk.Bernoulli()).outputs[0]
    assert logistic == sympy.sympify("expit(z)*expit(-z)", locals={"z": z, **_named()})


def test_the_softmax_hessian_is_diag_p_minus_p_p_transposed(rng):
    d = derive(lk.Categorical())
    ((entry,),) = d.hessian
    assert entry.has(sympy.KroneckerDelta)  # p_i ([i = l] - p_l), symbolic in K
    fn = d.compile()
    z = rng.normal(0.0, 3.0, size=(50, 7))
    labels = rng.integers(0, 7, size=50)
    ((blocks,),) = fn.hessian(labels, z, reduction="sum", diagonal=False)
    p = scipy.special.softmax(z, axis=-1)
    expected = p[..., :, None] * np.eye(7) - p[..., :, None] * p[..., None, :]
    np.testing.assert_allclose(blocks, expected, rtol=1e-13, atol=1e-16)
    (diagonal,) = fn.hessian(labels, z, reduction="sum")
    np.testing.assert_allclose(diagonal, p * (1 - p), rtol=1e-13)


@pytest.mark.parametrize("z", [-700.0, -40.0, 0.0, 40.0, 700.0])
def test_the_logistic_hessian_keeps_its_digits_at_the_extremes(z):
    fn = derive(lk.Bernoulli()).compile()
    (h,) = fn.hessian([1.0], [z], reduction="sum")
    with mpmath.workdps(50):
        s = 1 / (1 + mpmath.exp(-z))
        exact = float(s * (1 - s))
    assert h[0] == pytest.approx(exact, rel=4e-16) and h[0] > 0


@pytest.mark.parametrize("eta", [-700.0, -30.0, 0.0, 30.0, 700.0])
def test_the_poisson_hessian_keeps_its_digits_at_the_extremes(eta):
    fn = derive(lk.Poisson()).compile()
    (h,) = fn.hessian([3.0], [eta], reduction="sum")
    assert h[0] == pytest.approx(float(mpmath.exp(eta)), rel=4e-16)


def test_reductions_weights_and_broadcasting_scale_the_hessian_as_the_gradient(rng):
    fn = derive(lk.HeteroscedasticGaussian()).compile()
    y, mu = rng.normal(size=8), rng.normal(size=8)
    eta = np.float64(0.3)  # one scale for every sample: its entries are summed
    w = rng.uniform(0.5, 2.0, size=8)
    per = fn.hessian(y, mu, np.full(8, eta), reduction="sum", diagonal=False)
    mean = fn.hessian(y, mu, eta, diagonal=False)
    np.testing.assert_allclose(mean[0][0], per[0][0] / 8, rtol=1e-15)
    assert mean[1][1].shape == () and mean[1][1] == pytest.approx(per[1][1].sum() / 8)
    assert mean[0][1].shape == (8,)
    weighted = fn.hessian(y, mu, np.full(8, eta), weight=w, diagonal=False)
    np.testing.assert_allclose(weighted[0][1], per[0][1] * w / w.sum(), rtol=1e-14)
    (single,) = (
        derive(lk.Bernoulli()).compile().hessian(np.float32([1.0, 0.0]), np.float32([0.5, -2.0]))
    )
    assert single.dtype == np.float32


def test_invalid_input_is_named_as_for_the_gradient():
    fn = derive(lk.Poisson()).compile()
    with pytest.raises(ValueError, match="y"):
        fn.hessian([-1.0], [0.0])
    with pytest.raises(ValueError, match="weight"):
        fn.grad_and_hess([1.0], [0.0], weight=[-1.0])


@pytest.mark.parametrize("name", NO_HESSIAN)
def test_a_hessian_that_is_not_derived_is_refused_by_name(name):
    model = lk.REGISTRY[name]()
    with pytest.raises(ValueError, match="not derived|no closed form"):
        assert derive(model).hessian
    with pytest.raises(ValueError, match="not derived|no closed form"):
        sample = sample_inputs(model, np.random.default_rng(0), (3,))
        derive(model).compile().hessian(sample[0], *sample[1])


def _named():
    from derivation.functions import expit

    return {"expit": expit}
