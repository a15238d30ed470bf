"""Bad input gets a ValueError naming the argument, the expected domain, the value and where."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import (
    CLASSES,
    all_variants,
    elementwise_domains,
    is_elementwise,
    model_id,
    sample_inputs,
)


def outside(domain: lk.constraints.Domain) -> list[float]:
    """Values a domain excludes, read off its declaration."""
    bad = [math.nan, math.inf, -math.inf]
    if not math.isinf(domain.lower):
        bad.append(domain.lower if domain.lower_open else domain.lower - 1.0)
    if not math.isinf(domain.upper):
        bad.append(domain.upper if domain.upper_open else domain.upper + 0.5)
    if domain.integer:
        bad.append(domain.lower + 0.5)
    return bad


def _cases():
    for model in all_variants():
        fn_inputs = [(model.target.name, model.target.support, 0)]
        for i, name in enumerate(model.predicted, start=1):
            choice = model.choices[name]
            if choice.link.name == "identity":
                fn_inputs.append((name, choice.parameter.domain, i))
            else:
                fn_inputs.append((str(model.raw_symbol(name)), lk.constraints.real, i))
        for arg, domain, position in fn_inputs:
            for value in outside(domain):
                yield pytest.param(
                    model, arg, domain, position, value, id=f"{model_id(model)}-{arg}={value}"
                )


@pytest.mark.parametrize("model, arg, domain, position, value", list(_cases()))
def test_out_of_domain_input_is_named(model, arg, domain, position, value, rng):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (5,))
    args = [y, *raws]
    args[position] = args[position].astype(float)  # (an integer array cannot hold NaN)
    args[position][3] = value
    kw = {k: constants[k] for k in fn.constants}
    got = re.escape(repr(value))
    # Over classes each entry is checked (in [0, 1] on the simplex); the first bad one is
    # the first entry of row 3.
    entries = domain.entries
    if domain.permutation:  # item indices below the row's length
        entries = lk.constraints.Domain("items", 0.0, CLASSES - 1.0, False, False, integer=True)
    where = {1: r"\(3,\)", 2: r"\(3, 0\)", 3: r"\(3, 0, 0\)"}[args[position].ndim]
    expected = (
        rf"^{arg}: expected .* in {re.escape(entries.describe())}, got {got} at index {where}$"
    )
    for call in (fn, fn.grad, fn.loss_and_grad):
        with pytest.raises(ValueError, match=expected):
            call(*args, **kw)


@pytest.mark.parametrize(
    "model, args, message",
    [
        (
            lk.Poisson(),
            ([1.0, -1.0], [0.0, 0.0]),
            r"y: expected .* \{0, 1, 2, ...\}, got -1.0",
        ),
        (
            lk.Bernoulli(),
            ([0.0, 1.5], [0.0, 0.0]),
            r"y: expected .* \{0, 1\}, got 1.5 at index \(1,\)",
        ),
        (
            lk.Gaussian(sigma="identity"),
            ([1.0], [0.0], [0.0]),
            r"sigma: expected .* \(0, inf\), got 0.0",
        ),
        (lk.Bernoulli(p="identity"), ([1.0], [1.3]), r"p: expected .* \[0, 1\], got 1.3"),
        (lk.Poisson(rate="identity"), ([1.0], [-2.0]), r"rate: expected .* got -2.0"),
        (
            lk.Gaussian(),
            ([[1.0, 2.0]], [[1.0], [np.nan]]),
            r"mu: expected .* got nan at index \(1, 0\)",
        ),
    ],
    ids=["negative-count", "bernoulli-1.5", "sigma-0", "p-1.3", "negative-rate", "nan-2d"],
)
def test_examples_from_the_issue(model, args, message):
    with pytest.raises(ValueError, match=message):
        derive(model).compile()(*args)


def test_shapes_that_do_not_broadcast():
    fn = derive(lk.Gaussian()).compile()
    with pytest.raises(ValueError, match=r"shapes do not broadcast together: y \(3,\), mu \(4,\)"):
        fn(np.zeros(3), np.zeros(4))


def test_weight_is_checked():
    fn = derive(lk.Gaussian()).compile()
    with pytest.raises(
        ValueError, match=r"weight: expected .* \[0, inf\), got -1.0 at index \(1,\)"
    ):
        fn([1.0, 2.0], [0.0, 0.0], weight=[1.0, -1.0])
    with pytest.raises(
        ValueError, match=r"weight: shape \(3,\) does not broadcast to the loss shape \(2,\)"
    ):
        fn([1.0, 2.0], [0.0, 0.0], weight=[1.0, 1.0, 1.0])


def test_non_numeric_input():
    fn = derive(lk.Gaussian()).compile()
    with pytest.raises(ValueError, match="y: expected an array of real numbers"):
        fn(["a", "b"], [0.0, 0.0])


def test_validate_false_skips_the_checks():
    fn = derive(lk.Gaussian()).compile()
    assert np.isnan(fn([np.nan], [0.0], validate=False))


CE = derive(lk.Categorical()).compile()
LOGITS = np.array([[2.0, 1.0, 0.1, -1.0, 0.0]] * 3)


@pytest.mark.parametrize(
    "target, message",
    [
        (
            [0, 7, 1],
            r"y: expected class indices for 5 classes in \{0, 1, ..., 4\}, got 7 at index \(1,\)",
        ),
        ([0, -1, 1], r"y: expected class indices for 5 classes in .*, got -1 at index \(1,\)"),
        ([0.0, 1.5, 1.0], r"y: expected class indices .*, got 1.5 at index \(1,\)"),
        ([0.0, np.nan, 1.0], r"y: expected class indices .*, got nan at index \(1,\)"),
        (
            [[1, 0, 0, 0, 0], [0.5, 0.6, -0.1, 0, 0], [0, 1, 0, 0, 0]],
            r"y: expected .* entries in \[0, 1\], got -0.1 at index \(1, 2\)",
        ),
        (
            [[1, 0, 0, 0, 0], [0.5, 0.4, 0, 0, 0], [0, 1, 0, 0, 0]],
            r"y: expected .* rows summing to 1 over the last axis, got a row summing to 0.9 "
            r"at index \(1,\)",
        ),
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], r"y: rows of 3 classes, but z has 5 classes"),
    ],
    ids=["label-7", "label-neg", "label-1.5", "label-nan", "row-negative", "row-sum", "K-mismatch"],
)
def test_categorical_targets(target, message):
    with pytest.raises(ValueError, match=message):
        CE(target, LOGITS)


def test_categorical_options_are_checked():
    with pytest.raises(
        ValueError,
        match=r"class_weight: expected one weight per class, shape \(5,\), got shape \(3,\)",
    ):
        CE([0, 1, 2], LOGITS, class_weight=[1.0, 1.0, 1.0])
    with pytest.raises(
        ValueError,
        match=r"class_weight: expected a class weight in \[0, inf\), got -1.0 at index \(2,\)",
    ):
        CE([0, 1, 2], LOGITS, class_weight=[1.0, 1.0, -1.0, 1.0, 1.0])
    with pytest.raises(
        ValueError, match=r"label_smoothing: expected a number in \[0, 1\], got 1.5"
    ):
        CE([0, 1, 2], LOGITS, label_smoothing=1.5)
    with pytest.raises(
        TypeError, match="class_weight and label_smoothing apply to targets over classes"
    ):
        derive(lk.Gaussian()).compile()([1.0], [1.0], label_smoothing=0.1)
    with pytest.raises(
        ValueError, match=r"z: expected a raw output in \(-inf, inf\), got nan at index \(1, 2\)"
    ):
        bad = LOGITS.copy()
        bad[1, 2] = np.nan
        CE([0, 1, 2], bad)


def test_large_inputs_checked_block_by_block_report_the_full_index():
    # 150,000 samples are checked in blocks as the kernel runs (derivation.runtime.BLOCK):
    # the offending element is still reported at its index in the caller's array.
    fn = derive(lk.Bernoulli()).compile()
    y = np.zeros((300, 500))
    z = np.zeros((300, 500))
    y[250, 7] = 0.5
    with pytest.raises(ValueError, match=r"y: expected .* \{0, 1\}, got 0.5 at index \(250, 7\)"):
        fn.loss_and_grad(y, z)
    y[250, 7] = 0.0
    z[299, 499] = np.inf
    with pytest.raises(ValueError, match=r"z: expected .*, got inf at index \(299, 499\)"):
        fn(y, z)


def test_a_fixed_parameter_beside_large_inputs_is_checked_once_and_named_without_index():
    # The scalar kappa travels with every block of the samples; a bad one is reported as
    # given (no index), a bad sample at its index in the caller's array.
    fn = derive(lk.VonMises()).compile(nll=True)
    y = np.zeros(200_000)
    mu = np.zeros(200_000)
    with pytest.raises(ValueError, match=r"kappa: expected .* \(0, inf\), got -1.5$"):
        fn.loss_and_grad(y, mu, kappa=-1.5)
    y[199_999] = 4.0
    with pytest.raises(ValueError, match=r"y: expected .*, got 4.0 at index \(199999,\)$"):
        fn.loss_and_grad(y, mu, kappa=1.5)


@pytest.mark.parametrize("size", [100, 300_000], ids=["one-pass", "block-by-block"])
def test_a_loss_that_overflows_on_valid_input_is_returned_not_refused(size):
    # A total of inf leads to the check of the arguments it vouched for; they are valid, so
    # the overflow stands as the result.
    fn = derive(lk.HeteroscedasticGaussian()).compile()
    y = np.full(size, 1e300)
    mu = np.full(size, -1e300)
    log_sigma = np.zeros(size)
    assert fn(y, mu, log_sigma, reduction="sum") == np.inf
    loss, (g_mu, g_log_sigma) = fn.loss_and_grad(y, mu, log_sigma)
    assert loss == np.inf and np.all(np.isfinite(g_mu))
    mu[size - 1] = np.nan
    with pytest.raises(ValueError, match=rf"mu: expected .*, got nan at index \({size - 1},\)$"):
        fn.loss_and_grad(y, mu, log_sigma)
    # float32 overflows sooner: 3e38 - (-3e38) is inf there, and still a result.
    y32, mu32 = np.full(size, 3e38, np.float32), np.full(size, -3e38, np.float32)
    assert fn(y32, mu32, log_sigma.astype(np.float32), reduction="sum") == np.inf


def test_a_bad_value_beside_an_empty_batch_is_still_refused():
    # No sample holds mu here, so no total can vouch for it: it is checked.
    fn = derive(lk.Gaussian()).compile()
    with pytest.raises(ValueError, match=r"mu: expected .*, got nan"):
        fn(np.zeros(0), np.array([np.nan]))


@pytest.mark.parametrize("model", [m for m in all_variants() if is_elementwise(m)], ids=model_id)
@pytest.mark.parametrize("size", [100, 200_000], ids=["one-pass", "block-by-block"])
def test_nan_and_inf_in_an_argument_with_a_finite_bound_are_named(model, size, rng):
    # Where the loss carries an argument's NaN or inf into the total, only its finite bounds
    # are looked at before; the non-finite total then has it checked in full.
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (size,))
    kw = {k: constants[k] for k in fn.constants}
    names = ("y", *fn.inputs)
    for position, domain in enumerate(elementwise_domains(model)):
        if math.isinf(domain.lower) and math.isinf(domain.upper):
            continue
        for value in (math.nan, math.inf, -math.inf):
            args = [np.array(a, dtype=float) for a in (y, *raws)]
            args[position][size - 2] = value
            where = rf" at index \({size - 2},\)$"
            for call in (fn, fn.loss_and_grad):
                with pytest.raises(ValueError, match=rf"^{names[position]}: expected .*{where}"):
                    call(*args, **kw)
