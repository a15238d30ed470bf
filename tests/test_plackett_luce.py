"""Plackett-Luce over rankings: against the formula written out at high precision (mpmath),
finite differences and PyTorch's autograd of the same formula, from 2 items to 1000, and its
refusals."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import likelihoods as lk
from derivation import derive


def _rankings(rng, n: int, k: int) -> np.ndarray:
    return np.array([rng.permutation(k) for _ in range(n)])


def _mpmath_nll(ranking, scores) -> mpmath.mpf:
    """-log P(ranking | scores) at 50 digits: each position's pick among the items left."""
    with mpmath.workdps(50):
        left = [mpmath.mpf(float(scores[item])) for item in ranking]
        total = mpmath.mpf(0)
        for k in range(len(left)):
            total += mpmath.log(mpmath.fsum(mpmath.exp(v) for v in left[k:])) - left[k]
        return total


@pytest.mark.parametrize("k", [2, 3, 10, 100])
def test_nll_equals_the_formula_at_high_precision(k, rng):
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    ranking, scores = _rankings(rng, 5, k), rng.normal(0.0, 3.0, size=(5, k))
    expected = [float(_mpmath_nll(ranking[n], scores[n])) for n in range(5)]
    np.testing.assert_allclose(fn(ranking, scores, reduction="none"), expected, rtol=4e-14 * k)


def test_a_thousand_items(rng):
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    ranking, scores = _rankings(rng, 3, 1000), rng.normal(0.0, 2.0, size=(3, 1000))
    expected = [float(_mpmath_nll(ranking[n], scores[n])) for n in range(3)]
    np.testing.assert_allclose(fn(ranking, scores, reduction="none"), expected, rtol=1e-11)
    (g,) = fn.grad(ranking, scores, reduction="sum")
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(-1), 0.0, atol=1e-9)  # a common shift changes nothing


