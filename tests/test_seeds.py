"""The worked numbers of the lecture notes (shared/seeds), reproduced by derived losses."""

from __future__ import annotations

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive


def test_mse_of_seed_002():
    # y = [3, 4], y_hat = [2, 5]: ((3-2)^2 + (4-5)^2) / 2 = 1
    assert derive(lk.Gaussian()).compile()([3.0, 4.0], [2.0, 5.0]) == 1.0


def test_bce_of_seed_002():
    # nn.BCELoss()([0.9, 0.1], [1, 0]) = 0.1053
    got = derive(lk.Bernoulli(p="identity")).compile()([1.0, 0.0], [0.9, 0.1])
    assert got == pytest.approx(0.1053, abs=1e-4)  # the notes print 4 digits, truncated
    assert got == pytest.approx(-np.log(0.9), rel=1e-15)


def test_mse_gradient_is_what_autograd_gives():
    # d/d y_hat mean((y_hat - y)^2) = 2 (y_hat - y) / n
    (g,) = derive(lk.Gaussian()).compile().grad([3.0, 4.0], [2.0, 5.0])
    np.testing.assert_array_equal(g, [-1.0, 1.0])


def test_bce_with_logits_matches_the_probability_form():
    # Seed 004: the logit link turns Bernoulli into BCE on sigmoid(z).
    z = np.array([2.1972245773362196, -2.1972245773362196])  # logit(0.9), logit(0.1)
    got = derive(lk.Bernoulli()).compile()([1.0, 0.0], z)
    assert got == pytest.approx(-np.log(0.9), rel=1e-14)


def test_laplace_gives_mae():
    assert derive(lk.Laplace()).compile()([3.0, 4.0], [2.0, 6.0]) == 1.5
