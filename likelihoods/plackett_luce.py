"""Plackett-Luce noise on a ranking: the items picked one position at a time."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import permutation, real_vector
from .links import CLASS_INDEX, CLASSES, OTHER_INDEX, RANKED


class PlackettLuce(NoiseModel):
    r"""A ranking of K items (a row of item indices, best first), drawn by picking the best of
    the items left at each position with probabilities softmax(scores) over them; a top-R
    ranking (R <= K entries) stops after R picks:

    .. math:: \log p(\pi \mid s) = \sum_{k=0}^{R-1} \left( s_{\pi_k}
              - \log \sum_{j=k}^{K-1} e^{s_{\pi_j}} \right),

    the items not ranked standing after the ranked ones in pi (in any order: only the pools
    they are in matter).

    The scores are predicted as they are (a common shift of them changes nothing). Each log
    normaliser is a suffix log-sum-exp over the positions, computed for all of them in one
    pass from the last; the gradient comes out as exp(s_i) times a prefix sum of the
    normalisers' reciprocals up to item i's position, also accumulated in the log domain. With
    K = 2 the NLL is softplus(s_loser - s_winner): the logistic loss of the score difference.

    Point prediction: the ranking by score, highest first.

    >>> import numpy as np
    >>> from derivation import derive
    >>> fn = derive(PlackettLuce()).compile(nll=True)
    >>> ranking, scores = np.array([[1, 0]]), np.array([[0.0, 2.0]])
    >>> round(float(fn(ranking, scores)), 6)  # softplus(0 - 2)
    0.126928
    """

    target = Target("ranking", permutation)
    parameters = (Parameter("scores", real_vector, default="identity", description="item scores"),)
    prediction = "mode"

    @staticmethod
    def scipy_reference(ranking, scores):
        import numpy as np
        from scipy.special import logsumexp

        ranked = np.take_along_axis(np.asarray(scores, float), np.asarray(ranking), -1)
        suffixes = [logsumexp(ranked[..., k:], axis=-1) for k in range(ranked.shape[-1])]
        return (ranked - np.stack(suffixes, axis=-1)).sum(-1)

    def log_density(self, ranking, scores):
        k, j, K = CLASS_INDEX, OTHER_INDEX, CLASSES
        pool = sympy.log(sympy.Sum(sympy.exp(scores[ranking[j]]), (j, k, K - 1)))
        return sympy.Sum(scores[ranking[k]] - pool, (k, 0, RANKED - 1))

    def point_prediction(self, scores):
        return sympy.Function("argsort_descending")(scores)

    @staticmethod
    def ranking(scores):
        """The most probable ranking of each row of scores: the items by score, highest first
        (ties by index), as a row of item indices.

        >>> PlackettLuce.ranking([[0.2, 1.5, -0.3]])
        array([[1, 0, 2]])
        """
        import numpy as np

        return np.argsort(-np.asarray(scores, dtype=float), axis=-1, kind="stable")
