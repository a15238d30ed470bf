"""Cross-entropy from the Categorical noise model: any number of classes, three target forms,
PyTorch's class weights and label smoothing, and stability at any logit scale."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats as st
import sympy

import likelihoods as lk
from derivation import derive
from derivation.functions import expand_definitions

from accuracy import WORK_DIGITS, check, mp

CE = derive(lk.Categorical()).compile()
CE_PROBS = derive(lk.Categorical(p="identity")).compile()


def reference(logits, target, weight=None, label_smoothing=0.0, reduction="mean"):
    """torch.nn.CrossEntropyLoss as its documentation defines it, written with NumPy."""
    logits = np.asarray(logits, float)
    k = logits.shape[-1]
    log_p = scipy.special.log_softmax(logits, axis=-1)
    w = np.ones(k) if weight is None else np.asarray(weight, float)
    target = np.asarray(target)
    eps = label_smoothing
    if target.ndim == logits.ndim:  # probabilities
        t = (1 - eps) * target + eps / k
        per_sample = -(w * t * log_p).sum(-1)
        total = per_sample.size
    else:  # class indices
        picked = np.take_along_axis(log_p, target[..., None], -1)[..., 0]
        per_sample = -(1 - eps) * w[target] * picked - eps / k * (w * log_p).sum(-1)
        total = w[target].sum()
    if reduction == "none":
        return per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.sum() / total


def test_the_loss_is_derived_for_any_number_of_classes():
    d = derive(lk.Categorical())
    assert lk.CLASSES in d.loss.free_symbols
    y, z = d.target, d.outputs[0]
    k = lk.CLASS_INDEX
    expected = sympy.log(
        sympy.Sum(sympy.exp(z[lk.OTHER_INDEX]), (lk.OTHER_INDEX, 0, lk.CLASSES - 1))
    ) - sympy.Sum(y[k] * z[k], (k, 0, lk.CLASSES - 1))
    assert expand_definitions(d.loss) == expected
    (g,) = d.gradient
    i = lk.COMPONENT
    assert (
        expand_definitions(g)
        == sympy.exp(z[i])
        / sympy.Sum(sympy.exp(z[lk.OTHER_INDEX]), (lk.OTHER_INDEX, 0, lk.CLASSES - 1))
        - y[i]
    )
    assert d.textbook.also == "torch.nn.CrossEntropyLoss"


def test_seed_numbers():
    # seed 002: logits [2, 1, 0.1] with target 0 give 0.417
    assert CE([0], [[2.0, 1.0, 0.1]]) == pytest.approx(0.417, abs=5e-4)
    # seed 003: the batch example, "sum" 2.0418 and "mean" 1.0209
    outputs = [[0.1, 0.3, 0.2], [0.4, 0.1, 0.2]]
    # (the notes print PyTorch's float32 results, hence float32 agreement)
    assert CE([2, 0], outputs, reduction="sum") == pytest.approx(2.041774034500122, rel=1e-7)
    assert CE([2, 0], outputs) == pytest.approx(1.020887017250061, rel=1e-7)
    # seed 003: Q = [0.2, 0.7, 0.1] (or [0.1, 0.7, 0.2]) with target 1: -log 0.7 = 0.357
    assert CE_PROBS([1], [[0.2, 0.7, 0.1]]) == pytest.approx(0.357, abs=5e-4)
    # seed 003: smoothed target [0.05, 0.9, 0.05] against Q = [0.1, 0.7, 0.2]. The notes
    # write -(0.05 * -2.302 + 0.9 * -0.357 + 0.05 * -1.609) and print 0.453, but those very
    # terms add up to 0.5166: the printed total is an arithmetic slip; the terms are right.
    smoothed = CE_PROBS([[0.05, 0.9, 0.05]], [[0.1, 0.7, 0.2]])
    assert smoothed == pytest.approx(0.05 * 2.302 + 0.9 * 0.357 + 0.05 * 1.609, abs=1e-3)
    assert smoothed == pytest.approx(
        -(0.05 * np.log(0.1) + 0.9 * np.log(0.7) + 0.05 * np.log(0.2)), rel=1e-15
    )


@pytest.mark.parametrize("k", [2, 3, 10, 100, 1000])
def test_against_scipy_multinomial_for_any_k(k, rng):
    z = rng.normal(0, 3, size=(50, k))
    labels = rng.integers(0, k, size=50)
    one_hot = np.eye(k)[labels]
    expected = -st.multinomial.logpmf(one_hot, 1, scipy.special.softmax(z, axis=-1))
    np.testing.assert_allclose(CE(labels, z, reduction="none"), expected, rtol=1e-12)
    np.testing.assert_allclose(CE(one_hot, z, reduction="none"), expected, rtol=1e-12)
    (g,) = CE.grad(labels, z, reduction="sum")
    np.testing.assert_allclose(g, scipy.special.softmax(z, axis=-1) - one_hot, atol=1e-15)


def test_soft_targets_against_numpy(rng):
    z = rng.normal(size=(40, 7))
    t = rng.dirichlet(np.ones(7), size=40)
    expected = -(t * scipy.special.log_softmax(z, axis=-1)).sum(-1)
    np.testing.assert_allclose(CE(t, z, reduction="none"), expected, rtol=1e-13)
    (g,) = CE.grad(t, z, reduction="sum")
    np.testing.assert_allclose(g, scipy.special.softmax(z, axis=-1) - t, atol=1e-15)


OPTIONS = [
    {},
    {"weight": [1.0, 2.0, 0.5, 3.0]},
    {"label_smoothing": 0.1},
    {"weight": [1.0, 2.0, 0.5, 3.0], "label_smoothing": 0.2},
]


@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "weight", "smoothing", "both"])
@pytest.mark.parametrize("form", ["index", "rows"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_weights_and_label_smoothing_as_pytorch_defines_them(options, form, reduction, rng):
    z = rng.normal(size=(30, 4))
    labels = rng.integers(0, 4, size=30)
    target = labels if form == "index" else np.eye(4)[labels]
    kwargs = {
        "class_weight": options.get("weight"),
        "label_smoothing": options.get("label_smoothing", 0.0),
    }
    got = CE(target, z, reduction=reduction, **kwargs)
    np.testing.assert_allclose(
        got, reference(z, target, reduction=reduction, **options), rtol=1e-13
    )

    def f(x):
        return CE(target, x, reduction=reduction, **kwargs).sum()

    (g,) = CE.grad(target, z, reduction=reduction, **kwargs)
    h = 1e-5
    fd = np.zeros_like(z)
    for index in itertools.product(range(3), range(4)):  # a few rows suffice
        step = np.zeros_like(z)
        step[index] = h
        fd[index] = (f(z + step) - f(z - step)) / (2 * h)
    np.testing.assert_allclose(g[:3], fd[:3], rtol=1e-6, atol=1e-9)


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch")
    z = rng.normal(size=(25, 6))
    labels = rng.integers(0, 6, size=25)
    w = rng.uniform(0.5, 2.0, size=6)
    for target in (labels, rng.dirichlet(np.ones(6), size=25)):
        for options in (
            {},
            {"weight": w},
            {"label_smoothing": 0.15},
            {"weight": w, "label_smoothing": 0.3},
        ):
            for reduction in ("mean", "sum", "none"):
                zt = torch.tensor(z, requires_grad=True)
                tt = torch.tensor(target)
                torch_options = dict(options)
                if "weight" in torch_options:
                    torch_options["weight"] = torch.tensor(w)
                loss_fn = torch.nn.CrossEntropyLoss(reduction=reduction, **torch_options)
                expected = loss_fn(zt, tt)
                expected.sum().backward()
                loss, (g,) = CE.loss_and_grad(
                    target,
                    z,
                    reduction=reduction,
                    class_weight=options.get("weight"),
                    label_smoothing=options.get("label_smoothing", 0.0),
                )
                np.testing.assert_allclose(loss, expected.detach().numpy(), rtol=1e-12)
                np.testing.assert_allclose(g, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_two_classes_is_the_bernoulli_loss():
    # seed 000: softmax for two classes is the sigmoid, so cross-entropy with K = 2 is
    # the binary cross-entropy with logits in z = z_1 - z_0.
    d = derive(lk.Categorical())
    c, z0, z1 = sympy.symbols("c z0 z1", real=True)
    two = expand_definitions(d.loss).xreplace({lk.CLASSES: 2}).doit()
    two = two.replace(
        lambda e: isinstance(e, sympy.Indexed),
        lambda e: {("y", 0): 1 - c, ("y", 1): c, ("z", 0): z0, ("z", 1): z1}[
            (str(e.base.label), int(e.indices[0]))
        ],
    )
    b = derive(lk.Bernoulli())
    binary = expand_definitions(b.loss).xreplace({b.target: c, b.outputs[0]: z1 - z0})
    difference = two - binary
    with mpmath.workdps(40):
        for values in [(0, -3.5, 2.25), (1, 7.0, -1.5), (1, 0.5, 0.5), (0, 40.0, -40.0)]:
            point = dict(zip((c, z0, z1), map(sympy.Rational, values)))
            assert abs(sympy.N(difference.subs(point), 40)) < 1e-35
    view = d.two_classes
    assert view.textbook.name == "binary cross-entropy with logits"
    assert "binary cross-entropy with logits" in str(d)


def test_two_classes_numerically(rng):
    z = rng.normal(0, 4, size=(100, 2))
    labels = rng.integers(0, 2, size=100)
    bce = derive(lk.Bernoulli()).compile()
    np.testing.assert_allclose(
        CE(labels, z, reduction="none"),
        bce(labels, z[:, 1] - z[:, 0], reduction="none"),
        rtol=1e-13,
    )


ROWS = [
    [1e4, -1e4, 0.0],
    [-1000.0, -1000.0, -1000.0],
    [1000.0, 999.0, -1000.0],
    [30.0, 0.0, 0.0],
    [0.0, 0.0, 700.0],
    [-745.0, 0.0, 745.0],
]


@pytest.mark.parametrize("row, label", list(itertools.product(ROWS, [0, 1, 2])))
def test_extreme_logits_against_mpmath(row, label):
    with mpmath.workdps(WORK_DIGITS):
        loss, (g,) = CE.loss_and_grad(np.array([label]), np.array([row]), reduction="sum")
        zs = [mp(v) for v in row]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zs))
        check(loss, lse - zs[label], f"loss({row}, {label})")
        for k, v in enumerate(zs):
            check(g[0, k], mpmath.exp(v - lse) - (k == label), f"grad[{k}]({row}, {label})")


def test_zero_probabilities_give_inf_only_for_the_target_class():
    p = np.array([[0.0, 0.3, 0.7], [0.0, 0.3, 0.7]])
    with np.errstate(all="raise"):  # no warning escapes either
        loss = CE_PROBS([0, 1], p, reduction="none")
        (g,) = CE_PROBS.grad([0, 1], p, reduction="none")
    assert loss[0] == np.inf and loss[1] == pytest.approx(-np.log(0.3))
    assert g[0, 0] == -np.inf and not np.isnan(g).any()
    np.testing.assert_array_equal(g[1], [0.0, -1 / 0.3, 0.0])
    rows = np.eye(3)[[0, 1]]
    assert np.array_equal(CE_PROBS(rows, p, reduction="none"), loss)


def test_one_derivation_serves_every_k(rng):
    fn = derive(lk.Categorical()).compile()
    for k in (2, 5, 1000):
        z = rng.normal(size=(3, k))
        assert fn([0, 1, 1], z).shape == ()
    assert derive(lk.Categorical()).compile() is fn


def test_batch_axes_and_broadcast_logits(rng):
    z = rng.normal(size=(4, 6, 5))
    labels = rng.integers(0, 5, size=(4, 6))
    flat = CE(labels.reshape(-1), z.reshape(-1, 5), reduction="none").reshape(4, 6)
    np.testing.assert_allclose(CE(labels, z, reduction="none"), flat, rtol=1e-15)
    shared = z[0, 0]
    (g,) = CE.grad(labels, shared, reduction="sum")
    (g_tiled,) = CE.grad(labels, np.broadcast_to(shared, z.shape), reduction="sum")
    np.testing.assert_allclose(g, g_tiled.sum(axis=(0, 1)), rtol=1e-13)


@pytest.mark.parametrize("form", ["index", "rows"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_large_inputs_run_block_by_block_give_the_same_numbers(form, reduction, weighted, rng):
    # 3 x 101 rows of 997 classes: well over two blocks of derivation.runtime.BLOCK numbers,
    # cut into blocks of whole rows that do not divide the batch evenly.
    z = rng.normal(0, 3, size=(3, 101, 997))
    labels = rng.integers(0, 997, size=(3, 101))
    target = labels if form == "index" else rng.dirichlet(np.ones(997), size=(3, 101))
    weight = rng.uniform(0, 2, size=(3, 101)) if weighted else None
    log_p = scipy.special.log_softmax(z, axis=-1)
    mass = np.eye(997)[labels] if form == "index" else target
    per_row = -(mass * log_p).sum(-1)
    w = np.ones((3, 101)) if weight is None else weight
    expected = {
        "none": per_row * w,
        "sum": (per_row * w).sum(),
        "mean": (per_row * w).sum() / w.sum(),
    }[reduction]
    scale = w / w.sum() if reduction == "mean" else w
    loss, (g,) = CE.loss_and_grad(target, z, reduction=reduction, weight=weight)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    expected_g = (np.exp(log_p) * mass.sum(-1, keepdims=True) - mass) * scale[..., None]
    np.testing.assert_allclose(g, expected_g, rtol=1e-12, atol=1e-17)
    assert g.shape == z.shape and g.flags.c_contiguous


def test_logits_that_are_not_contiguous_are_not_cut_into_blocks(rng):
    z = rng.normal(size=(997, 300)).T  # (300, 997), a transposed view
    labels = rng.integers(0, 997, size=300)
    expected = (scipy.special.logsumexp(z, axis=-1) - z[np.arange(300), labels]).mean()
    loss, (g,) = CE.loss_and_grad(labels, z)
    np.testing.assert_allclose(loss, expected, rtol=1e-13)
    one_hot = np.eye(997)[labels]
    np.testing.assert_allclose(g, (scipy.special.softmax(z, axis=-1) - one_hot) / 300, atol=1e-17)
