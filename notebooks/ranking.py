"""Notebook 06: a Plackett-Luce model fitted to rankings."""

from __future__ import annotations

from cells import code

#: The notebook's cells, in order.
CELLS: list[str] = [
    """# Ranking: the Plackett-Luce model

The last row of the lecture notes' table: a target that is an ordering of K items, best first.
Plackett-Luce reads a ranking as K picks: the best item is drawn with probabilities
softmax(scores) over all items, the second from the items left, and so on. Its negative
log-likelihood is the ranking loss:""",
    code(
        """
import matplotlib.pyplot as plt
import numpy as np
import scipy.optimize

import likelihoods as lk
from derivation import derive

d = derive(lk.PlackettLuce())
d
"""
    ),
    """Each position's log normaliser is a log-sum-exp over the items not yet placed: for all
positions at once, one pass from the last (a suffix log-sum-exp). The gradient with respect
to item i's score is exp(s_i) times the sum of the normalisers' reciprocals up to item i's
position, minus 1, written in the log domain, so that no score, however large, overflows.

## Preference data

Thirty items, each described by three features; a judge sees eight of them and ranks them,
picking by utility u = x . w plus Gumbel noise (which is exactly a Plackett-Luce draw).""",
    code(
        """
rng = np.random.default_rng(0)
items, features, shown, judges = 30, 3, 8, 400
X = rng.normal(size=(items, features))
w_true = np.array([1.5, -1.0, 0.5])
seen = np.array([rng.choice(items, shown, replace=False) for _ in range(judges)])
utility = X[seen] @ w_true                       # (judges, shown)
ranking = np.argsort(-(utility + rng.gumbel(size=utility.shape)), axis=1)
print(ranking[:3])  # positions in each judge's eight items, best first
"""
    ),
    """## Fitting the weights

The scores are a linear function of the items' features, s = X[seen] w, so the gradient with
respect to w is the derived gradient with respect to the scores contracted with the
features.""",
    code(
        """
fn = derive(lk.PlackettLuce()).compile()


def objective(w):
    loss, (g,) = fn.loss_and_grad(ranking, X[seen] @ w)
    return loss, np.einsum("js,jsf->f", g, X[seen])


fit = scipy.optimize.minimize(objective, np.zeros(features), jac=True, method="L-BFGS-B")
print("true weights  ", w_true)
print("fitted weights", fit.x.round(3))
"""
    ),
    """## What the model learned

Left: each item's fitted utility against its true one (utilities are defined up to a
common shift; both are centred). Right: the predicted probability that the judge's top pick
is each item's, by softmax of the fitted scores, against how often it was picked first when
shown.""",
    code(
        """
fitted, true = X @ fit.x, X @ w_true
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.scatter(true - true.mean(), fitted - fitted.mean())
left.plot([-4, 4], [-4, 4], color="0.6", lw=1)
left.set_xlabel("true utility (centred)")
left.set_ylabel("fitted utility (centred)")

scores = X[seen] @ fit.x
p_first = np.exp(scores - scores.max(axis=1, keepdims=True))
p_first /= p_first.sum(axis=1, keepdims=True)
first = seen[np.arange(judges), ranking[:, 0]]
predicted = np.bincount(seen.ravel(), p_first.ravel(), minlength=items)
observed = np.bincount(first, minlength=items)
times_shown = np.bincount(seen.ravel(), minlength=items)
right.scatter(predicted / times_shown, observed / times_shown)
right.plot([0, 1], [0, 1], color="0.6", lw=1)
right.set_xlabel("predicted P(top pick) when shown")
right.set_ylabel("observed share of top picks")
plt.tight_layout()
"""
    ),
    """With two items the loss is the logistic loss of the score difference: pairwise
preferences (which of two is better) are Plackett-Luce with K = 2, a Bernoulli on s_a - s_b.""",
    code(
        """
pair = np.array([[1, 0]])  # item 1 preferred to item 0
scores = np.array([[0.3, 1.1]])
bce = derive(lk.Bernoulli()).compile()
print(derive(lk.PlackettLuce()).compile(nll=True)(pair, scores), bce(0.0, 0.3 - 1.1))
"""
    ),
]