def test_gradients_equal_torch_autograd_of_the_formula(rng):
    torch = pytest.importorskip("torch")
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    ranking, scores = _rankings(rng, 20, 30), rng.normal(0.0, 3.0, size=(20, 30))
    loss, (g,) = fn.loss_and_grad(ranking, scores, reduction="sum")
    s = torch.tensor(scores, requires_grad=True)
    ranked = torch.gather(s, -1, torch.tensor(ranking))
    suffixes = torch.flip(torch.logcumsumexp(torch.flip(ranked, [-1]), -1), [-1])
    reference = (suffixes - ranked).sum()
    reference.backward()
    assert float(loss) == pytest.approx(float(reference), rel=1e-13)
    np.testing.assert_allclose(g, s.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_far_apart_scores_stay_finite_and_exact(rng):
    # scores of +-800: every exp overflows or underflows, the log-sum-exps do not
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    scores = np.array([[800.0, -800.0, 0.0, 799.0]])
    for ranking in ([[0, 3, 2, 1]], [[1, 2, 3, 0]]):
        ranking = np.array(ranking)
        expected = float(_mpmath_nll(ranking[0], scores[0]))
        assert float(fn(ranking, scores)) == pytest.approx(expected, rel=1e-15, abs=1e-300)
        (g,) = fn.grad(ranking, scores, reduction="sum")
        assert np.all(np.isfinite(g))


def test_two_items_are_the_logistic_loss_of_the_score_difference(rng):
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    bce = derive(lk.Bernoulli()).compile()
    scores = rng.normal(0.0, 4.0, size=(50, 2))
    ranking = _rankings(rng, 50, 2)
    first_wins = (ranking[:, 0] == 0).astype(float)
    difference = scores[:, 0] - scores[:, 1]
    np.testing.assert_allclose(
        fn(ranking, scores, reduction="none"),
        bce(first_wins, difference, reduction="none"),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        fn(ranking, scores, reduction="none"),
        np.logaddexp(0.0, scores[:, 1] - scores[:, 0]) * first_wins
        + np.logaddexp(0.0, scores[:, 0] - scores[:, 1]) * (1 - first_wins),
        rtol=1e-14,
    )


def test_the_best_ranking_is_by_score(rng):
    fn = derive(lk.PlackettLuce()).compile()
    scores = rng.normal(size=(1, 6))
    best = lk.PlackettLuce.ranking(scores)
    assert list(best[0]) == sorted(range(6), key=lambda i: -scores[0, i])
    others = [best[:, rng.permutation(6)] for _ in range(20)]
    assert all(fn(best, scores) <= fn(other, scores) for other in others)
    assert fn(best, scores) < fn(best[:, ::-1].copy(), scores)


def test_a_row_that_is_not_a_permutation_is_named(rng):
    fn = derive(lk.PlackettLuce()).compile()
    scores = rng.normal(size=(3, 4))
    ranking = _rankings(rng, 3, 4)
    ranking[1] = [2, 0, 2, 3]
    with pytest.raises(ValueError, match=r"ranking: .*got item 2 twice in the row at index \(1,\)"):
        fn(ranking, scores)
    ranking[1] = [2, 0, 4, 3]
    with pytest.raises(
        ValueError, match=r"ranking: .* in \{0, 1, ..., 3\}, got 4 at index \(1, 2\)"
    ):
        fn(ranking, scores)


def test_weights_and_broadcast_scores(rng):
    fn = derive(lk.PlackettLuce()).compile()
    ranking = _rankings(rng, 8, 5)
    scores = rng.normal(size=5)  # one score per item, shared by every ranking
    w = rng.uniform(0.0, 2.0, size=8)
    per_row = fn(ranking, scores, reduction="none")
    assert float(fn(ranking, scores, weight=w)) == pytest.approx((w * per_row).sum() / w.sum())
    (g,) = fn.grad(ranking, scores, reduction="sum")
    (tiled,) = fn.grad(ranking, np.tile(scores, (8, 1)), reduction="sum")
    np.testing.assert_allclose(g, tiled.sum(0), rtol=1e-13)
    expected = [float(_mpmath_nll(r, scores)) for r in ranking]
    np.testing.assert_allclose(per_row, expected, rtol=1e-13)


def test_the_derivation_says_two_items_are_the_logistic_loss():
    d = derive(lk.PlackettLuce())
    assert d.two_classes.textbook.name == "binary cross-entropy with logits"
    text = " ".join(str(d).split())  # the text as read, not as wrapped
    assert "With K = 2 items" in text and "it reads L2 below: the binary cross-entropy" in text


@pytest.mark.parametrize("ranked", [1, 3, 9])
def test_top_rankings_equal_the_formula_over_their_positions(ranked, rng):
    # the top R of K items: the pools still hold every item not yet placed
    fn = derive(lk.PlackettLuce()).compile(nll=True)
    full, scores = _rankings(rng, 6, 10), rng.normal(0.0, 3.0, size=(6, 10))
    top = full[:, :ranked]

    def expected(row, s):
        rest = [i for i in range(10) if i not in row]
        with mpmath.workdps(50):
            values = [mpmath.mpf(float(s[i])) for i in [*row, *rest]]
            return float(
                mpmath.fsum(
                    mpmath.log(mpmath.fsum(mpmath.exp(v) for v in values[k:])) - values[k]
                    for k in range(len(row))
                )
            )

    reference = [expected(top[n], scores[n]) for n in range(6)]
    np.testing.assert_allclose(fn(top, scores, reduction="none"), reference, rtol=1e-13)
    (g,) = fn.grad(top, scores, reduction="sum")
    h = 1e-6
    for index in [(0, top[0, 0]), (2, full[2, -1]), (5, top[5, -1])]:
        step = np.zeros_like(scores)
        step[index] = h
        slope = (
            fn(top, scores + step, reduction="sum") - fn(top, scores - step, reduction="sum")
        ) / (2 * h)
        assert g[index] == pytest.approx(slope, rel=1e-6, abs=1e-9)
    if ranked == 9:  # the top 9 of 10 fix the last: the full ranking's likelihood
        np.testing.assert_allclose(fn(top, scores), fn(full, scores), rtol=1e-14)


def test_a_top_ranking_longer_than_the_items_is_refused(rng):
    fn = derive(lk.PlackettLuce()).compile()
    with pytest.raises(ValueError, match=r"ranking: expected vectors of 4 entries"):
        fn(_rankings(rng, 2, 5), rng.normal(size=(2, 4)))
    with pytest.raises(ValueError, match=r"got item 1 twice in the row at index \(0,\)"):
        fn(np.array([[1, 1]]), rng.normal(size=(1, 4)))
