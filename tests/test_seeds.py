"""The worked numbers of the lecture notes (shared/seeds), reproduced by derived losses."""

from __future__ import annotations

import pathlib
import re

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


def _readme_table_rows():
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### The table of distributions, row by row", 1)[1]
    lines = [line for line in section.split("\n\n", 3)[2].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_every_row_of_the_notes_table_is_in_the_readme_with_its_family():
    seeds = pathlib.Path(__file__).parents[2] / "shared" / "seeds"
    notes = next(seeds.glob("004_*.txt"), None) if seeds.is_dir() else None
    if notes is None:
        pytest.skip("the lecture notes are not beside this checkout")
    text = notes.read_text()
    table = text[text.index("Data Type\tDomain") : text.index("**Figure 5.11**")]
    expected = [line.split("\t") for line in table.strip().splitlines()[1:]]
    rows = _readme_table_rows()
    assert [(r[0], r[2], r[3]) for r in rows] == [(e[0], e[2], e[3]) for e in expected]
    for row in rows:
        families = re.findall(r"`lk\.(\w+)\(\)`", row[4])
        if row[4].startswith("not in the library"):
            continue
        assert families, row
        for name in families:
            model = getattr(lk, name)()
            discrete = row[0].split(", ")[1] == "discrete"
            support = model.target.support
            assert bool(support.integer or support.sums_to_one) == discrete
        textbook = derive(getattr(lk, families[0])()).textbook
        if textbook is not None:  # the first loss named is the one the engine recognises
            assert row[5].startswith(textbook.name.split(",")[0]), (row, textbook.name)
